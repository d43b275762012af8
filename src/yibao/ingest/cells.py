"""The prepared table's cells as the checks read them: typed value, text, emptiness, ID problem.

Shared by the per-cell checks (:mod:`yibao.ingest.validate`) and the checks across cells and rows
(:mod:`yibao.ingest.row_checks`).
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from yibao.identity.engine import certno_problem
from yibao.schema import TABLES
from yibao.schema.model import Column

ROW = "_row"
#: The engine type a text cell of each parsed type is cast to.
PARSE_TYPE = {"money": "decimal(18,2)", "int": "int64", "date": "date", "timestamp": "timestamp"}

#: Identifier columns compared after :func:`yibao.ingest.keys.key_expr` (every string key
#: column of every table, and the identifiers other tables refer to).
KEY_COLUMNS = frozenset(
    c.name
    for t in TABLES.values()
    for c in t.columns
    if c.dtype == "string" and c.codes is None and c.check is None and c.name in t.key
) | {"psn_no", "fixmedins_code", "setl_id", "mdtrt_id"}


def error_rows(
    t: ir.Table, mask: ir.BooleanValue, column: str, value: ir.Value, reason: ir.StringValue | str
) -> ir.Table:
    """One error row per cell ``mask`` selects: every check returns this shape, so that the
    loader unions them into one table (``ERROR_SCHEMA``)."""
    hit = t.filter(mask)
    return hit.select(
        _row=hit[ROW].cast("int64"),
        column_name=ibis.literal(column),
        value=value.cast("string"),
        reason=reason if isinstance(reason, ir.Value) else ibis.literal(reason),
    )


def id_problem(t: ir.Table, col: str, today: date) -> ir.StringValue:
    """The GB 11643 problem of an ID column, from ``prepare`` where it was computed."""
    name = f"p__{col}"
    return t[name] if name in t.columns else certno_problem(t[f"s__{col}"], today)


def typed_value(t: ir.Table, col: Column) -> ir.Value:
    """Typed value of a prepared column (text columns are their cleaned text)."""
    return t[f"s__{col.name}"] if col.dtype == "string" else t[f"v__{col.name}"]


def cell_text(t: ir.Table, col: Column) -> ir.StringValue:
    """Cleaned text of a prepared cell, as a check shows it or a key compares it.

    :func:`yibao.ingest.validate.prepare` stores no text for a canonical typed cell
    (``2021-03-05 08:00:00``, ``37.00``): 13 of the claims' 43 prepared columns.  Its typed
    value prints back as exactly that text, on either engine, because that round trip is the
    fast path's test.  Apply it after a filter where possible: it casts every row it sees.
    """
    s = t[f"s__{col.name}"]
    return ibis.coalesce(s, t[f"v__{col.name}"].cast("string")) if col.dtype in PARSE_TYPE else s


def cell_missing(t: ir.Table, col: Column) -> ir.BooleanValue:
    """An empty cell (a canonical typed cell has a value and no stored text)."""
    s = t[f"s__{col.name}"]
    return s.isnull() & t[f"v__{col.name}"].isnull() if col.dtype in PARSE_TYPE else s.isnull()
