"""`qa serve`: the local web reader (engine thread, indexing jobs, the HTTP API)."""
