"""Pipeline: the step contract, run records, `yibao run`, data checks and provenance."""
