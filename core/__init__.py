"""ZoneQA's shared foundations: settings, the error family, the wire schemas, text utilities.

This package imports none of the product packages (``ingest``, ``index``, ``rag``, ``api``, ``ui``,
``evals``, ``benchmarks``, ``zoneqa``); they all build on it.
"""
