"""The payment indicators, registered in the indicator library with their queries beside them.

Each is a set-based query over the stored payment tables (so the indicator and the settlement can
never disagree) and the claims they come from: one row per county of the workspace where the
hospital is (``institutions.region_code`` in ``regions``) plus the total row.  Hospitals outside
the workspace's counties (off-site ones) count in the total only, which is exactly the figure
``payment_dip_summary`` stores.  A year the payment step has not run for is reported by a note,
never as a zero (``year_tables``).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from yibao.indicators.library import NUM, by_region_and_total
from yibao.indicators.registry import Source, indicator
from yibao.schema.codes import INPATIENT_MED_TYPES

DIP_HINT = "请先运行 yibao payment WORKSPACE --year {year} --method dip"
BUDGET_HINT = "请先运行 yibao payment WORKSPACE --year {year} --method budget"


def _with_hospital_region(src: Source, t: ir.Table) -> ir.Table:
    """``t`` with ``region_code`` = the county of its hospital when that county is one of the
    workspace's (``regions``); off-site hospitals, whose counties are elsewhere, get null and
    count in the total row only."""
    r = src.t("regions")
    r = r.filter(r.level.isnull() | (r.level == "县级")).select(r_code="region_code").distinct()
    inst = src.t("institutions")
    inst = inst.join(r, inst.region_code == r.r_code).select(
        i_code="fixmedins_code", i_region="region_code"
    )
    j = t.left_join(inst, t.fixmedins_code == inst.i_code)
    return j.mutate(region_code=j.i_region).drop("i_code", "i_region")


def _inpatient_claims(src: Source) -> ir.Table:
    """Every inpatient 结算单 of the year (local and off-site: the indicators' base)."""
    c = src.t("claims")
    c = c.filter((c.setl_time.year() == src.year) & c.med_type.isin(list(INPATIENT_MED_TYPES)))
    return _with_hospital_region(src, c.select("fixmedins_code", hifp=c.hifp_pay.fill_null(0)))


def _dip_cases(src: Source) -> ir.Table:
    """Cases of the year grouped into the catalogue (core or integrated groups)."""
    d = src.t("payment_dip_cases")
    d = d.filter((d.year == src.year) & d.group_code.notnull())
    return _with_hospital_region(src, d.select("fixmedins_code", hifp=d.hifp))


def _dip_against_inpatient(src: Source, measure: str) -> ir.Table:
    """DIP cases (numerator) and all inpatient claims (denominator) in one set, so that a
    county with inpatients but no DIP case still gets its row (at 0)."""
    zero = ibis.literal(0, "int64")

    def part(t: ir.Table, is_num: bool) -> ir.Table:
        v = t.hifp.cast(NUM) if measure == "fund" else ibis.literal(1, "int64").cast(NUM)
        z = zero.cast(NUM)
        return t.select("region_code", n=v if is_num else z, d=z if is_num else v)

    u = part(_dip_cases(src), True).union(part(_inpatient_claims(src), False))
    return by_region_and_total(u, lambda t: t.n.sum(), lambda t: t.d.sum())


@indicator(
    code="dip_case_coverage",
    name="DIP 病种覆盖率",
    unit="%",
    direction="正向",
    formula="入组 DIP 目录病种(核心 + 综合)的本地住院病例数 ÷ 本年住院病例数(含异地;"
    "payment_dip_cases,按医院所在县)",
    sources=("payment_dip_cases", "claims", "institutions", "regions"),
    year_tables=("payment_dip_cases",),
    hint=DIP_HINT,
    seed="001",
)
def dip_case_coverage(src: Source) -> ir.Table:
    return _dip_against_inpatient(src, "cases")


@indicator(
    code="dip_fund_share",
    name="DIP 付费医保基金支出占住院医保基金支出比例",
    unit="%",
    direction="正向",
    formula="入组 DIP 病例的统筹基金支出 ÷ 本年住院结算单的统筹基金支出(含异地;"
    "payment_dip_cases,按医院所在县)",
    sources=("payment_dip_cases", "claims", "institutions", "regions"),
    year_tables=("payment_dip_cases",),
    hint=DIP_HINT,
    seed="001",
)
def dip_fund_share(src: Source) -> ir.Table:
    return _dip_against_inpatient(src, "fund")


@indicator(
    code="budget_use_progress",
    name="总额使用进度",
    unit="%",
    direction="反向",
    formula="总额控制医院全年实际统筹支出 ÷ 可预拨总额(总额 − 质量保证金;"
    "payment_budget_hospitals,按医院所在县;各医院逐月进度见 payment_budget_months)",
    sources=("payment_budget_hospitals", "institutions", "regions"),
    year_tables=("payment_budget_hospitals",),
    hint=BUDGET_HINT,
    seed="003",
)
def budget_use_progress(src: Source) -> ir.Table:
    h = src.t("payment_budget_hospitals")
    h = h.filter(h.year == src.year).select("fixmedins_code", "actual", "budget_advance")
    return by_region_and_total(
        _with_hospital_region(src, h),
        lambda t: t.actual.sum(),
        lambda t: t.budget_advance.sum(),
    )
