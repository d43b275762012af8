"""The built-in data-backed indicators: each query with its metadata beside it.

Every query returns ``region_code, numerator, denominator``: one row per county and one total
row (``region_code`` null).  Sums are exact (DECIMAL, integer counts), so DuckDB and PySpark
agree to the digit; the value is derived in Python and rounded half-up once.  Claims belong to
the county of the person's resident enrolment of the year (the fund that paid them).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from yibao.indicators.registry import TOTAL_YEAR, Source, indicator, register
from yibao.money import money_expr
from yibao.schema.codes import (
    BASIC_INSUTYPES,
    EMPLOYEE,
    INPATIENT_MED_TYPES,
    OUTPATIENT_MED_TYPES,
    RESIDENT,
    RESIDENT_CI_INSUTYPES,
)

NUM = "decimal(38,2)"
DUPLICATE_RULES = ("duplicate_enrolment_region", "duplicate_enrolment_insutype")
INVALID_RULES = ("invalid_id", "deceased_enrolled")


def _null_str() -> ir.StringValue:
    return ibis.null().cast("string")


def by_region_and_total(base: ir.Table, num, den=None) -> ir.Table:  # noqa: ANN001
    """One row per ``region_code`` (nulls only in the total) plus the total row."""

    def agg(t: ir.Table) -> dict[str, ir.Value]:
        d = den(t).cast(NUM) if den is not None else ibis.null().cast(NUM)
        return {"numerator": num(t).cast(NUM), "denominator": d}

    known = base.filter(base.region_code.notnull())
    regional = known.group_by("region_code").aggregate(**agg(known))
    total = base.aggregate(**agg(base)).mutate(region_code=_null_str())
    cols = ["region_code", "numerator", "denominator"]
    return regional.select(cols).union(total.select(cols))


def pair(num: ir.Table, den: ir.Table) -> ir.Table:
    """Numerator rows of one query with the denominator rows of another, region by region."""
    n = num.select(k=num.region_code.fill_null("*"), region_code=num.region_code, n=num.numerator)
    d = den.select(k2=den.region_code.fill_null("*"), d=den.numerator)
    j = n.left_join(d, n.k == d.k2)
    return j.select(region_code=j.region_code, numerator=j.n, denominator=j.d)


#: Fields a claim must carry to count as completely uploaded (结算清单 core fields).
UPLOAD_FIELDS = (
    "setl_id",
    "psn_no",
    "certno",
    "insutype",
    "med_type",
    "fixmedins_code",
    "setl_time",
    "medfee_sumamt",
    "inscp_scp_amt",
    "hifp_pay",
    "dise_codg",
)
#: The claim columns the claim-based indicators sum or filter on.
CLAIM_MEASURES = (
    "insutype",
    "med_type",
    "medfee_sumamt",
    "inscp_scp_amt",
    "hifp_pay",
    "hifmi_pay",
    "hifob_pay",
    "act_ipt_days",
)


def enrolment_region(src: Source, insutype: str, year: int | None = None) -> ir.Table:
    """psn_no → ``p_region``, the county of the person's enrolment in a fund in the year (one
    per person: the smallest code if there are several)."""
    y = year or src.year

    def build() -> ir.Table:
        e = src.t("enrolments")
        e = e.filter((e.year == y) & (e.insutype == insutype))
        return e.group_by("psn_no").aggregate(p_region=e.region_code.min())

    return src.shared(("enrolment_region", insutype, y), build)


def person_region(src: Source) -> ir.Table:
    """psn_no → the county of the person's resident enrolment of the year (one per person)."""
    return enrolment_region(src, RESIDENT)


def year_claims(src: Source, year: int | None = None) -> ir.Table:
    """The claims settled in a year, narrowed to :data:`CLAIM_MEASURES`, with the county of each
    person's resident (``r_region``) and employee (``m_region``) enrolment and whether the claim
    carries every :data:`UPLOAD_FIELDS` (``complete``): the base of the claim indicators, so
    that, shared, the 20 M claims are joined to the enrolments once per evaluation."""
    y = year or src.year

    def build() -> ir.Table:
        c = src.t("claims")
        c = c.filter(c.setl_time.year() == y)
        complete = ibis.literal(True)
        for f in UPLOAD_FIELDS:
            complete = complete & c[f].notnull()
        c = c.select("psn_no", *CLAIM_MEASURES, complete=complete)
        r = enrolment_region(src, RESIDENT, y).rename(r_psn="psn_no", r_region="p_region")
        m = enrolment_region(src, EMPLOYEE, y).rename(m_psn="psn_no", m_region="p_region")
        j = c.left_join(r, c.psn_no == r.r_psn)
        j = j.left_join(m, j.psn_no == m.m_psn)
        return j.select(*CLAIM_MEASURES, "complete", "r_region", "m_region")

    return src.shared(("year_claims", y), build)


