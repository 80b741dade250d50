"""Thin routers: validate, call the ``rag`` / ``ingest`` services, shape the response."""
