"""Evaluate a framework for a year: indicators from the workspace or inputs, scores, grade, drafts.

Without a workspace every line must be given in ``--inputs``.  With one, data-backed lines are
computed (DuckDB or PySpark) and inputs override or complete them.  Results are stored in
``indicator_values``, ``evaluate_lines`` and ``evaluate_results`` with who entered what, when and
from which file.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from yibao.engine.workspace import Workspace, replace_rows, transaction
from yibao.evaluate import scoring
from yibao.evaluate.deviation import draft, fmt
from yibao.evaluate.frameworks import Framework, Line
from yibao.evaluate.inputs import Inputs
from yibao.evaluate.tables import EVALUATE_LINES, EVALUATE_RESULTS, INDICATOR_VALUES
from yibao.indicators.compute import IndicatorValue, compute
from yibao.pipeline.contract import Note

ADJUSTMENT = "manual_adjustment"


class EvaluateError(ValueError):
    """An evaluation that cannot run (missing values without a workspace, wrong year)."""


@dataclass
class ScoredLine:
    seq: int
    line: Line | None
    code: str
    name: str
    target: str
    actual: Decimal | str | None
    completion: Decimal | None
    weight: Decimal
    score: Decimal
    source: str  # query | input | missing
    deviation: str = ""
    remedy: str = ""
    evidence: str = ""
    status: str = ""
    met: bool = True
    original: str = ""  # the source's own text when it could not be read

    def as_json(self) -> dict[str, Any]:
        ind = self.line.indicator if self.line else None
        return {
            "code": self.code,
            "name": self.name,
            "level1": self.line.path[0] if self.line and self.line.path else None,
            "level2": self.line.path[1] if self.line and len(self.line.path) > 1 else None,
            "unit": ind.unit if ind else "分",
            "direction": ind.direction if ind else None,
            "target": self.target,
            "actual": self.actual,
            "completion": self.completion,
            "weight": self.weight,
            "score": self.score,
            "source": self.source,
            "deviation": self.deviation or None,
            "remedy": self.remedy or None,
            "evidence": self.evidence or None,
            **({"unreadable": True, "original_text": self.original} if self.original else {}),
        }


@dataclass
class Evaluation:
    framework: Framework
    year: int
    lines: list[ScoredLine]
    total: Decimal
    grade: str
    values: list[IndicatorValue] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    inputs: Inputs | None = None
    computed_total: Decimal | None = None
    stated_total: Decimal | None = None
    note: str = ""
    engine: str = "duckdb"

    def summary(self) -> dict[str, Any]:
        out = {
            "framework": self.framework.name,
            "label": self.framework.label,
            "year": self.year,
            "total": self.total,
            "grade": self.grade,
            "lines": len([x for x in self.lines if x.code != ADJUSTMENT]),
            "below_target": sum(1 for x in self.lines if not x.met),
        }
        if self.stated_total is not None:
            out["stated_total"] = self.stated_total
            out["computed_total"] = self.computed_total
        if self.note:
            out["note"] = self.note
        return out


def _unscored_as_info(fw: Framework, notes: list[Note]) -> list[Note]:
    """An indicator the framework does not score that could not be computed (a step such as
    ``yibao payment`` not run) is kept as info, not shown as a warning of this evaluation."""
    scored = {ln.code for ln in fw.lines}
    return [
        replace(n, severity="info")
        if n.scope == "indicator" and n.scope_key not in scored and n.severity == "warning"
        else n
        for n in notes
    ]


def evaluate(
    fw: Framework,
    year: int,
    *,
    ws: Workspace | None = None,
    inputs: Inputs | None = None,
    engine: str = "duckdb",
    policy: Any = None,
    computed: tuple[list[IndicatorValue], list[Note]] | None = None,
) -> Evaluation:
    """``computed`` passes indicator values already computed for the year (several frameworks)."""
    given = inputs.values if inputs else {}
    values: list[IndicatorValue] = []
    notes: list[Note] = []
    if computed is not None:
        values, notes = list(computed[0]), list(computed[1])
    elif ws is not None:
        values, notes = compute(ws, year, engine=engine, policy=policy)
    else:
        missing = [ln.code for ln in fw.lines if ln.code not in given]
        if missing:
            raise EvaluateError(
                f"未指定工作区时,框架 {fw.name} 的每个指标都要在 --inputs 中给出;"
                f"缺少: {', '.join(missing)}"
            )
    notes = _unscored_as_info(fw, notes)
    if not fw.applies(year):
        notes.append(
            Note(
                "framework_dates",
                f"框架 {fw.name} 适用于 {fw.valid_from} 起,{year} 年不在其适用期内",
                "warning",
            )
        )
    totals = {v.code: v for v in values if v.region_code is None}
    names = _region_names(ws)
    lines = []
    for seq, ln in enumerate(fw.lines, 1):
        lines.append(
            _line(
                seq,
                ln,
                fw,
                year,
                given.get(ln.code),
                totals.get(ln.code),
                values,
                names,
                ws,
                inputs,
            )
        )
    for adj in inputs.adjustments if inputs else []:
        lines.append(
            ScoredLine(
                len(lines) + 1,
                None,
                ADJUSTMENT,
                "自评分调整",
                "",
                None,
                None,
                Decimal(0),
                adj.points,
                "input",
                deviation=adj.reason,
                evidence=adj.quote,
                status="已确认",
            )
        )
    computed = scoring.total([x.score for x in lines if x.code != ADJUSTMENT])
    total = scoring.total([x.score for x in lines])
    ev = Evaluation(fw, year, lines, total, fw.grade(total), values, notes, inputs, engine=engine)
    _stated(ev, computed)
    for x in lines:
        if not x.met:
            notes.append(
                Note("below_target", f"{x.name}: {x.deviation}", "warning", "indicator", x.code)
            )
    return ev


def _stated(ev: Evaluation, computed: Decimal) -> None:
    """Compare with the total the source document states (facts files), never forcing it."""
    stated = (ev.inputs.stated if ev.inputs else {}).get("total")
    if stated is None:
        return
    ev.stated_total, ev.computed_total = Decimal(str(stated)), computed
    if ev.stated_total == computed:
        ev.note = f"与原文自评分 {stated} 分一致"
    else:
        met = all(x.met for x in ev.lines if x.code != ADJUSTMENT)
        why = "各项指标均达到目标," if met else ""
        ev.note = (
            f"按指标计算得 {computed} 分,原文自评 {stated} 分;{why}相差的 "
            f"{abs(computed - ev.stated_total)} 分原文没有说明理由"
        )


def _line(
    seq: int,
    ln: Line,
    fw: Framework,
    year: int,
    given: Any,
    computed: IndicatorValue | None,
    values: list[IndicatorValue],
    names: dict[str, str],
    ws: Workspace | None,
    inputs: Inputs | None,
) -> ScoredLine:
    unit = ln.indicator.unit
    target = ln.target.text if ln.target.op == "level" else fmt(ln.target.text, unit)
    actual: Decimal | str | None = None
    source, evidence, share, text, quote = "missing", "", None, "", ""
    if given is not None:
        source, actual, share, text, quote = (
            "input",
            given.value,
            given.share,
            given.text,
            given.quote,
        )
        evidence = given.quote + (f"({given.basis})" if given.basis else "")
    elif computed is not None and computed.value is not None:
        source, actual, evidence = "query", computed.value, f"查询 {ln.code}(indicator_values)"
    if actual is None:
        score, completion, met = Decimal("0.00"), None, False
    else:
        score = scoring.score(ln, actual, fw.bands, share)
        completion = scoring.completion(ln.target, ln.rule, actual)
        met = scoring.meets(ln, actual)
    dev = remedy = ""
    if not met:
        regions = [v for v in values if v.code == ln.code and v.region_code]
        con = ws.con if ws is not None else None
        try:
            dev, remedy = draft(ln, actual, regions, names, con, year, quote, text)
        except duckdb.Error:
            dev, remedy = draft(ln, actual, regions, names, None, None, quote, text)
    status = "草稿" if dev else ""
    confirmed = (inputs.deviations if inputs else {}).get(ln.code)
    if confirmed:
        dev = confirmed.get("cause", dev)
        remedy = confirmed.get("remedy", remedy)
        status = "已确认"
    return ScoredLine(
        seq,
        ln,
        ln.code,
        ln.name,
        target,
        actual,
        completion,
        ln.weight,
        score,
        source,
        dev,
        remedy,
        evidence,
        status,
        met,
        text if actual is None else "",
    )


def _region_names(ws: Workspace | None) -> dict[str, str]:
    if ws is None:
        return {}
    try:
        rows = ws.con.execute("SELECT region_code, region_name FROM regions").fetchall()
    except duckdb.Error:
        return {}
    return {r[0]: r[1] or r[0] for r in rows}


# --- storing -------------------------------------------------------------------------------------


def _who(ev: Evaluation, user: str | None) -> dict[str, Any]:
    inp = ev.inputs
    return {
        "entered_by": inp.entered_by if inp else (user or getpass.getuser()),
        "entered_at": inp.entered_at if inp else dt.datetime.now().replace(microsecond=0),
        "input_file": inp.file if inp else None,
    }


def store(ws: Workspace, ev: Evaluation, user: str | None = None) -> dict[str, int]:
    """Replace the year's indicator values and this framework's lines and result."""
    who = _who(ev, user)
    vals = [_value_row(v, ev) for v in ev.values]
    lines = [_line_row(x, ev, who) for x in ev.lines]
    s = ev.summary()
    result = {
        "year": ev.year,
        "framework": ev.framework.name,
        "label": ev.framework.label,
        "reference": ev.framework.reference,
        "total": ev.total,
        "grade": ev.grade,
        "lines": s["lines"],
        "below_target": s["below_target"],
        "stated_total": ev.stated_total,
        "note": ev.note or None,
        "engine": ev.engine,
        **who,
    }
    con = ws.con
    fw_where = f"year = {int(ev.year)} AND framework = '{ev.framework.name.replace(chr(39), '')}'"
    with transaction(con):
        _put(con, INDICATOR_VALUES, vals, f"year = {int(ev.year)}")
        _put(con, EVALUATE_LINES, lines, fw_where)
        _put(con, EVALUATE_RESULTS, [result], fw_where)
    return {"indicator_values": len(vals), "evaluate_lines": len(lines), "evaluate_results": 1}


def _put(con: duckdb.DuckDBPyConnection, table: Any, rows: list[dict], where: str) -> None:
    schema = table.arrow_schema()
    data = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    name = f"_ev_{table.name}"
    con.register(name, data)
    try:
        replace_rows(con, table, f"SELECT * FROM {name}", where=where)  # noqa: S608
    finally:
        con.unregister(name)


def _value_row(v: IndicatorValue, ev: Evaluation) -> dict[str, Any]:
    return {
        "year": v.year,
        "code": v.code,
        "name": v.as_json()["name"],
        "region_code": v.region_code,
        "value": v.value if isinstance(v.value, Decimal) else None,
        "unit": v.unit,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "sample_size": v.extra.get("sample_size"),
        "ci95_low": v.extra.get("ci95_low"),
        "ci95_high": v.extra.get("ci95_high"),
        "engine": ev.engine,
    }


def _line_row(x: ScoredLine, ev: Evaluation, who: dict[str, Any]) -> dict[str, Any]:
    j = x.as_json()
    unit = j["unit"] or ""
    actual = (
        x.actual
        if isinstance(x.actual, str)
        else fmt(x.actual, unit)
        if x.actual is not None
        else None
    )
    return {
        "year": ev.year,
        "framework": ev.framework.name,
        "seq": x.seq,
        "code": x.code,
        "name": x.name,
        "level1": j["level1"],
        "level2": j["level2"],
        "unit": unit,
        "direction": j["direction"],
        "target": x.target,
        "actual": actual,
        "completion": x.completion,
        "weight": x.weight,
        "score": x.score,
        "source": x.source,
        "evidence": x.evidence or None,
        "deviation": x.deviation or None,
        "remedy": x.remedy or None,
        "status": x.status or None,
        **who,
    }