def resident_claims(src: Source) -> ir.Table:
    """Resident-fund claims settled in the year, with the person's county as ``region_code``."""
    c = year_claims(src)
    c = c.filter(c.insutype.isin(list(RESIDENT_CI_INSUTYPES)))
    return c.mutate(region_code=c.r_region)


def inpatient(src: Source) -> ir.Table:
    c = resident_claims(src)
    return c.filter(c.med_type.isin(list(INPATIENT_MED_TYPES)))


def _pop(src: Source, column: str) -> ir.Table:
    r = src.t("regions")
    r = r.filter(r.level.isnull() | (r.level == "县级"))
    return by_region_and_total(r, lambda t: t[column].sum())


def _basic_persons(src: Source, insutypes: tuple[str, ...]) -> ir.Table:
    e = src.t("enrolments")
    e = e.filter((e.year == src.year) & e.insutype.isin(list(insutypes)))
    return by_region_and_total(e, lambda t: t.psn_no.nunique())


def _zero(x: ir.NumericValue) -> ir.NumericValue:
    return x.fill_null(0)


# --- coverage and enrolment -----------------------------------------------------------------------


@indicator(
    code="coverage_rate_registered",
    name="基本医保综合参保率(户籍人口)",
    unit="%",
    direction="正向",
    formula="本年参加职工医保(310)、离休(340)或城乡居民医保(390)的不重复人数 ÷ 户籍人口",
    sources=("enrolments", "regions"),
    seed="000",
)
def coverage_rate_registered(src: Source) -> ir.Table:
    return pair(_basic_persons(src, BASIC_INSUTYPES), _pop(src, "registered_pop"))


@indicator(
    code="coverage_rate_resident",
    name="基本医保综合参保率(常住人口)",
    unit="%",
    direction="正向",
    formula="本年参加职工医保(310)、离休(340)或城乡居民医保(390)的不重复人数 ÷ 常住人口",
    sources=("enrolments", "regions"),
    seed="000",
)
def coverage_rate_resident(src: Source) -> ir.Table:
    return pair(_basic_persons(src, BASIC_INSUTYPES), _pop(src, "resident_pop"))


@indicator(
    code="resident_coverage_rate",
    name="城乡居民医保参保率(常住人口)",
    unit="%",
    direction="正向",
    formula="本年参加城乡居民医保(390)的不重复人数 ÷ 常住人口",
    sources=("enrolments", "regions"),
)
def resident_coverage_rate(src: Source) -> ir.Table:
    return pair(_basic_persons(src, (RESIDENT,)), _pop(src, "resident_pop"))


@indicator(
    code="insured_count",
    name="城乡居民医保参保人数",
    unit="人",
    direction="正向",
    formula="本年城乡居民医保(390)参保登记的不重复人员数",
    sources=("enrolments",),
    value_kind="count",
    seed="000",
)
def insured_count(src: Source) -> ir.Table:
    return _basic_persons(src, (RESIDENT,))


def _findings(src: Source, rules: tuple[str, ...]) -> ir.Table:
    f = src.t("supervise_findings")
    f = f.filter((f.year == src.year) & f.rule.isin(list(rules)))
    pr = person_region(src)
    j = f.left_join(pr, f.psn_no == pr.psn_no)
    return by_region_and_total(j.mutate(region_code=j.p_region), lambda t: t.key.nunique())


@indicator(
    code="duplicate_enrolment_count",
    name="重复参保人数",
    unit="人",
    direction="反向",
    formula="监管筛查线索中跨统筹区重复参保和职工与居民重复参保的不重复证件号码数",
    sources=("supervise_findings", "enrolments"),
    value_kind="count",
    seed="000",
)
def duplicate_enrolment_count(src: Source) -> ir.Table:
    return _findings(src, DUPLICATE_RULES)


