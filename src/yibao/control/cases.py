"""Inspection cases: opened from findings, inspected, concluded, 追回 and 处罚 recorded, closed.

Cases are what people do, so they live in the control plane; the ``cases`` step copies them
into the workspace (``supervise_cases``, ``supervise_case_findings``) so that indicators
(``inspections_count``, ``recovered_amount``, ``penalty_amount``, ``supervision_confirmed_rate``)
are computed from the case records like every other indicator, never typed in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.control.audit import audit
from yibao.control.models import Case, CaseFinding, now
from yibao.money import fen_exact, from_fen, is_whole_fen
from yibao.pipeline.contract import RunContext, StepResult
from yibao.schema.model import Column, DType, Table

STATUSES = ("立案", "检查", "结论", "已结案")
CONCLUSIONS = ("属实", "不属实")


class CaseError(Exception):
    """A case action that is not allowed now (Chinese message)."""


def c(name: str, dtype: DType, label: str, unit: str = "", desc: str = "") -> Column:
    return Column(name, dtype, label, desc, unit=unit)


SUPERVISE_CASES = Table(
    "supervise_cases",
    "稽核案件",
    "One row per inspection case recorded in the workbench (year of the findings).",
    columns=(
        c("year", "int32", "年度"),
        c("case_id", "int", "案件编号"),
        c("fixmedins_code", "string", "定点医药机构编号"),
        c("fixmedins_name", "string", "定点医药机构名称"),
        c("region_code", "string", "区划代码"),
        c("status", "string", "状态", desc="立案/检查/结论/已结案"),
        c("inspected", "bool", "已现场检查"),
        c("conclusion", "string", "结论", desc="属实/不属实"),
        c("recovered", "money", "追回金额", "元"),
        c("penalty", "money", "罚款金额", "元"),
        c("findings", "int", "线索数", "条"),
        c("closed_at", "timestamp", "结案时间"),
    ),
    key=("case_id",),
    produced_by="cases",
    year_column="year",
)
SUPERVISE_CASE_FINDINGS = Table(
    "supervise_case_findings",
    "稽核案件线索",
    "One row per finding a case was opened from, with the case's conclusion.",
    columns=(
        c("year", "int32", "年度"),
        c("case_id", "int", "案件编号"),
        c("rule", "string", "规则代码"),
        c("key", "string", "线索键"),
        c("region_code", "string", "区划代码"),
        c("conclusion", "string", "结论", desc="空:未结案"),
    ),
    key=("case_id", "rule", "key"),
    produced_by="cases",
    year_column="year",
)
SUPERVISE_FINDING_REGIONS = Table(
    "supervise_finding_regions",
    "监管线索所属区划",
    "One row per finding: the county it belongs to (the person's fund of the year, else the "
    "institution's), so that region scopes filter findings without scanning enrolments.",
    columns=(
        c("year", "int32", "年度"),
        c("rule", "string", "规则代码"),
        c("key", "string", "线索键"),
        c("region_code", "string", "区划代码", desc="参保人当年参保地;无参保人时为机构所在县"),
    ),
    key=("year", "rule", "key"),
    produced_by="cases",
    year_column="year",
)
CASE_TABLES = (SUPERVISE_CASES, SUPERVISE_CASE_FINDINGS, SUPERVISE_FINDING_REGIONS)

#: The region of each finding, set-based (one row per finding).
FINDING_REGIONS_SQL = """
WITH f AS (SELECT year, rule, key, psn_no, fixmedins_code FROM supervise_findings),
person AS (
  SELECT e.year, e.psn_no, min(e.region_code) AS p_region FROM enrolments e
  SEMI JOIN (SELECT DISTINCT year, psn_no FROM f WHERE psn_no IS NOT NULL) k
    ON k.psn_no = e.psn_no AND k.year = e.year
  GROUP BY e.year, e.psn_no)
