"""``yibao trace``: from a stored row back to the run that wrote it and the file rows it came from.

A derived row names its producing step (registry) and year; the latest successful run of that
step for the year gives the policy, engine, input loads and the SQL text of every query that fed
the table.  Its lineage predicates find the source rows, whose ``_load_id`` and ``_row`` lead to
``_loads``: the file name and the row numbers a user can open in Excel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yibao.engine.workspace import Workspace
from yibao.privacy import mask_record
from yibao.schema import ALL_TABLES, any_table
from yibao.schema.model import Table

MAX_ROWS = 20  # file rows listed per source file


class TraceError(ValueError):
    """A request trace cannot answer (unknown table or column); message in Chinese."""


@dataclass
class SourceFile:
    table: str
    load_id: int
    file_name: str
    rows: int
    row_numbers: list[int]


@dataclass
class RowTrace:
    row: dict[str, Any]
    run: dict[str, Any] | None = None
    queries: list[tuple[str, str]] = field(default_factory=list)  # label, sql
    sources: list[SourceFile] = field(default_factory=list)


def parse_where(table: Table, items: list[str]) -> tuple[str, list[Any]]:
    """``col=value`` pairs → a parameterised predicate; columns must be declared."""
    parts, params = [], []
    names = set(table.column_names) | ({"_load_id", "_row"} if not table.derived else set())
    for item in items:
        col, sep, value = item.partition("=")
        col = col.strip()
        if not sep or col not in names:
            known = "、".join(table.column_names)
            raise TraceError(f"条件 {item!r} 应写作 列名=值,列名须为表 {table.name} 的列: {known}")
        parts.append(f'CAST("{col}" AS VARCHAR) = ?')
        params.append(value.strip())
    return (" AND ".join(parts) or "TRUE"), params


def _latest_run(ws: Workspace, step: str, year: Any) -> dict[str, Any] | None:
    exists = ws.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = '_runs'"
    ).fetchone()[0]
    if not exists:
        return None
    cur = ws.con.execute(
        "SELECT * FROM _runs WHERE step = ? AND status = 'ok' AND (year = ? OR ? IS NULL) "
        "ORDER BY run_id DESC LIMIT 1",
        [step, year, year],
    )
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))


def _sources_canonical(ws: Workspace, name: str, where: str, params: list) -> list[SourceFile]:
    rows = ws.con.execute(
        f"SELECT s._load_id, l.file_name, count(*), list(s._row ORDER BY s._row)[:{MAX_ROWS}] "
        f"FROM ({where}) s JOIN _loads l ON l.load_id = s._load_id GROUP BY 1, 2 ORDER BY 1",
        params,
    ).fetchall()
    return [SourceFile(name, lid, fname, n, list(nums)) for lid, fname, n, nums in rows]


def trace(
    ws: Workspace, table_name: str, where: list[str] | None = None, limit: int = 5
) -> list[RowTrace]:
    try:
        table = any_table(table_name)
    except KeyError as exc:
        raise TraceError(str(exc.args[0])) from None
    pred, params = parse_where(table, where or [])
    cur = ws.con.execute(f"SELECT * FROM {table.name} WHERE {pred} LIMIT {int(limit)}", params)
    cols = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(cols, values, strict=True))
        rt = RowTrace(row=mask_record(table.name, row))
        if not table.derived:
            rt.sources = _sources_canonical(
                ws,
                table.name,
                f"SELECT _load_id, _row FROM {table.name} WHERE _load_id = ? AND _row = ?",
                [row["_load_id"], row["_row"]],
            )
        else:
            rt.run = _latest_run(ws, table.produced_by, row.get(table.year_column or "year"))
            if rt.run is not None:
                rt.queries = ws.con.execute(
                    "SELECT label, sql FROM _run_queries WHERE run_id = ? AND table_name = ? "
                    "ORDER BY seq",
                    [rt.run["run_id"], table.name],
                ).fetchall()
                if row.get("rule"):  # a finding: only its own rule's query
                    rt.queries = [
                        q for q in rt.queries if (q[0] or "").startswith(f"{row['rule']} ")
                    ]
            rt.sources = _derived_sources(ws, table, row)
        out.append(rt)
    return out


def _derived_sources(ws: Workspace, table: Table, row: dict[str, Any]) -> list[SourceFile]:
    """Source rows through each lineage predicate, with this row's values as parameters."""
    out = []
    for lin in table.lineage:
        if lin.source not in ALL_TABLES or ALL_TABLES[lin.source].derived:
            continue
        used = sorted((c for c in table.column_names if f"t.{c}" in lin.on), key=len, reverse=True)
        if any(row.get(c) is None for c in used):
            continue
        on = lin.on
        for c in used:
            on = on.replace(f"t.{c}", f"${c}")
        sql = f"SELECT s._load_id, s._row FROM {lin.source} s WHERE {on}"
        out += _sources_canonical(ws, lin.source, sql, {c: row[c] for c in used})
    return out