@indicator(
    code="invalid_enrolment_count",
    name="无效参保人数",
    unit="人",
    direction="反向",
    formula="监管筛查线索中身份证号无效和死亡人员参保的不重复人员数",
    sources=("supervise_findings", "enrolments"),
    value_kind="count",
    seed="000",
)
def invalid_enrolment_count(src: Source) -> ir.Table:
    return _findings(src, INVALID_RULES)


# --- financing ------------------------------------------------------------------------------------


@indicator(
    code="subsidy_standard",
    name="各级财政补助标准",
    unit="元/人",
    direction="正向",
    formula="各级财政应补助额合计 ÷ 城乡居民参保人数(基金财务 finance_subsidy_due)",
    sources=("finance_subsidy_due",),
    value_kind="money_per",
    seed="000",
)
def subsidy_standard(src: Source) -> ir.Table:
    d = src.t("finance_subsidy_due")
    d = d.filter(d.year == src.year)
    per = d.group_by("region_code").aggregate(due=d.due.sum(), insured=d.insured.max())
    return by_region_and_total(per, lambda t: t.due.sum(), lambda t: t.insured.sum())


@indicator(
    code="subsidy_arrival_rate",
    name="各级财政补助资金到位率",
    unit="%",
    direction="正向",
    formula="当年到位的财政补助(不含上年清算款)÷ 应补助额(finance_subsidy)",
    sources=("finance_subsidy",),
    seed="000",
)
def subsidy_arrival_rate(src: Source) -> ir.Table:
    s = src.t("finance_subsidy")
    s = s.filter(s.year == src.year)
    return by_region_and_total(s, lambda t: t.received.sum(), lambda t: t.due.sum())


@indicator(
    code="budget_execution_rate",
    name="预算执行率",
    unit="%",
    direction="正向",
    formula="实际支出 ÷(年初预算 + 上年结转),全部预算项目合计(finance_budget)",
    sources=("finance_budget",),
    seed="001",
)
def budget_execution_rate(src: Source) -> ir.Table:
    b = src.t("finance_budget")
    b = b.filter(b.year == src.year)
    return by_region_and_total(b, lambda t: t.actual.sum(), lambda t: t.budget_total.sum())


@indicator(
    code="reserve_months",
    name="基金累计结余可支付月数",
    unit="月",
    direction="正向",
    formula="期末累计结余 ÷(本年支出 ÷ 12)(finance_balance,本报告年度)",
    sources=("finance_balance",),
    value_kind="months",
    grain=TOTAL_YEAR,
    seed="000",
)
def reserve_months(src: Source) -> ir.Table:
    b = src.t("finance_balance")
    b = b.filter((b.report_year == src.year) & (b.year == src.year))
    agg = b.aggregate(numerator=b.closing.sum().cast(NUM), denominator=b.expense.sum().cast(NUM))
    return agg.mutate(region_code=_null_str()).select("region_code", "numerator", "denominator")


# --- benefits -------------------------------------------------------------------------------------


def _fund_paid(t: ir.Table) -> ir.NumericValue:
    return (_zero(t.hifp_pay) + _zero(t.hifmi_pay)).sum()


@indicator(
    code="inpatient_policy_ratio",
    name="政策范围内住院费用报销比例",
    unit="%",
    direction="正向",
    formula="住院结算单记录的 Σ(统筹基金 + 大病保险)÷ Σ 符合政策范围金额(城乡居民)",
    sources=("claims", "enrolments"),
    seed="000",
)
def inpatient_policy_ratio(src: Source) -> ir.Table:
    return by_region_and_total(inpatient(src), _fund_paid, lambda t: t.inscp_scp_amt.sum())


@indicator(
    code="inpatient_actual_ratio",
    name="住院费用实际报销比例",
    unit="%",
    direction="正向",
    formula="住院结算单记录的 Σ(统筹基金 + 大病保险)÷ Σ 医疗费总额(城乡居民)",
    sources=("claims", "enrolments"),
    seed="000",
)
def inpatient_actual_ratio(src: Source) -> ir.Table:
    return by_region_and_total(inpatient(src), _fund_paid, lambda t: t.medfee_sumamt.sum())


