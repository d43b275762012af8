"""Fund-operation analysis of a city's two funds (seed 003, 遂宁年鉴 2014): coverage against the
target, collections against the task, 住院人次人头比, 门诊住院比, 报付比, cost per admission and
its growth, data-upload completeness (complete rows ÷ rows, beside the stated rate, which stays
an input).  Each per-fund measure exists for the employee fund (310, ``employee_*``) and the
resident fund (390, ``resident_*``); claims belong to the county of the person's enrolment in
that fund.  总额使用进度 comes with the payment indicators.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from yibao.indicators.library import NUM, UPLOAD_FIELDS, by_region_and_total, pair, year_claims
from yibao.indicators.registry import TOTAL_YEAR, Source, indicator
from yibao.schema.codes import (
    BASIC_INSUTYPES,
    EMPLOYEE,
    INPATIENT_MED_TYPES,
    OUTPATIENT_MED_TYPES,
    RESIDENT,
)

FUNDS = {EMPLOYEE: ("employee", "职工医保"), RESIDENT: ("resident", "居民医保")}


def _claims(src: Source, insutype: str, year: int | None = None) -> ir.Table:
    """The fund's claims of the year, with the county of the person's enrolment in that fund."""
    c = year_claims(src, year)
    c = c.filter(c.insutype == insutype)
    return c.mutate(region_code=c.r_region if insutype == RESIDENT else c.m_region)


def _insured(src: Source, insutype: str) -> ir.Table:
    e = src.t("enrolments")
    e = e.filter((e.year == src.year) & (e.insutype == insutype))
    return by_region_and_total(e, lambda t: t.psn_no.nunique())


def _inpatient(t: ir.Table) -> ir.BooleanValue:
    return t.med_type.isin(list(INPATIENT_MED_TYPES))


def _count_inpatient(src: Source, insutype: str, year: int | None = None) -> ir.Table:
    c = _claims(src, insutype, year)
    return by_region_and_total(c.filter(_inpatient(c)), lambda t: t.count())


@indicator(
    code="covered_persons",
    name="城镇基本医疗保险覆盖人数",
    unit="人",
    direction="正向",
    formula="本年参加职工医保(310)、离休(340)或城乡居民医保(390)的不重复人数;与目标任务数比较"
    "(原报告 74.14 万 ÷ 67 万 印作 110.65%,是 110.6567% 的截断;yibao 四舍五入为 110.66%)",
    sources=("enrolments",),
    value_kind="count",
    seed="003",
)
def covered_persons(src: Source) -> ir.Table:
    e = src.t("enrolments")
    e = e.filter((e.year == src.year) & e.insutype.isin(list(BASIC_INSUTYPES)))
    return by_region_and_total(e, lambda t: t.psn_no.nunique())


@indicator(
    code="employee_collection",
    name="职工医保基金征收额",
    unit="元",
    direction="正向",
    formula="职工医保征缴合计 = 统筹基金 + 个人账户(finance_employee,需先运行 yibao finance)",
    sources=("finance_employee",),
    value_kind="money",
    grain=TOTAL_YEAR,
    seed="003",
)
def employee_collection(src: Source) -> ir.Table:
    f = src.t("finance_employee")
    f = f.filter(f.year == src.year)
    return f.aggregate(
        numerator=f.collected.sum().cast(NUM), denominator=ibis.null().cast(NUM)
    ).mutate(region_code=ibis.null().cast("string"))


@indicator(
    code="employee_collection_task_rate",
    name="职工医保征缴任务完成率",
    unit="%",
    direction="正向",
    formula="职工医保征缴合计 ÷ 征缴任务数(原报告:46,530 万 ÷ 38,900 万 = 119.61%)",
    sources=("finance_employee",),
    grain=TOTAL_YEAR,
    seed="003",
)
def employee_collection_task_rate(src: Source) -> ir.Table:
    f = src.t("finance_employee")
    f = f.filter(f.year == src.year)
    return f.aggregate(
        numerator=f.collected.sum().cast(NUM), denominator=f.task.sum().cast(NUM)
    ).mutate(region_code=ibis.null().cast("string"))


def _register_fund(insutype: str) -> None:
    """The per-fund measures of seed 003's fund analysis, for one fund."""
    key, label = FUNDS[insutype]

    def per_insured(src: Source) -> ir.Table:
        return pair(_count_inpatient(src, insutype), _insured(src, insutype))

    def out_in(src: Source) -> ir.Table:
        c = _claims(src, insutype)
        outp = c.filter(c.med_type.isin(list(OUTPATIENT_MED_TYPES)))
        return pair(by_region_and_total(outp, lambda t: t.count()), _count_inpatient(src, insutype))

    def paid_share(src: Source) -> ir.Table:
        c = _claims(src, insutype)
        z = ibis.literal(0, "decimal(18,2)")
        return by_region_and_total(
            c,
            lambda t: (t.hifp_pay.fill_null(z) + t.hifob_pay.fill_null(z)).sum(),
            lambda t: t.inscp_scp_amt.sum(),
        )

    def cost(src: Source, year: int | None = None) -> ir.Table:
        c = _claims(src, insutype, year)
        return by_region_and_total(
            c.filter(_inpatient(c)), lambda t: t.medfee_sumamt.sum(), lambda t: t.count()
        )

    def growth(src: Source) -> ir.Table:
        now, before = cost(src), cost(src, src.year - 1)
        n = now.select(k=now.region_code.fill_null("*"), r=now.region_code, a=now.numerator,
                       b=now.denominator)  # fmt: skip
        p = before.select(k2=before.region_code.fill_null("*"), c=before.numerator,
                          d=before.denominator)  # fmt: skip
        j = n.left_join(p, n.k == p.k2)
        # growth = (a/b) ÷ (c/d) − 1 = (a·d − b·c) ÷ (b·c): exact sums, one division
        return j.select(
            region_code=j.r,
            numerator=(j.a * j.d - j.b * j.c).cast(NUM),
            denominator=(j.b * j.c).cast(NUM),
        )

    def upload(src: Source) -> ir.Table:
        c = _claims(src, insutype)
        return by_region_and_total(
            c, lambda t: ibis.cases((t.complete, 1), else_=0).sum(), lambda t: t.count()
        )

    specs = (
        (
            "inpatient_per_insured",
            "住院人次人头比",
            "人次/人",
            per_insured,
            "per",
            ("claims", "enrolments"),
            "住院结算人次 ÷ 参保人数",
        ),
        (
            "outpatient_inpatient_ratio",
            "门诊住院比",
            "比值",
            out_in,
            "per",
            ("claims", "enrolments"),
            "门诊结算人次 ÷ 住院结算人次",
        ),
        (
            "reimbursed_share",
            "报付比",
            "%",
            paid_share,
            "percent",
            ("claims", "enrolments"),
            "统筹基金(职工含大额补助)支付 ÷ 符合政策范围费用(职工医保原报告 80.72%、居民 72.17%)",
        ),
        (
            "cost_per_admission",
            "次均住院费用",
            "元",
            cost,
            "money_per",
            ("claims", "enrolments"),
            "住院医疗费总额 ÷ 住院人次",
        ),
        (
            "cost_per_admission_growth",
            "次均住院费用增长率",
            "%",
            growth,
            "percent",
            ("claims", "enrolments"),
            "本年次均住院费用 ÷ 上年次均住院费用 − 1",
        ),
        (
            "complete_upload_rate",
            "数据上传完整率",
            "%",
            upload,
            "percent",
            ("claims", "enrolments"),
            "核心字段(" + "、".join(UPLOAD_FIELDS) + ")齐全的结算单 ÷ 结算单",
        ),
    )
    worse_if_higher = ("inpatient_per_insured", "cost_per_admission", "cost_per_admission_growth")
    for code, name, unit, fn, kind, sources, formula in specs:
        direction = "反向" if code in worse_if_higher else "正向"
        indicator(
            code=f"{key}_{code}",
            name=f"{label}{name}",
            unit=unit,
            direction=direction,
            formula=formula,
            sources=sources,
            value_kind=kind,
            places=4 if kind == "per" else 2,
            seed="003",
        )(fn)


for _ins in FUNDS:
    _register_fund(_ins)
