"""HTTP API (FastAPI): thin routes that parse, call one core use case and return a schema."""
