"""Canonical schema: tables, columns, Chinese labels and the header aliases real exports use."""

from yibao.schema.model import Column, RowRule, Table
from yibao.schema.tables import SCHEMA_VERSION, TABLES, get_table

__all__ = ["Column", "RowRule", "SCHEMA_VERSION", "TABLES", "Table", "get_table"]