@indicator(
    code="ci_policy_ratio",
    name="大病保险政策范围内支付比例",
    unit="%",
    direction="正向",
    formula="记录的 Σ 大病保险支付 ÷ Σ 大病保险合规费用超过起付线的部分(按复核的年度累计,"
    "起付线取年末生效值,困难群体取其起付线)",
    sources=("settlements", "claims", "enrolments"),
    seed="004",
)
def ci_policy_ratio(src: Source) -> ir.Table:
    end = dt.date(src.year, 12, 31)
    ded = fen_of(src.policy.value("critical_illness.deductible", end))
    poor = fen_of(src.policy.value("critical_illness.poor_deductible", end))
    s = src.t("settlements")
    s = s.filter((s.year == src.year) & (s.ci_base_fen > 0))
    d = ibis.ifelse(s.poor.fill_null(False), poor, ded)
    above = ibis.greatest(s.ci_cum_fen - d, 0) - ibis.greatest(s.ci_cum_fen - s.ci_base_fen - d, 0)
    s = s.mutate(above_fen=above)
    c = src.t("claims").select("setl_id", rec_hifmi="hifmi_pay")
    j = s.join(c, "setl_id")
    pr = person_region(src)
    j = j.left_join(pr, j.psn_no == pr.psn_no)
    j = j.mutate(region_code=j.p_region, above_amt=money_expr(j.above_fen))
    return by_region_and_total(j, lambda t: _zero(t.rec_hifmi).sum(), lambda t: t.above_amt.sum())


def fen_of(amount: object) -> int:
    from yibao.money import fen_exact

    return fen_exact(amount)  # type: ignore[arg-type]


# --- utilisation ----------------------------------------------------------------------------------


def _insured(src: Source) -> ir.Table:
    return _basic_persons(src, (RESIDENT,))


@indicator(
    code="inpatient_rate",
    name="住院率(住院人次人头比)",
    unit="%",
    direction="反向",
    formula="城乡居民住院结算人次 ÷ 城乡居民参保人数",
    sources=("claims", "enrolments"),
    seed="003",
)
def inpatient_rate(src: Source) -> ir.Table:
    return pair(by_region_and_total(inpatient(src), lambda t: t.count()), _insured(src))


@indicator(
    code="cost_per_admission",
    name="次均住院费用",
    unit="元",
    direction="反向",
    formula="城乡居民住院结算单 Σ 医疗费总额 ÷ 住院结算人次",
    sources=("claims", "enrolments"),
    value_kind="money_per",
    seed="003",
)
def cost_per_admission(src: Source) -> ir.Table:
    return by_region_and_total(inpatient(src), lambda t: t.medfee_sumamt.sum(), lambda t: t.count())


@indicator(
    code="outpatient_inpatient_ratio",
    name="门诊住院比",
    unit="比值",
    direction="定性",
    formula="城乡居民门诊(普通门诊、急诊、门诊慢特病、生育门诊)结算人次 ÷ 住院结算人次",
    sources=("claims", "enrolments"),
    value_kind="per",
    seed="003",
)
def outpatient_inpatient_ratio(src: Source) -> ir.Table:
    c = resident_claims(src)
    c = c.mutate(
        is_out=c.med_type.isin(list(OUTPATIENT_MED_TYPES)).cast("int64"),
        is_in=c.med_type.isin(list(INPATIENT_MED_TYPES)).cast("int64"),
    )
    return by_region_and_total(c, lambda t: t.is_out.sum(), lambda t: t.is_in.sum())


@indicator(
    code="avg_length_of_stay",
    name="平均住院日",
    unit="天",
    direction="反向",
    formula="城乡居民住院结算单 Σ 实际住院天数 ÷ 有住院天数的住院结算人次",
    sources=("claims", "enrolments"),
    value_kind="per",
)
def avg_length_of_stay(src: Source) -> ir.Table:
    c = inpatient(src)
    c = c.filter(c.act_ipt_days.notnull())
    return by_region_and_total(c, lambda t: t.act_ipt_days.sum(), lambda t: t.count())


# --- satisfaction, supervision, retirees ----------------------------------------------------------


