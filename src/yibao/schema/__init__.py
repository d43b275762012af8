"""Canonical and derived schema: tables, columns, Chinese labels, header aliases, data tests."""

from yibao.schema.derived import DERIVED, derived_table, tables_of
from yibao.schema.model import Column, DataTest, Lineage, RowRule, Table
from yibao.schema.tables import SCHEMA_VERSION, TABLES, get_table

#: Every table yibao stores: canonical (written by ingest) and derived (written by steps).
ALL_TABLES: dict[str, Table] = {**TABLES, **DERIVED}


def any_table(name: str) -> Table:
    """A canonical or derived table by name (derived tables have no Chinese aliases)."""
    if name in DERIVED:
        return DERIVED[name]
    return get_table(name)


__all__ = [
    "ALL_TABLES",
    "Column",
    "DERIVED",
    "DataTest",
    "Lineage",
    "RowRule",
    "SCHEMA_VERSION",
    "TABLES",
    "Table",
    "any_table",
    "derived_table",
    "get_table",
    "tables_of",
]
