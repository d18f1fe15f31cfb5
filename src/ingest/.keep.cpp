// ingest module
