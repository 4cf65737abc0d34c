"""Device-operation jobs (the NetPulse-compatible engine): create, queue, run on pooled
sessions, record results in SQL."""
