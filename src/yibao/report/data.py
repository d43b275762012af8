"""What a report reads: stored tables of one year, and the query text behind each.

Everything here is a small aggregate of stored derived tables (finance_*, supervise_*,
settlements); the heavy work was done by the steps.  Each value comes back with its
:class:`~yibao.report.model.Source`, so the text cannot show a number it cannot trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yibao.engine.workspace import Workspace
from yibao.money import pct_text, percent, wan
from yibao.refdata import area_name
from yibao.report.model import Fig, Source
from yibao.schema import DERIVED

ZERO = Decimal("0.00")


class ReportDataMissing(ValueError):
    """A step whose tables the report needs has not run for the year; message in Chinese."""


@dataclass
class Data:
    ws: Workspace
    year: int
    _queries: dict[str, str | None] = field(default_factory=dict)
    _region: str | None = None

    # --- access ----------------------------------------------------------------------------------

    def exists(self, table: str) -> bool:
        return bool(
            self.ws.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
            ).fetchone()[0]
        )

    def rows(self, sql: str, params: list | None = None) -> list[dict[str, Any]]:
        cur = self.ws.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def year_rows(self, table: str, where: str = "", order: str = "") -> list[dict[str, Any]]:
        col = DERIVED[table].year_column if table in DERIVED else "year"
        sql = f'SELECT * FROM {table} WHERE "{col}" = ? {("AND " + where) if where else ""}'
        return self.rows(sql + (f" ORDER BY {order}" if order else ""), [self.year])

    def require(self, table: str, step: str) -> None:
        if not self.exists(table) or not self.year_rows(table):
            raise ReportDataMissing(
                f"工作区没有 {self.year} 年度的{DERIVED[table].label}(表 {table}),"
                f"请先运行 yibao {step} WORKSPACE --year {self.year} 或 yibao run"
            )

    def query(self, table: str) -> str | None:
        """The SQL text that produced ``table`` for the year: the latest successful run of its
        step that recorded a query for it (``yibao payment --method dip`` and ``--method budget``
        are one step writing different tables)."""
        if table not in self._queries:
            self._queries[table] = self._query(table)
        return self._queries[table]

    def _query(self, table: str) -> str | None:
        if not self.exists("_run_queries"):
            return None
        step = DERIVED[table].produced_by if table in DERIVED else None
        rows = self.ws.con.execute(
            "SELECT q.label, q.sql FROM _run_queries q JOIN _runs r USING (run_id) "
            "WHERE q.table_name = ? AND r.status = 'ok' AND r.year = ? AND r.step = ? "
            "AND r.run_id = (SELECT max(r2.run_id) FROM _runs r2 JOIN _run_queries q2 "
            "USING (run_id) WHERE r2.step = ? AND r2.year = ? AND r2.status = 'ok' "
            "AND q2.table_name = ?) ORDER BY q.seq",
            [table, self.year, step, step, self.year, table],
        ).fetchall()
        if not rows:
            return None
        return "\n\n".join(f"-- {label}\n{sql}" for label, sql in rows)

    # --- figures ---------------------------------------------------------------------------------

    def src(self, table: str, what: str) -> Source:
        return Source(table, what, self.query(table))

    def wan(self, amount: Decimal | None, table: str, what: str) -> Fig:
        return Fig(f"{wan(amount or ZERO):,.2f}", "万元", self.src(table, what))

    def yuan(self, amount: Decimal | None, table: str, what: str) -> Fig:
        return Fig(f"{(amount or ZERO):,.2f}", "元", self.src(table, what))

    def count(self, n: int, unit: str, table: str, what: str) -> Fig:
        return Fig(f"{int(n)}", unit, self.src(table, what))

    def rate(self, fraction: Decimal | None, table: str, what: str) -> Fig:
        shown = "—" if fraction is None else f"{percent(fraction):.2f}"
        return Fig(shown, "%", self.src(table, what))

    def plain(self, value: Decimal, unit: str, table: str, what: str) -> Fig:
        return Fig(f"{value}", unit, self.src(table, what))

    # --- region --------------------------------------------------------------------------------

    def region_label(self) -> str:
        """The region the report is about: the prefecture of several counties, or the county."""
        if self._region is None:
            self._region = self._region_label()
        return self._region

    def _region_label(self) -> str:
        code = self.ws.config.get("region")
        counties = [r["region_code"] for r in self.rows("SELECT region_code FROM regions")]
        if len(counties) > 1:
            parents = {c[:4] + "00" for c in counties}
            if len(parents) == 1:
                return area_name(parents.pop()) or self.ws.config.get("name") or "本地区"
        if code:
            return area_name(str(code)) or str(code)
        if counties:
            return area_name(counties[0]) or counties[0]
        return self.ws.config.get("name") or "本地区"

    def county_name(self, code: str) -> str:
        row = self.rows("SELECT region_name FROM regions WHERE region_code = ?", [code])
        return (row[0]["region_name"] if row and row[0]["region_name"] else None) or (
            area_name(code) or code
        )


def pct(fraction: Decimal | None) -> str:
    return "—" if fraction is None else pct_text(fraction)
