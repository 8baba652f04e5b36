"""Ingestion: read article files into text, then split text into sentences and passages."""
