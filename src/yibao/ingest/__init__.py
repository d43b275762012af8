"""Ingestion: read exports, map headers, validate, quarantine bad rows, record lineage."""

from yibao.ingest.loader import EXIT_OK, EXIT_QUARANTINED, EXIT_REJECTED, IngestResult, ingest_file

__all__ = ["EXIT_OK", "EXIT_QUARANTINED", "EXIT_REJECTED", "IngestResult", "ingest_file"]
