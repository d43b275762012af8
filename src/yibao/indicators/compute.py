"""Run data-backed indicators on a workspace, on DuckDB or PySpark, into exact values.

Each query is a few aggregations over the workspace (one row per county plus the total); the
values are derived in Python from the exact numerator and denominator, so both engines give the
same digits.  An indicator whose tables are missing (a step not yet run) is skipped with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yibao.engine.backend import connect_engine, expose_to_spark
from yibao.engine.workspace import Workspace
from yibao.indicators.registry import INDICATORS, Indicator, Source, get_indicator, load_library
from yibao.money import percent, round_places
from yibao.pipeline import provenance
from yibao.pipeline.contract import Note

#: 95 % normal quantile for the Wilson interval.
Z95 = Decimal("1.959964")


@dataclass(frozen=True)
class IndicatorValue:
    """One indicator for one region (``region_code`` None: the whole workspace) and year."""

    code: str
    year: int
    region_code: str | None
    value: Decimal | str | None
    unit: str
    numerator: Decimal | None
    denominator: Decimal | None
    source: str = "query"  # query | input
    sql: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        ind = INDICATORS.get(self.code)
        return {
            "code": self.code,
            "name": ind.name if ind else self.code,
            "year": self.year,
            "region_code": self.region_code,
            "value": self.value,
            "unit": self.unit,
            "numerator": self.numerator,
            "denominator": self.denominator,
            **self.extra,
        }


def wilson(k: Decimal, n: Decimal) -> tuple[Decimal, Decimal]:
    """95 % Wilson score interval of k successes in n, as percentages (half-up, 2 places)."""
    p, z2 = k / n, Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 / denom * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    return percent(max(centre - half, Decimal(0))), percent(min(centre + half, Decimal(1)))


def existing_tables(ws: Workspace) -> set[str]:
    rows = ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def _missing(ind: Indicator, have: set[str]) -> list[str]:
    return [s for s in ind.sources if ":" not in s and s not in have]


def _without_year(ws: Workspace, ind: Indicator, year: int) -> list[str]:
    """The indicator's ``year_tables`` that hold no row of ``year`` (a step not run for it)."""
    from yibao.engine.sql import sql_ident
    from yibao.schema.derived import derived_table

    out = []
    for name in ind.year_tables:
        col = derived_table(name).year_column or "year"
        q = f"SELECT 1 FROM {sql_ident(name)} WHERE {sql_ident(col)} = ? LIMIT 1"
        if ws.con.execute(q, [year]).fetchone() is None:
            out.append(name)
    return out


def data_codes(codes: list[str] | None = None) -> list[str]:
    load_library()
    names = codes or list(INDICATORS)
    return [c for c in names if get_indicator(c).data_backed]


def compute(
    ws: Workspace,
    year: int,
    codes: list[str] | None = None,
    *,
    engine: str = "duckdb",
    policy: Any = None,
) -> tuple[list[IndicatorValue], list[Note]]:
    """Every requested data-backed indicator for ``year``: region rows then the total row."""
    wanted = data_codes(codes)
    have = existing_tables(ws)
    notes: list[Note] = []
    runnable = []
    for code in wanted:
        ind = get_indicator(code)
        missing = _missing(ind, have)
        needs_policy = (
            any(s.startswith("policy:") for s in ind.sources) or code == "ci_policy_ratio"
        )
        if missing:
            hint = ind.hint.format(year=year) if ind.hint else "请先运行 yibao run 的相应步骤"
            notes.append(
                Note(
                    "indicator_missing_table",
                    f"指标 {code}({ind.name})缺少表 {'、'.join(missing)},未计算({hint})",
                    "warning",
                    "indicator",
                    code,
                )
            )
        elif empty := _without_year(ws, ind, year):
            hint = ind.hint.format(year=year) if ind.hint else "请先运行生成该表的步骤"
            notes.append(
                Note(
                    "indicator_missing_year",
                    f"指标 {code}({ind.name})所需的表 {'、'.join(empty)} 没有 {year} 年度的数据,"
                    f"未计算({hint})",
                    "warning",
                    "indicator",
                    code,
                )
            )
        elif needs_policy and policy is None:
            notes.append(
                Note(
                    "indicator_needs_policy",
                    f"指标 {code} 需要政策参数,未计算",
                    "warning",
                    "indicator",
                    code,
                )
            )
        else:
            runnable.append(ind)
    backend = connect_engine(engine, ws)  # type: ignore[arg-type]
    if engine == "pyspark":
        tables = sorted({s for ind in runnable for s in ind.sources if ":" not in s})
        expose_to_spark(ws, backend, tables)
    src, cited = Source(backend, year, policy, share=True), Source(backend, year, policy)
    try:
        out = _run_all(runnable, src, cited, year, notes)
    finally:
        src.release()
    return out, notes


def _run_all(
    runnable: list[Indicator], src: Source, cited: Source, year: int, notes: list[Note]
) -> list[IndicatorValue]:
    """Each query runs on the shared helper tables; the SQL recorded for it is the same query
    with them inlined (``cited``), which gives the same sums from workspace tables alone."""
    backend = src.backend
    out: list[IndicatorValue] = []
    for ind in runnable:
        try:
            expr = ind.query(src)  # type: ignore[misc]
            sql = provenance.to_sql(ind.query(cited))  # type: ignore[misc]
        except LookupError as exc:
            notes.append(
                Note(
                    "indicator_no_parameter",
                    f"指标 {ind.code}: {exc}",
                    "warning",
                    "indicator",
                    ind.code,
                )
            )
            continue
        provenance.record(("indicator_values",), ind.code, sql)
        rows = backend.to_pyarrow(expr).to_pylist()
        rows.sort(key=lambda r: (r["region_code"] is None, r["region_code"] or ""))
        for r in rows:
            out.append(_value(ind, year, r, sql))
    return out


def _clean(x: Any) -> Decimal | None:
    """Exact sums as Decimal; whole numbers (counts, people) without a ".00"."""
    if x is None:
        return None
    d = Decimal(x)
    return round_places(d, 0) if d == d.to_integral_value() else d


def _value(ind: Indicator, year: int, row: dict[str, Any], sql: str) -> IndicatorValue:
    num = row["numerator"]
    den = row["denominator"]
    extra: dict[str, Any] = {}
    if ind.code == "satisfaction_rate" and den:
        lo, hi = wilson(Decimal(num), Decimal(den))
        extra = {"sample_size": int(den), "ci95_low": lo, "ci95_high": hi}
    return IndicatorValue(
        code=ind.code,
        year=year,
        region_code=row["region_code"],
        value=ind.value(num, den),
        unit=ind.unit,
        numerator=_clean(num),
        denominator=_clean(den),
        sql=sql,
        extra=extra,
    )
