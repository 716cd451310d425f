"""The retrieval benchmark: public collections, the floor, the generated project's retriever."""
