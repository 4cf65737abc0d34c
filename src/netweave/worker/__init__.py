"""Worker entry point: runs queued jobs from Redis (``netweave worker``)."""
