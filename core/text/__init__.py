"""Text utilities shared by ingest and the answer path: sentence spans and word terms."""
