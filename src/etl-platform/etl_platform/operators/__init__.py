"""Ingest operators: fetch from a source, archive, and hand the archived path on."""
