"""Drafted 偏离原因 and 改进措施 for every line below target, written from the data.

The draft names what drove the shortfall and by how much: the counties under the target (and
how many people or yuan short), the county × level that was short-paid, the hospitals that pulled
a reimbursement ratio down, the budget projects that were not spent.  A person confirms or edits
the drafts (``deviations:`` in ``--inputs``); stored lines say which it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.evaluate.frameworks import Line
from yibao.indicators.compute import IndicatorValue
from yibao.money import percent, round_fen, round_places

REMEDIES = {
    "coverage_rate_registered": (
        "对未达目标的县区开展参保扩面,与公安户籍、民政、教育数据比对,逐户核查未参保人员并动员参保"
    ),
    "coverage_rate_resident": (
        "对未达目标的县区开展参保扩面,与公安户籍、民政、教育数据比对,逐户核查未参保人员并动员参保"
    ),
    "resident_coverage_rate": "加强城乡居民医保征缴宣传,对未达目标的县区逐户核查未参保人员",
    "subsidy_arrival_rate": "对短缺的级次发函催拨,按季度跟踪到位进度,年终清算时如实反映",
    "budget_execution_rate": (
        "加快项目实施和资金支付进度,对执行缓慢的项目按月调度,结余资金按规定收回或结转"
    ),
    "inpatient_policy_ratio": (
        "对报销比例偏低的医院开展专项检查,核查目录外费用和起付线执行情况,规范诊疗行为"
    ),
    "inpatient_actual_ratio": "控制目录外费用,对自付比例高的医院约谈并纳入协议考核",
    "ci_policy_ratio": "核查大病保险承办机构的赔付计算,确保分段比例执行到位",
    "reserve_months": (
        "加强基金收支预算管理,控制不合理支出增长,逐步将累计结余恢复到 6–9 个月的合理区间"
    ),
    "satisfaction_rate": "针对不满意的事项改进经办服务,下一年度扩大调查样本",
    "duplicate_enrolment_count": (
        "与职工医保和其他统筹区数据比对,清理重复参保并追回重复享受的财政补助"
    ),
    "invalid_enrolment_count": "清理身份证号无效和死亡人员的参保登记,追回相应补助",
    "cost_per_admission": "对次均费用偏高的医院开展费用监测和专项检查,推进支付方式改革",
    "inpatient_rate": "加强住院指征审核,防范分解住院、挂床住院",
    "avg_length_of_stay": "对住院日偏长的医院加强病案审核",
}
#: Rates of persons over a population: the draft says how many people short.
PERSON_RATES = ("coverage_rate_registered", "coverage_rate_resident", "resident_coverage_rate")
GENERIC_REMEDY = "分析未达目标的原因,制定整改计划,下一年度跟踪该指标并在自评中说明"


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value}{unit}" if unit in ("%",) else f"{value} {unit}".strip()


def gap_text(line: Line, actual: Decimal) -> str:
    t = line.target
    goal = t.value if t.op != "range" else (t.low if actual < (t.low or 0) else t.high)
    if goal is None:
        return ""
    gap = abs(goal - actual)
    gap = round_places(gap, 0) if gap == gap.to_integral_value() else round_places(gap, 2)
    return f",差 {fmt(gap, line.indicator.unit)}"


def draft(
    line: Line,
    actual: Decimal | str | None,
    regions: list[IndicatorValue],
    names: dict[str, str],
    con: Any = None,
    year: int | None = None,
    quote: str = "",
    text: str = "",
) -> tuple[str, str]:
    """(偏离原因, 改进措施) for a line below target; the data decides the words."""
    ind = line.indicator
    remedy = REMEDIES.get(line.code, GENERIC_REMEDY)
    if actual is None:
        if text:
            return (
                f"原文实际值无法辨认(原文“{text}”),未能评分;需向项目单位核实",
                "向项目单位核实该指标的实际值",
            )
        return "没有实际值:工作区无法计算且输入文件未提供,未能评分", "补充该指标的实际值和证据"
    if isinstance(actual, str):
        cause = f"实际为“{actual}”,未达到“{line.target.text}”"
    else:
        goal = fmt(line.target.text, ind.unit)
        cause = f"实际 {fmt(actual, ind.unit)},目标 {goal}{gap_text(line, actual)}"
    if quote:
        cause += f"(依据:{quote})"
    parts = [cause]
    if not isinstance(actual, str):
        parts += _regions(line, regions, names)
    if con is not None and year is not None:
        extra = DRILL.get(line.code)
        if extra:
            parts += extra(con, year, line, names)
    return ";".join(p for p in parts if p), remedy


def _short(line: Line, v: IndicatorValue) -> bool:
    from yibao.evaluate.scoring import meets

    return v.value is not None and not meets(line, v.value)


def _regions(line: Line, regions: list[IndicatorValue], names: dict[str, str]) -> list[str]:
    short = [v for v in regions if v.region_code and _short(line, v)]
    if not short:
        return []
    unit = line.indicator.unit
    words = []
    for v in short[:5]:
        w = f"{names.get(v.region_code or '', v.region_code)} {fmt(v.value, unit)}"
        t = line.target.value
        if line.code in PERSON_RATES and t is not None and v.denominator:
            need = t / 100 * v.denominator - (v.numerator or 0)
            if need > 0:
                w += f"(距目标约差 {round_places(need, 0)} 人参保)"
        words.append(w)
    more = f" 等 {len(short)} 个" if len(short) > 5 else ""
    return [f"未达目标的县区:{'、'.join(words)}{more}"]


def _subsidy(con: Any, year: int, line: Line, names: dict[str, str]) -> list[str]:
    rows = con.execute(
        "SELECT region_code, budget_level, due, received, shortfall FROM finance_subsidy "
        "WHERE year = ? AND shortfall > 0 ORDER BY shortfall DESC LIMIT 5",
        [year],
    ).fetchall()
    if not rows:
        return []
    words = [
        f"{names.get(r[0], r[0])}{r[1]}应补助 {r[2]} 元、到位 {r[3]} 元,短缺 {r[4]} 元"
        for r in rows
    ]
    return ["短缺的县区和级次:" + "、".join(words)]


def _hospitals(con: Any, year: int, line: Line, names: dict[str, str]) -> list[str]:
    """Hospitals whose shortfall against the target ratio is largest, in 元."""
    from yibao.schema.codes import INPATIENT_MED_TYPES, RESIDENT_CI_INSUTYPES

    base = "inscp_scp_amt" if line.code == "inpatient_policy_ratio" else "medfee_sumamt"
    t = line.target.value or Decimal(0)
    med = ", ".join(f"'{m}'" for m in INPATIENT_MED_TYPES)
    ins = ", ".join(f"'{m}'" for m in RESIDENT_CI_INSUTYPES)
    rows = con.execute(
        f"""SELECT c.fixmedins_code, any_value(i.fixmedins_name),
               sum(coalesce(c.hifp_pay, 0) + coalesce(c.hifmi_pay, 0)) AS paid,
               sum(c.{base}) AS base
        FROM claims c LEFT JOIN institutions i USING (fixmedins_code)
        WHERE year(c.setl_time) = ? AND c.med_type IN ({med}) AND c.insutype IN ({ins})
        GROUP BY 1 HAVING sum(c.{base}) > 0""",  # noqa: S608 - codes from the registry
        [year],
    ).fetchall()
    gaps = []
    for code, name, paid, b in rows:
        gap = t / 100 * Decimal(b) - Decimal(paid)
        if gap > 0:
            gaps.append((gap, code, name, percent(Decimal(paid) / Decimal(b))))
    gaps.sort(reverse=True)
    if not gaps:
        return []
    words = [f"{n or c} {r}%(按目标少付约 {round_fen(g)} 元)" for g, c, n, r in gaps[:3]]
    return ["拉低比例最多的医院:" + "、".join(words)]


def _budget(con: Any, year: int, line: Line, names: dict[str, str]) -> list[str]:
    rows = con.execute(
        "SELECT region_code, project, sum(budget_total) AS b, coalesce(sum(actual), 0) AS a "
        "FROM finance_budget WHERE year = ? GROUP BY 1, 2 HAVING sum(budget_total) > 0 "
        "ORDER BY sum(budget_total) - coalesce(sum(actual), 0) DESC, 1, 2 LIMIT 3",
        [year],
    ).fetchall()
    words = [
        f"{names.get(r[0], r[0])}{r[1]}可用 {r[2]} 元、支出 {r[3]} 元"
        f"(执行率 {percent(Decimal(r[3]) / Decimal(r[2]))}%)"
        for r in rows
        if r[3] < r[2]
    ]
    return ["执行最慢的项目:" + "、".join(words)] if words else []


DRILL = {
    "subsidy_arrival_rate": _subsidy,
    "inpatient_policy_ratio": _hospitals,
    "inpatient_actual_ratio": _hospitals,
    "budget_execution_rate": _budget,
}
