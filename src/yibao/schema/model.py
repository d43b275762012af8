"""Column and table definitions: one registry drives validation, ingestion and docs/schema.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

DType = Literal["string", "int", "money", "rate", "date", "timestamp"]

#: Engine type of each logical dtype (Ibis spelling).
IBIS_TYPES: dict[str, str] = {
    "string": "string",
    "int": "int64",
    "money": "decimal(18,2)",
    "rate": "decimal(9,6)",
    "date": "date",
    "timestamp": "timestamp",
}
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "money": "DECIMAL(18,2)",
    "rate": "DECIMAL(9,6)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
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
    #: "area" → must be a GB/T 2260 code; "certno" → GB 11643 resident ID.
    check: Literal["area", "certno"] | None = None
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
class Table:
    """A canonical table. ``grain`` says what one row is, as dbt models do."""

    name: str
    label: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_rules: tuple[RowRule, ...] = ()
    identities: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)
