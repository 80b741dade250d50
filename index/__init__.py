"""The index layer: the Chroma store, the BM25 index and the embedders, shared by ingest (writes) and rag (reads)."""