SELECT f.year, f.rule, f.key, coalesce(p.p_region, i.region_code) AS region_code
FROM f LEFT JOIN person p ON p.psn_no = f.psn_no AND p.year = f.year
LEFT JOIN institutions i ON i.fixmedins_code = f.fixmedins_code
"""


def fen(amount: str | Decimal) -> int:
    """Yuan text (``1234.5``) → integer fen; refuses negatives and non-numbers in Chinese."""
    try:
        d = Decimal(str(amount).replace(",", "").strip() or "0")
    except ArithmeticError:
        raise CaseError(f"金额“{amount}”不是数字") from None
    if not d.is_finite():
        raise CaseError(f"金额“{amount}”不是数字")
    if d < 0:
        raise CaseError("金额不能为负")
    if not is_whole_fen(d):
        raise CaseError(f"金额“{amount}”最多两位小数(元、角、分)")
    return fen_exact(d)


def yuan(f: int) -> Decimal:
    return from_fen(f)


def _state(k: Case) -> dict[str, Any]:
    return {
        "status": k.status,
        "inspected_at": k.inspected_at,
        "inspection_notes": k.inspection_notes,
        "conclusion": k.conclusion,
        "conclusion_reason": k.conclusion_reason,
        "recovered_fen": k.recovered_fen,
        "penalty_fen": k.penalty_fen,
    }


def open_case(
    s: Session, who: Any, year: int, findings: list[dict[str, Any]], address: str = ""
) -> Case:
    """One case for one institution from one or more of its findings."""
    if not findings:
        raise CaseError("请至少选择一条线索")
    codes = {f["fixmedins_code"] for f in findings}
    if len(codes) != 1:
        raise CaseError("一个案件只针对一家定点医药机构:所选线索属于不同机构")
    f0 = findings[0]
    k = Case(
        year=year,
        fixmedins_code=f0["fixmedins_code"] or "",
        fixmedins_name=f0.get("fixmedins_name") or "",
        region_code=f0.get("region_code") or "",
        status="立案",
        opened_by=who.name,
    )
    s.add(k)
    s.flush()
    for f in findings:
        s.add(
            CaseFinding(
                case_id=k.id,
                year=year,
                rule=f["rule"],
                key=f["key"],
                amount_fen=fen(f.get("amount") or 0),
            )
        )
    after = {
        "fixmedins_code": k.fixmedins_code,
        # rule and rank, never the key: a person rule's key is the ID number
        "findings": [(f["rule"], f.get("rank")) for f in findings],
    }
    audit(s, who.name, who.role, "case.open", "case", k.id, after=after, address=address)
    return k


def _editable(k: Case) -> None:
    if k.status == "已结案":
        raise CaseError(f"案件 {k.id} 已结案,不能再修改")


def record_inspection(
    s: Session, who: Any, k: Case, day: dt.date, notes: str, address: str = ""
) -> None:
    _editable(k)
    if not notes.strip():
        raise CaseError("请填写现场检查情况")
    before = _state(k)
    k.inspected_at = dt.datetime.combine(day, dt.time())
    k.inspection_notes = notes.strip()
    k.status = "检查"
    audit(
        s,
        who.name,
        who.role,
        "case.inspect",
        "case",
        k.id,
        before=before,
        after=_state(k),
        address=address,
    )


def record_conclusion(
    s: Session,
    who: Any,
    k: Case,
    conclusion: str,
    reason: str,
    recovered: str,
    penalty: str,
    address: str = "",
) -> None:
    _editable(k)
    if k.inspected_at is None:
        raise CaseError("请先记录现场检查")
    if conclusion not in CONCLUSIONS:
        raise CaseError(f"结论应为 {'或'.join(CONCLUSIONS)}")
    if not reason.strip():
        raise CaseError("请填写结论理由")
    rec, pen = fen(recovered), fen(penalty)
    if conclusion == "不属实" and (rec or pen):
        raise CaseError("结论为不属实时不能有追回或处罚金额")
    before = _state(k)
    k.conclusion, k.conclusion_reason = conclusion, reason.strip()
    k.recovered_fen, k.penalty_fen = rec, pen
    k.status = "结论"
    audit(
        s,
        who.name,
        who.role,
        "case.conclude",
        "case",
        k.id,
        before=before,
        after=_state(k),
        address=address,
    )


def close_case(s: Session, who: Any, k: Case, address: str = "") -> None:
    _editable(k)
    if k.conclusion is None:
        raise CaseError("请先记录结论后再结案")
    before = _state(k)
    k.status, k.closed_at = "已结案", now()
    audit(
        s,
        who.name,
        who.role,
        "case.close",
        "case",
        k.id,
        before=before,
        after=_state(k),
        address=address,
    )


def case_findings(s: Session, case_id: int) -> list[CaseFinding]:
    return list(s.scalars(select(CaseFinding).where(CaseFinding.case_id == case_id)))


def _rows(s: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases, links = [], []
    for k in s.scalars(select(Case).order_by(Case.id)):
        fs = case_findings(s, k.id)
        closed = k.status == "已结案"
        cases.append(
            {
                "year": k.year,
                "case_id": k.id,
                "fixmedins_code": k.fixmedins_code,
                "fixmedins_name": k.fixmedins_name,
                "region_code": k.region_code or None,
                "status": k.status,
                "inspected": k.inspected_at is not None,
                "conclusion": k.conclusion if closed else None,
                "recovered": yuan(k.recovered_fen) if closed else Decimal("0.00"),
                "penalty": yuan(k.penalty_fen) if closed else Decimal("0.00"),
                "findings": len(fs),
                "closed_at": k.closed_at,
            }
        )
        for f in fs:
            links.append(
                {
                    "year": f.year,
                    "case_id": k.id,
                    "rule": f.rule,
                    "key": f.key,
                    "region_code": k.region_code or None,
                    "conclusion": k.conclusion if closed else None,
                }
            )
    return cases, links


class CaseSyncStep:
    """Copy the control plane's cases into the workspace (all years: cases are few)."""

    name = "cases"
    label = "稽核案件同步"
    reads: tuple[str, ...] = ()

    def __init__(self, cp: Any = None) -> None:
        self.cp = cp  # the workspace's own control plane when None

    def run(self, ctx: RunContext) -> StepResult:
        from yibao.control.db import open_control
        from yibao.engine.workspace import replace_rows, transaction

        with (self.cp or open_control(ctx.ws.path)).session() as s:
            cases, links = _rows(s)
        con = ctx.ws.con
        with transaction(con):
            for table, rows in ((SUPERVISE_CASES, cases), (SUPERVISE_CASE_FINDINGS, links)):
                schema = table.arrow_schema()
                data = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
                name = f"_src_{table.name}"
                con.register(name, data)
                try:
                    replace_rows(con, table, f"SELECT * FROM {name}", where="true")
                finally:
                    con.unregister(name)
            have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if {"supervise_findings", "enrolments", "institutions"} <= have:
                replace_rows(con, SUPERVISE_FINDING_REGIONS, FINDING_REGIONS_SQL, where="true")
        year_rows = sum(1 for r in cases if ctx.year is None or r["year"] == ctx.year)
        ctx.progress(f"已同步 {len(cases)} 个稽核案件")
        return StepResult(
            tables={SUPERVISE_CASES.name: year_rows, SUPERVISE_CASE_FINDINGS.name: len(links)}
        )