@indicator(
    code="satisfaction_rate",
    name="参保对象满意度",
    unit="%",
    direction="正向",
    formula="本年调查中平均得分达到满意(1–5 分制 ≥ 4 分,百分制 ≥ 80 分)的受访者 ÷ 受访者人数;"
    "另给样本量和 95% Wilson 区间",
    sources=("survey_responses",),
    seed="000",
)
def satisfaction_rate(src: Source) -> ir.Table:
    s = src.t("survey_responses")
    s = s.filter((s.response_date.year() == src.year) & s.score.notnull())
    s = s.mutate(norm=ibis.ifelse(s.score <= 5, s.score * 20, s.score))
    r = s.group_by(["survey_id", "respondent_id"]).aggregate(
        region_code=s.region_code.max(), total=s.norm.sum(), n=s.count()
    )
    r = r.mutate(ok=(r.total >= r.n * 80).cast("int64"))
    return by_region_and_total(r, lambda t: t.ok.sum(), lambda t: t.count())


def _supervision(src: Source) -> ir.Table:
    f = src.t("supervise_findings")
    f = f.filter(f.year == src.year)
    inst = src.t("institutions").select("fixmedins_code", i_region="region_code")
    j = f.left_join(inst, f.fixmedins_code == inst.fixmedins_code)
    pr = person_region(src)
    j = j.left_join(pr, j.psn_no == pr.psn_no)
    return j.mutate(region_code=j.i_region.fill_null(j.p_region))


@indicator(
    code="supervision_findings_count",
    name="监管筛查线索数",
    unit="条",
    direction="定性",
    formula="本年监管筛查线索条数(机构所在县,无机构时取参保县)",
    sources=("supervise_findings", "institutions", "enrolments"),
    value_kind="count",
)
def supervision_findings_count(src: Source) -> ir.Table:
    return by_region_and_total(_supervision(src), lambda t: t.count())


@indicator(
    code="supervision_amount_at_risk",
    name="监管线索涉及金额",
    unit="元",
    direction="定性",
    formula="本年监管筛查线索的涉及金额合计",
    sources=("supervise_findings", "institutions", "enrolments"),
    value_kind="money",
)
def supervision_amount_at_risk(src: Source) -> ir.Table:
    return by_region_and_total(_supervision(src), lambda t: _zero(t.amount).sum())


@indicator(
    code="retiree_count",
    name="纳入报账的离休人员数",
    unit="人",
    direction="正向",
    formula="本年离休人员医疗费用表(finance_retirees)中的人数",
    sources=("finance_retirees",),
    value_kind="count",
    seed="002",
)
def retiree_count(src: Source) -> ir.Table:
    r = src.t("finance_retirees")
    r = r.filter(r.year == src.year)
    return by_region_and_total(r, lambda t: t.psn_no.nunique())


@indicator(
    code="retiree_fund_rate",
    name="离休人员医药费资金到位率",
    unit="%",
    direction="正向",
    formula="本年离休统筹基金收入 ÷ 离休统筹基金支出(基金收支明细账 fund = 离休统筹;"
    "没有收入记录时为 0)",
    sources=("fund_ledger",),
    seed="002",
)
def retiree_fund_rate(src: Source) -> ir.Table:
    g = src.t("fund_ledger")
    g = g.filter((g.entry_date.year() == src.year) & (g.fund == "离休统筹"))
    g = g.mutate(
        inc=ibis.ifelse(g.direction == "收入", g.amount, 0),
        exp=ibis.ifelse(g.direction == "支出", g.amount, 0),
    )
    return by_region_and_total(g, lambda t: t.inc.sum(), lambda t: t.exp.sum())


def _policy_value(src: Source, name: str) -> ir.Table:
    """A parameter in force at year end, as a one-row (total) table on the same engine."""
    from decimal import Decimal

    v = src.policy.value(name, dt.date(src.year, 12, 31))
    t = ibis.memtable({"numerator": [str(Decimal(v))]})
    return t.select(
        region_code=_null_str(),
        numerator=t.numerator.cast(NUM),
        denominator=ibis.null().cast(NUM),
    )


@indicator(
    code="retiree_pooling_standard",
    name="离休人员医药费统筹标准",
    unit="元/人/年",
    direction="正向",
    formula="政策参数 retired_cadre.pooling_standard 在年末的取值",
    sources=("policy:retired_cadre.pooling_standard",),
    value_kind="money",
    grain=TOTAL_YEAR,
    seed="002",
)
def retiree_pooling_standard(src: Source) -> ir.Table:
    return _policy_value(src, "retired_cadre.pooling_standard")


__all__ = ["by_region_and_total", "pair", "register"]
