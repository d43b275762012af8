"""The rules' queries: each a set-based Ibis query that returns its offending rows.

:mod:`yibao.supervise.catalogue` names them, with their basis, parameters and evidence.

Every query returns the standard finding columns (:data:`STANDARD`) plus its own evidence
columns; :func:`finish` folds the evidence into one Chinese text, so that every rule stores the
same shape.  Evidence columns never hold personal data (ID numbers, names, diagnoses): those
stay in the standard columns, where the work list masks them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from yibao.ingest.validate import one_of
from yibao.money import fen_expr as to_fen
from yibao.money import floor_div_expr, percent_expr
from yibao.money import money_expr as to_money
from yibao.schema.codes import EMPLOYEE, RESIDENT
from yibao.supervise.inputs import Inputs
from yibao.supervise.params import CodeRange, SupervisionParams

STANDARD: dict[str, str] = {
    "key": "string",  # the key the generator's truth uses for this rule's kind
    "setl_id": "string",
    "psn_no": "string",
    "certno": "string",
    "fixmedins_code": "string",
    "dise_codg": "string",
    "amount": "decimal(18,2)",  # 元 at risk
    "score": "float64",  # strength of the signal; ≥ 1 means at or past the threshold
}
MONEY = "decimal(18,2)"
REG = "《医疗保障基金使用监督管理条例》(国务院令第735号)"
#: Articles of the 条例 whose text was checked against published copies of the official text
#: (issue 12): 第十条 经办机构待遇审核及支付, 第十二条 按服务协议结算拨付, 第十五条 不得分解住院、
#: 挂床住院及诱导冒名就医, 第十七条 不得重复享受待遇, 第二十条 不得以虚构医药服务等方式骗取基金,
#: 第三十八条 分解住院、挂床住院的处理, 第四十条 定点医药机构骗取基金的处理, 第四十一条 个人冒名、
#: 重复享受待遇的处理.  Any other article cited must say 待核对 (a test holds the catalogue to it).
VERIFIED_ARTICLES = ("第十条", "第十二条", "第十五条", "第十七条", "第二十条", "第三十八条",
                     "第四十条", "第四十一条")  # fmt: skip


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # 中文
    basis: str  # 条例 article(s)
    finds: str  # what it finds, in Chinese
    key: str  # setl_id | psn_no | certno | fixmedins_code
    truth_kind: str | None  # kind in truth/anomalies.csv this rule is measured against
    params: tuple[str, ...]  # SupervisionParams fields it uses
    evidence: tuple[tuple[str, str], ...]  # (column, 中文 label); no personal data
    amount_means: str  # how the amount at risk is defined
    query: Callable[[Inputs, SupervisionParams], ir.Table]
    needs_settlement: bool = False


def _dec2(x: ir.NumericValue) -> ir.DecimalValue:
    """A double shown with two decimals, the same text on every engine."""
    return x.round(2).cast("decimal(18,2)")


def _subsidy(p: SupervisionParams) -> ir.DecimalValue:
    return ibis.literal(Decimal(p.subsidy_per_person), MONEY)


def _in_ranges(dx3: ir.StringValue, ranges: tuple[CodeRange, ...]) -> ir.BooleanValue:
    """Range membership as string comparisons on the 3-character category: no code list."""
    out = ibis.literal(False)
    for r in ranges:
        out = out | ((dx3 >= r.lo) & (dx3 <= r.hi))
    return out


def _age(brdy: ir.DateValue, on: ir.DateValue) -> ir.IntegerValue:
    """Completed years of age on ``on`` (integer arithmetic, identical on every engine)."""

    before_birthday = (on.month() < brdy.month()) | (
        (on.month() == brdy.month()) & (on.day() < brdy.day())
    )
    return on.year() - brdy.year() - before_birthday.cast("int64")


# --- enrolment rules --------------------------------------------------------------------------


def invalid_id(inp: Inputs, p: SupervisionParams) -> ir.Table:
    b = inp.bad_ids.filter(inp.bad_ids.psn_no.notnull())
    g = b.group_by("psn_no").aggregate(
        certno=b.certno.max(), reason=b.reason.max(), source=b.table_name.max()
    )
    return g.mutate(
        key=g.psn_no,
        amount=_subsidy(p),
        score=ibis.literal(1.0),
        source=g.source.substitute({"persons": "人员", "enrolments": "参保登记"}),
    )


def duplicate_enrolment_region(inp: Inputs, p: SupervisionParams) -> ir.Table:
    e = inp.enrolments
    e = e.filter((e.insutype == RESIDENT) & e.certno.notnull())
    g = e.group_by("certno").aggregate(
        regions=e.region_code.nunique(),
        region_min=e.region_code.min(),
        region_max=e.region_code.max(),
        psn_no=e.psn_no.min(),
        psn_other=e.psn_no.max(),
    )
    g = g.filter(g.regions > 1)
    return g.mutate(
        key=g.certno,
        amount=(_subsidy(p) * (g.regions - 1)).cast(MONEY),
        score=g.regions.cast("float64"),
    )


def duplicate_enrolment_insutype(inp: Inputs, p: SupervisionParams) -> ir.Table:
    e = inp.enrolments
    e = e.filter(one_of(e.insutype, (EMPLOYEE, RESIDENT)) & e.certno.notnull())
    g = e.group_by("certno").aggregate(
        n310=(e.insutype == EMPLOYEE).sum(),
        n390=(e.insutype == RESIDENT).sum(),
        region_310=e.region_code.min(where=e.insutype == EMPLOYEE),
        region_390=e.region_code.min(where=e.insutype == RESIDENT),
        psn_no=e.psn_no.min(),
    )
    g = g.filter((g.n310 > 0) & (g.n390 > 0))
    return g.mutate(key=g.certno, amount=_subsidy(p), score=ibis.literal(1.0))


def deceased_enrolled(inp: Inputs, p: SupervisionParams) -> ir.Table:
    ps = inp.persons.filter(inp.persons.death_date.notnull())
    e = inp.enrolments
    j = e.join(ps, e.psn_no == ps.psn_no).select(
        psn_no=e.psn_no,
        certno=e.certno,
        insutype=e.insutype,
        enrol_date=e.enrol_date,
        death_date=ps.death_date,
    )
    j = j.filter(
        (j.death_date < p.year_start) | (j.enrol_date.notnull() & (j.enrol_date > j.death_date))
    )
    g = j.group_by("psn_no").aggregate(
        certno=j.certno.max(),
        death_date=j.death_date.max(),
        insutype=j.insutype.min(),
        enrol_date=j.enrol_date.min(),
    )
    return g.mutate(key=g.psn_no, amount=_subsidy(p), score=ibis.literal(1.0))


# --- claim rules ------------------------------------------------------------------------------


def claim_after_death(inp: Inputs, p: SupervisionParams) -> ir.Table:
    c = inp.claims
    ps = inp.persons.filter(inp.persons.death_date.notnull())
    j = c.join(ps, c.psn_no == ps.psn_no).select(
        setl_id=c.setl_id,
        psn_no=c.psn_no,
        certno=c.certno,
        fixmedins_code=c.fixmedins_code,
        dise_codg=c.dise_codg,
        fund_pay=c.fund_pay,
        med_type=c.med_type,
        visit_date=c.adm_time.fill_null(c.setl_time).date(),
        death_date=ps.death_date,
    )
    j = j.filter(j.visit_date > j.death_date)
    days = j.visit_date.delta(j.death_date, unit="day")
    return j.mutate(key=j.setl_id, amount=j.fund_pay, score=days.cast("float64"), days=days)


def overlapping_stay(inp: Inputs, p: SupervisionParams) -> ir.Table:
    b = inp.stays
    a = b.view()
    later = (a.adm < b.adm) | ((a.adm == b.adm) & (a.setl_id < b.setl_id))
    j = a.join(
        b,
        [
            a.psn_no == b.psn_no,
            later,
            b.adm.date() < a.dscg.date(),  # a transfer on the discharge day is no overlap
            a.fixmedins_code != b.fixmedins_code,
            b.in_year,
        ],
    )
    overlap = ibis.least(a.dscg, b.dscg).date().delta(b.adm.date(), unit="day")
    j = j.select(
        setl_id=b.setl_id,
        psn_no=b.psn_no,
        certno=b.certno,
        fixmedins_code=b.fixmedins_code,
        dise_codg=b.dise_codg,
        fund_pay=b.fund_pay,
        adm_date=b.adm.date(),
        dscg_date=b.dscg.date(),
        other_setl_id=a.setl_id,
        other_fixmedins=a.fixmedins_code,
        other_adm=a.adm.date(),
        other_dscg=a.dscg.date(),
        overlap_days=ibis.greatest(overlap, 1),
    )
    keys = ["setl_id", "psn_no", "certno", "fixmedins_code", "dise_codg", "fund_pay"]
    g = j.group_by([*keys, "adm_date", "dscg_date"]).aggregate(
        other_setl_id=j.other_setl_id.min(),
        other_fixmedins=j.other_fixmedins.min(),
        other_adm=j.other_adm.min(),
        other_dscg=j.other_dscg.max(),
        overlap_days=j.overlap_days.max(),
        others=j.other_setl_id.nunique(),
    )
    return g.mutate(key=g.setl_id, amount=g.fund_pay, score=g.overlap_days.cast("float64"))


def split_admission(inp: Inputs, p: SupervisionParams) -> ir.Table:
    s = inp.stays
    n = p.split_admission_days
    excluded = one_of(s.dx3, p.split_admission_excluded)
    s = s.filter(
        s.in_year
        & s.prev_setl_id.notnull()
        & (s.gap_days >= 0)
        & (s.gap_days <= n)
        & (s.dx3 == s.prev_dx3)
        & ~excluded
    )
    return s.mutate(
        key=s.setl_id,
        amount=s.fund_pay,
        score=1.0 + (n - s.gap_days).cast("float64") / n,
        adm_date=s.adm.date(),
        prev_dscg_date=s.prev_dscg.date(),
        same_hospital=ibis.cases((s.fixmedins_code == s.prev_fixmedins_code, "是"), else_="否"),
    )


def bed_hanging(inp: Inputs, p: SupervisionParams) -> ir.Table:
    s = inp.stays
    limit = ibis.literal(Decimal(p.bed_hanging_max_daily_cost), MONEY)
    s = s.filter(s.in_year & (s.los >= p.bed_hanging_min_days) & (s.medfee_sumamt < limit * s.los))
    daily = s.medfee_sumamt.cast("float64") / s.los
    return s.mutate(
        key=s.setl_id,
        amount=s.fund_pay,
        score=float(p.bed_hanging_max_daily_cost) / ibis.greatest(daily, 0.01),
        daily_cost=_dec2(daily),
        adm_date=s.adm.date(),
        dscg_date=s.dscg.date(),
    )


def restricted_diagnosis(inp: Inputs, p: SupervisionParams) -> ir.Table:
    c = inp.claims
    # Only claims whose category is restricted at all reach the join with persons.
    c = c.filter(
        _in_ranges(c.dise_codg.upper().substr(0, 3), p.male_only + p.female_only + p.min_age_codes)
    )
    ps = inp.persons
    j = c.left_join(ps, c.psn_no == ps.psn_no).select(
        setl_id=c.setl_id,
        psn_no=c.psn_no,
        certno=c.certno.fill_null(ps.certno),
        fixmedins_code=c.fixmedins_code,
        dise_codg=c.dise_codg,
        fund_pay=c.fund_pay,
        visit_date=c.adm_time.fill_null(c.setl_time).date(),
        gend=ps.gend,
        brdy=ps.brdy,
    )
    # Sex and birth date from the ID number where the person record lacks them (GB 11643).
    cert = j.certno.upper()
    valid = cert.length() == 18
    id_gend = ibis.cases(
        (valid & (cert.substr(16, 1).try_cast("int64") % 2 == 1), "1"),
        (valid & cert.substr(16, 1).re_search("^[0-9]$"), "2"),
        else_=ibis.null("string"),
    )
    id_brdy = (cert.substr(6, 4) + "-" + cert.substr(10, 2) + "-" + cert.substr(12, 2)).try_cast(
        "date"
    )
    j = j.mutate(gend=j.gend.fill_null(id_gend), brdy=j.brdy.fill_null(id_brdy))
    dx3 = j.dise_codg.upper().substr(0, 3)
    age = _age(j.brdy, j.visit_date)
    male_only = _in_ranges(dx3, p.male_only) & (j.gend == "2")
    female_only = _in_ranges(dx3, p.female_only) & (j.gend == "1")
    too_young = _in_ranges(dx3, p.min_age_codes) & (age < p.min_age_years)
    j = j.mutate(
        reason=ibis.cases(
            (male_only, "男性限定诊断用于女性"),
            (female_only, "女性限定诊断用于男性"),
            (too_young, f"低于{p.min_age_years}周岁的年龄限定诊断"),
            else_=ibis.null("string"),
        ),
        age=age,
        sex=j.gend.substitute({"1": "男", "2": "女"}, else_="未说明"),
    )
    j = j.filter(j.reason.notnull())
    return j.mutate(key=j.setl_id, amount=j.fund_pay, score=ibis.literal(1.0))


# --- hospital outliers ------------------------------------------------------------------------


def _median_over(t: ir.Table, value: str, by: str) -> ir.Value:
    """Exact median per group as a window value, from ranks (Spark's own median is approximate)."""
    w = ibis.window(group_by=by, order_by=[t[value], t.fixmedins_code])
    r = t.mutate(_rn=ibis.row_number().over(w), _n=t[value].count().over(group_by=by))
    lo, hi = (r._n - 1) // 2, r._n // 2
    return r, r[value].mean(where=(r._rn == lo) | (r._rn == hi)).over(group_by=by)


def _robust_z(t: ir.Table, value: str, p: SupervisionParams) -> ir.Table:
    """z = (x − median) ÷ (1.4826 × MAD) against hospitals of the same level (robust z).

    Windows only, no joins: on Spark each join of this small table cost a second of stages.
    """
    t = t.mutate(peers=t[value].count().over(group_by="level"))
    t = t.filter(t.peers >= p.outlier_min_peers)
    t, median = _median_over(t, value, "level")
    t = t.mutate(median=median).drop("_rn", "_n")
    t = t.mutate(_dev=(t[value] - t.median).abs())
    t = t.mutate(mean_ad=t._dev.mean().over(group_by="level"))
    t, mad = _median_over(t, "_dev", "level")
    t = t.mutate(mad=mad).drop("_rn", "_n", "_dev")
    # When more than half the peers share one value (MAD = 0, e.g. no readmissions at all),
    # fall back to the mean absolute deviation (Iglewicz & Hoaglin's 1.2533 × MeanAD).
    scale = ibis.cases(
        (t.mad > 0, 1.4826 * t.mad),
        (t.mean_ad > 0, 1.2533 * t.mean_ad),
        else_=ibis.null("float64"),
    )
    return t.mutate(z=(t[value] - t.median) / scale)


def hospital_metrics(inp: Inputs, p: SupervisionParams) -> ir.Table:
    """Admissions, cost, length of stay and readmissions per local hospital of the year.

    Off-site hospitals (结算单异地就医标志 = 1) are left out: they treat referred, costlier cases,
    are not the bureau's 定点 network, and are checked by the 异地 rule instead.  Employee (310)
    stays are left out too: hospitals are compared on one fund's admissions, whose case mix is
    alike across peers (a few costly employee stays made a small county's peers look alike)."""
    s = inp.stays.filter(
        inp.stays.in_year
        & (inp.stays.offsite_flag.fill_null("0") != "1")
        & (inp.stays.insutype != EMPLOYEE)
    )
    readmit = s.gap_days.notnull() & (s.gap_days >= 0) & (s.gap_days <= p.readmission_days)
    h = s.group_by("fixmedins_code").aggregate(
        n=s.count(),
        medfee_fen=to_fen(s.medfee_sumamt).sum(),
        fund_fen=to_fen(s.fund_pay).sum(),
        los_sum=s.los.sum(),
        readmits=readmit.cast("int64").sum(),
        readmit_fen=to_fen(s.fund_pay).sum(where=readmit),
        lv=s.hi_setl_lv.max(),
    )
    h = h.filter(h.n >= p.outlier_min_admissions)
    inst = inp.institutions
    h = h.left_join(inst, h.fixmedins_code == inst.fixmedins_code).select(
        h, level=inst.hosp_lv.fill_null(h.lv).fill_null("9")
    )
    # Cost per admission in whole fen, half-up: integer arithmetic, identical on every engine.
    return h.mutate(
        cost_fen=floor_div_expr(h.medfee_fen * 2 + h.n, h.n * 2),
        avg_los=h.los_sum.cast("float64") / h.n,
        readmit_rate=h.readmits.cast("float64") / h.n,
    )


def _hospitals(inp: Inputs, p: SupervisionParams) -> ir.Table:
    return inp.hospitals if inp.hospitals is not None else hospital_metrics(inp, p)


def _outlier(t: ir.Table, p: SupervisionParams) -> ir.Table:
    t = t.filter(t.z > p.outlier_z_threshold)
    return t.mutate(
        key=t.fixmedins_code,
        score=(t.z / p.outlier_z_threshold).round(4),
        z_shown=_dec2(t.z),
        level_name=t.level.substitute({"1": "一级", "2": "二级", "3": "三级"}, else_="未定级"),
    )


def hospital_cost_outlier(inp: Inputs, p: SupervisionParams) -> ir.Table:
    h = _hospitals(inp, p)
    t = _robust_z(h.mutate(value=h.cost_fen.cast("float64")), "value", p)
    t = _outlier(t, p)
    # Material excess as well as a high z: with few peers a 15 % swing can already look extreme.
    # Exact: cost_fen is an integer and a median of integers is a whole or half fen, so twice
    # the median is an integer; the excess is a whole per-mille rate.
    permille = int(p.outlier_min_cost_excess * 1000)
    twice_median = (t.median * 2).round(0).cast("int64")
    t = t.filter(t.cost_fen * 2000 >= twice_median * (1000 + permille))
    median_fen = t.median.cast("int64")
    excess = ibis.greatest(t.medfee_fen - t.n * median_fen, 0)
    return t.mutate(
        amount=to_money(excess),
        cost=to_money(t.cost_fen),
        peer_median=to_money(median_fen),
    )


def hospital_los_outlier(inp: Inputs, p: SupervisionParams) -> ir.Table:
    h = _hospitals(inp, p)
    t = _outlier(_robust_z(h.mutate(value=h.avg_los), "value", p), p)
    excess_days = ibis.greatest(t.los_sum - (t.median * t.n).round(0).cast("int64"), 0)
    return t.mutate(
        amount=to_money(floor_div_expr(t.fund_fen * excess_days, t.los_sum)),
        avg_los_shown=_dec2(t.avg_los),
        peer_median=_dec2(t.median),
    )


def hospital_readmission_outlier(inp: Inputs, p: SupervisionParams) -> ir.Table:
    h = _hospitals(inp, p)
    t = _outlier(_robust_z(h.mutate(value=h.readmit_rate), "value", p), p)
    t = t.filter(t.readmits >= p.outlier_min_readmissions)
    return t.mutate(
        amount=to_money(t.readmit_fen.fill_null(0)),
        rate_shown=percent_expr(t.readmit_rate),
        peer_median=percent_expr(t.median),
    )


# --- settlement and off-site ------------------------------------------------------------------


def payment_mismatch(inp: Inputs, p: SupervisionParams) -> ir.Table:
    d = inp.discrepancies
    assert d is not None
    zero = ibis.literal(0, MONEY)
    # diff_hifob_pay exists in discrepancies stored since issue 16
    hifob = d.diff_hifob_pay.fill_null(zero).abs() if "diff_hifob_pay" in d.columns else zero
    amount = (
        d.diff_hifp_pay.fill_null(zero).abs()
        + hifob
        + d.diff_hifmi_pay.fill_null(zero).abs()
        + d.diff_maf_pay.fill_null(zero).abs()
    ).cast(MONEY)
    d = d.mutate(amount=amount).filter(lambda x: x.amount > 0)
    return d.mutate(key=d.setl_id, score=ibis.literal(1.0))


# --- employee insurance (职工医保, issue 16) ----------------------------------------------------


def account_after_enrolment_end(inp: Inputs, p: SupervisionParams) -> ir.Table:
    """个人账户 paid for a person not enrolled in 310 on the settlement date."""
    c = inp.claims.filter((inp.claims.insutype == EMPLOYEE) & (inp.claims.acct_pay > 0))
    e = inp.enrolments.filter(inp.enrolments.insutype == EMPLOYEE)
    e = e.group_by("psn_no").aggregate(
        enrolled=e.count(), end_date=e.end_date.max(), any_open=e.end_date.isnull().any()
    )
    j = c.left_join(e, c.psn_no == e.psn_no).select(
        setl_id=c.setl_id,
        psn_no=c.psn_no,
        certno=c.certno,
        fixmedins_code=c.fixmedins_code,
        acct_pay=c.acct_pay,
        visit_date=c.setl_time.date(),
        end_date=e.end_date,
        enrolled=e.enrolled.fill_null(0),
        any_open=e.any_open.fill_null(False),
    )
    after_end = (j.enrolled > 0) & ~j.any_open & (j.visit_date > j.end_date)
    j = j.filter((j.enrolled == 0) | after_end)
    reason = ibis.cases(
        (j.enrolled == 0, "本年度没有职工医保参保登记"), else_="结算日期晚于参保终止日期"
    )
    days = ibis.cases((after_end, j.visit_date.delta(j.end_date, unit="day")), else_=0)
    return j.mutate(
        key=j.setl_id,
        amount=j.acct_pay,
        score=ibis.greatest(days, 1).cast("float64"),
        reason=reason,
        end_shown=j.end_date.cast("string").fill_null("—"),
    )


def negative_account(inp: Inputs, p: SupervisionParams) -> ir.Table:
    """A personal account whose year-end balance is below zero (paid more than it held)."""
    a = inp.accounts
    assert a is not None
    a = a.filter(a.closing < 0)
    return a.mutate(key=a.psn_no, amount=(-a.closing).cast(MONEY), score=ibis.literal(1.0))


def employer_under_declared(inp: Inputs, p: SupervisionParams) -> ir.Table:
    """An employer declaring most of its person-months below the base floor (少报缴费基数)."""
    e = inp.employers
    assert e is not None
    share = e.below_floor_months.cast("float64") / ibis.greatest(e.person_months, 1)
    e = e.mutate(share=share).filter(lambda t: t.share >= float(p.under_declared_share))
    zero = ibis.literal(0, MONEY)
    return e.mutate(
        key=e.emp_no,
        amount=ibis.greatest(-e.gap.fill_null(zero), zero).cast(MONEY),
        score=(e.share / float(p.under_declared_share)).round(4),
        share_shown=percent_expr(e.share),
    )


def offsite_check(inp: Inputs, p: SupervisionParams) -> ir.Table:
    c = inp.claims
    off = c.filter(c.offsite_flag == "1")
    # Local settlements strictly inside an off-site stay: the person cannot be in two places.
    stays = inp.stays.filter(inp.stays.in_year & (inp.stays.offsite_flag == "1"))
    local = c.filter(c.offsite_flag.fill_null("0") != "1")
    local_day = local.setl_time.date()
    inside = stays.join(
        local,
        [
            stays.psn_no == local.psn_no,
            local_day > stays.adm.date(),
            local_day < stays.dscg.date(),
        ],
    )
    hits = inside.group_by(setl_id=stays.setl_id).aggregate(local_claims=inside.count())
    j = off.left_join(hits, off.setl_id == hits.setl_id).select(
        off, local_claims=hits.local_claims.fill_null(0)
    )
    big = j.medfee_sumamt >= ibis.literal(Decimal(p.offsite_amount_threshold), MONEY)
    j = j.filter(big | (j.local_claims > 0))
    reason = ibis.cases(
        (big & (j.local_claims > 0), "金额超过核查标准,且住院期间本地有结算"),
        (big, "金额超过核查标准"),
        else_="异地住院期间本地有结算",
    )
    return j.mutate(
        key=j.setl_id,
        amount=j.fund_pay,
        score=(j.medfee_sumamt.cast("float64") / float(p.offsite_amount_threshold)).round(4)
        + j.local_claims.cast("float64"),
        reason=reason,
        visit_date=j.setl_time.date(),
    )


def finish(rule: Rule, t: ir.Table) -> ir.Table:
    """Standard columns plus one evidence text ``标签:值;…`` (the same text on every engine)."""
    cols = {}
    for name, dtype in STANDARD.items():
        cols[name] = t[name].cast(dtype) if name in t.columns else ibis.null(dtype)
    parts = []
    for col, label in rule.evidence:
        parts.append(ibis.literal(f"{label}:") + t[col].cast("string").fill_null("—"))
    evidence = parts[0]
    for part in parts[1:]:
        evidence = evidence + ";" + part
    return t.select(rule=ibis.literal(rule.code), **cols, evidence=evidence).mutate(
        score=lambda x: x.score.round(4)
    )
