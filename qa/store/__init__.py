"""Storage: SQLite for everything a person reads, FAISS for passage ids and vectors."""
