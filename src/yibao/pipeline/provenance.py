"""Which query produced a stored table: steps record the SQL they run, the run record keeps it.

A step calls :func:`record` with the tables a query feeds and the Ibis expression (or SQL text)
it runs.  Outside a recorded run this does nothing, so step functions stay usable on their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import ibis


@dataclass
class QueryLog:
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # table, label, sql

    def add(self, tables: tuple[str, ...] | list[str] | str, label: str, sql: str) -> None:
        for t in (tables,) if isinstance(tables, str) else tables:
            self.entries.append((t, label, sql))


_current: ContextVar[QueryLog | None] = ContextVar("yibao_query_log", default=None)


def to_sql(expr: Any) -> str:
    """Query text of an Ibis expression in the DuckDB dialect (what a report's appendix cites)."""
    if isinstance(expr, str):
        return expr
    try:
        return str(ibis.to_sql(expr, dialect="duckdb"))
    except Exception:  # noqa: BLE001 - an expression Ibis cannot print is still traced by name
        return f"-- (Ibis 表达式无法转换为 SQL 文本) {type(expr).__name__}"


def record(tables: tuple[str, ...] | list[str] | str, label: str, expr: Any) -> None:
    log = _current.get()
    if log is not None:
        log.add(tables, label, to_sql(expr))


@contextmanager
def capture() -> Iterator[QueryLog]:
    log = QueryLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)
