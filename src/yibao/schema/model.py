"""Column and table definitions: one registry drives validation, ingestion and docs/schema.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import pyarrow as pa

DType = Literal[
    "string",
    "int",
    "int32",
    "money",
    "rate",
    "ratio",
    "price",
    "dec2",
    "float",
    "bool",
    "date",
    "timestamp",
]

#: Engine type of each logical dtype (Ibis spelling).
IBIS_TYPES: dict[str, str] = {
    "string": "string",
    "int": "int64",
    "money": "decimal(18,2)",
    "rate": "decimal(9,6)",
    "ratio": "decimal(9,4)",
    "price": "decimal(18,4)",
    "dec2": "decimal(9,2)",
    "float": "float64",
    "bool": "boolean",
    "int32": "int32",
    "date": "date",
    "timestamp": "timestamp",
}
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "money": "DECIMAL(18,2)",
    "rate": "DECIMAL(9,6)",
    "ratio": "DECIMAL(9,4)",
    "price": "DECIMAL(18,4)",
    "dec2": "DECIMAL(9,2)",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "int32": "INTEGER",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


#: Arrow type of each logical dtype, for rows a step builds in Python.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "int32": pa.int32(),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(9, 6),
    "ratio": pa.decimal128(9, 4),
    "price": pa.decimal128(18, 4),
    "dec2": pa.decimal128(9, 2),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``aliases`` are the headers real exports use for it (national platform field codes, other
    Chinese spellings); ``codes`` restricts the value to a code list (code → meaning) and
    ``value_aliases`` maps other spellings of a code to the canonical one.
    """

    name: str
    dtype: DType
    label: str
    description: str = ""
    unit: str = ""
    aliases: tuple[str, ...] = ()
    required: bool = False
    codes: Mapping[str, str] | None = None
    value_aliases: Mapping[str, str] = field(default_factory=dict)
    #: "area" → must be a GB/T 2260 code; "certno" → GB 11643 resident ID;
    #: "procedure" → an ICD-9-CM-3 医保版 code (SS_INFO.dat).
    check: Literal["area", "certno", "procedure", "diagnosis"] | None = None
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    #: Personal data (ID numbers, names, diagnoses): masked wherever users may see it.
    personal: bool = False

    @property
    def ibis_type(self) -> str:
        return IBIS_TYPES[self.dtype]

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.dtype]

    def value_map(self) -> dict[str, str]:
        """Spellings accepted for a code column → the code (labels and variants)."""
        from yibao.schema.codes import value_map

        return value_map(dict(self.codes) if self.codes else None, dict(self.value_aliases))

    def header_names(self) -> tuple[str, ...]:
        """Every header that maps to this column."""
        return (self.name, self.label, *self.aliases)


@dataclass(frozen=True)
class RowRule:
    """A check across several columns of one row, with the Chinese reason shown to users."""

    name: str  # implemented in ingest.validate._row_rule_errors
    columns: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class DataTest:
    """A declared identity as a query that returns the offending rows (dbt style): no rows, pass.

    ``sql`` names the table as ``{t}``; ``needs`` are other tables it reads (skipped without them).
    """

    name: str
    label: str  # Chinese: what must hold
    sql: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lineage:
    """How a derived row finds its source rows: ``on`` is a predicate over ``t`` (this table)
    and ``s`` (the source table), for ``yibao trace``."""

    source: str
    on: str


@dataclass(frozen=True)
class Table:
    """A canonical or derived table. ``grain`` says what one row is, as dbt models do.

    Derived tables name the step that writes them and the column by which a re-run of a year
    replaces its rows; canonical tables are written by ingest and carry ``_load_id``/``_row``.
    """

    name: str
    label: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_rules: tuple[RowRule, ...] = ()
    identities: tuple[str, ...] = ()
    produced_by: str = "ingest"
    year_column: str | None = None
    lineage: tuple[Lineage, ...] = ()
    tests: tuple[DataTest, ...] = ()

    @property
    def derived(self) -> bool:
        return self.produced_by != "ingest"

    def ddl(self) -> str:
        """CREATE TABLE IF NOT EXISTS from the declaration (canonical tables get the lineage
        columns ``_load_id`` and ``_row``)."""
        cols = [f'"{c.name}" {c.sql_type}' for c in self.columns]
        if not self.derived:
            cols += ["_load_id BIGINT NOT NULL", "_row BIGINT NOT NULL"]
        body = ",\n    ".join(cols)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    {body}\n)"

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the declared columns (for rows built in Python)."""
        return pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in self.columns])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)
