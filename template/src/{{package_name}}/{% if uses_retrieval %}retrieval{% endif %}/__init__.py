"""Shared retrieval: parse, chunk, embed, store and search documents (BM25, dense, hybrid)."""
