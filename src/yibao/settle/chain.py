"""The one-stop settlement chain as Ibis expressions (DuckDB and PySpark alike).

Per person and calendar year of ``setl_time``, claims in (setl_time, setl_id) order:

1. basic fund: each claim's amount rounded to the fen, then capped per pool with
   min(cum_after, cap) − min(cum_before, cap) (inpatient + chronic share one cap, general
   outpatient has its own limit, retired cadres have none);
2. critical illness: F(cumulative base after) − F(before), F rounded to the fen, where the base
   is what basic insurance left of the policy-range cost;
3. medical assistance: a ratio by identity category of what is still left, rounded per claim,
   capped per person-year like the basic fund (only people with a non-zero ratio take part,
   so this pass sorts a small table);
4. psn_part_amt = medfee_sumamt − the funds.

Employee claims (职工医保, ``spec.employee_insutypes``) run in the same passes with their own
pools: inpatient + chronic share the employee cap, and 大额医疗费用补助 (hifob) pays
min(A, cap + hifob limit) − min(A_before, …) − hifp on the same cumulative A; general outpatient
telescopes on the cumulative policy-range cost, min(round F(after), limit) − min(round F(before),
limit) with F(x) = max(x − annual deductible, 0) × ratio.  No 大病/救助 for employees.  Their
``acct_pay`` is recorded, not computed: the trace says how far it exceeds psn_part_amt.

All amounts are integer fen, rates parts per million; money columns come out DECIMAL(18,2).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.expr.builders import LegacyWindowBuilder

from yibao.money import fen_expr, money_expr, round_ppm_expr
from yibao.settle.params import NO_CAP, ChainSpec

KINDS = {
    "R": "离休干部",
    "I": "住院",
    "C": "门诊慢特病",
    "G": "普通门诊",
    "EI": "职工住院",
    "EC": "职工门诊慢特病",
    "EG": "职工普通门诊",
}
#: Kinds settled by the employee rules.
EMPLOYEE_KINDS = ("EI", "EC", "EG")
#: Pools as small integers: through the sort and in every CASE after it a TINYINT is cheaper
#: than a string.  B 住院+慢特病, G 普通门诊, E 职工住院+慢特病, H 职工普通门诊, R 离休 (no pool).
R, B, G, E, H = 0, 1, 2, 3, 4


to_fen = fen_expr
to_money = money_expr
round_ppm = round_ppm_expr


def _clip0(x: ir.IntegerValue) -> ir.IntegerValue:
    return ibis.greatest(x, 0)


def _one_of(col: ir.StringValue, codes: tuple[str, ...]) -> ir.BooleanValue:
    if not codes:
        return ibis.literal(False)
    out = col == codes[0]
    for c in codes[1:]:
        out = out | (col == c)
    return out


def _capped(
    cum_after: ir.IntegerValue, amount: ir.IntegerValue, cap: ir.IntegerValue
) -> ir.IntegerValue:
    return ibis.least(cum_after, cap) - ibis.least(cum_after - amount, cap)


def _ci_f(
    c: ir.IntegerValue, t: ir.Table, spec: ChainSpec, poor: ir.BooleanValue
) -> ir.IntegerValue:
    """F(c) in fen: Σ band rate × part of c above the deductible inside the band, rounded."""
    ded = ibis.cases((poor, t.ci_poor_ded), else_=t.ci_ded)
    bump = ibis.cases((poor, t.ci_bump), else_=0)
    total = ibis.literal(0, "int64")
    for k in range(spec.n_bands):
        lo = ibis.greatest(t[f"ci_t{k}"], ded)
        hi = t[f"ci_t{k + 1}"] if k + 1 < spec.n_bands else ibis.literal(NO_CAP, "int64")
        width = _clip0(ibis.least(c, hi) - lo)
        total = total + width * (t[f"ci_r{k}"] + bump)
    return round_ppm(total)


def _col(t: ir.Table, name: str, default: ir.Value) -> ir.Value:
    """A column the claims may lack (files of resident claims predate it)."""
    return t[name] if name in t.columns else default


def period_id(d: ir.DateValue, starts: list) -> ir.IntegerValue:
    """Index of the period in force on ``d`` (-1 before the first); no range join needed."""
    cases = [(d >= ibis.literal(s), i) for i, s in reversed(list(enumerate(starts)))]
    return ibis.cases(*cases, else_=-1)


class _Params:
    """Period parameters as literals keyed by period id.

    There are only a handful of periods, so a CASE on the id is far cheaper than joining a
    parameter table (a hash probe per claim) or carrying ~30 parameter columns through the
    sort; a parameter that never changes is a plain literal.
    """

    def __init__(self, periods: pa.Table) -> None:
        self.rows = periods.to_pylist()

    def __call__(self, t: ir.Table, name: str, dtype: str = "int64") -> ir.Value:
        values = {r["pid"]: r[name] for r in self.rows}
        distinct = set(values.values())
        if len(distinct) == 1:
            return ibis.literal(next(iter(distinct)), dtype)
        return ibis.cases(
            *[(t.pid == k, ibis.literal(v, dtype)) for k, v in values.items()],
            else_=ibis.null(dtype),
        )


def settle_chain(
    claims: ir.Table,
    periods: pa.Table,
    starts: list,
    spec: ChainSpec,
    *,
    trace: bool = True,
    keep: tuple[str, ...] = (),
) -> ir.Table:
    """Settled claims with trace columns.

    ``claims`` must be valid (see settle.inputs); ``periods`` is ``params.chain_periods(...)``
    and ``starts`` the start dates of *all* periods, so that ids line up.  When the
    critical-illness base telescopes (``spec.ci_telescopes``) the whole chain sorts the claims
    once; otherwise the base needs a second pass.
    ``trace=False`` returns only the payments and keeps
    the trace-only columns out of the sort.  ``keep`` columns of ``claims`` ride along to the
    output (the workspace stores the identity used without joining the input back).
    """
    c = claims.mutate(
        year=claims.setl_time.year().cast("int32"),
        pid=period_id(claims.setl_time.date(), starts).cast("int64"),
        inscp=to_fen(claims.inscp_scp_amt),
        total=to_fen(claims.medfee_sumamt),
    )
    par = _Params(periods)
    t = c

    retiree = _one_of(t.insutype, spec.retiree_insutypes)
    basic = _one_of(t.insutype, spec.basic_insutypes)
    emp = _one_of(t.insutype, spec.employee_insutypes)
    inp, chron, gen = (
        _one_of(t.med_type, spec.inpatient_types),
        _one_of(t.med_type, spec.chronic_types),
        _one_of(t.med_type, spec.general_types),
    )
    kind = ibis.cases(
        (retiree, "R"),
        (basic & inp, "I"),
        (basic & chron, "C"),
        (basic & gen, "G"),
        (emp & inp, "EI"),
        (emp & chron, "EC"),
        (emp & gen, "EG"),
        else_=ibis.null("string"),
    )
    emp_retired = _col(t, "emp_retired", ibis.null("string")).fill_null("0") == "1"
    offsite = t.offsite_flag.fill_null("0") == "1"
    lv = t.hi_setl_lv
    level_ded = ibis.cases(
        (lv == "1", par(t, "inp_ded_1")),
        (lv == "2", par(t, "inp_ded_2")),
        (lv == "3", par(t, "inp_ded_3")),
        else_=ibis.null("int64"),
    )
    level_ratio = ibis.cases(
        (lv == "1", par(t, "inp_ratio_1")),
        (lv == "2", par(t, "inp_ratio_2")),
        (lv == "3", par(t, "inp_ratio_3")),
        else_=ibis.null("int64"),
    )
    e_level_ded = ibis.cases(
        *[(lv == k, par(t, f"e_inp_ded_{k}")) for k in "123"], else_=ibis.null("int64")
    )
    e_level_ratio = ibis.cases(
        *[(lv == k, par(t, f"e_inp_ratio_{k}")) for k in "123"], else_=ibis.null("int64")
    )
    e_inp_ratio = (
        e_level_ratio
        + ibis.cases((emp_retired, par(t, "e_ret_inc")), else_=0)
        - ibis.cases((offsite, par(t, "e_off_red")), else_=0)
    )
    t = t.mutate(kind=kind)
    ded = ibis.cases(
        (t.kind == "I", ibis.cases((offsite, par(t, "off_ded")), else_=level_ded)),
        (t.kind == "C", par(t, "chr_ded")),
        (t.kind == "G", par(t, "gen_ded")),
        (t.kind == "EI", ibis.cases((offsite, par(t, "e_off_ded")), else_=e_level_ded)),
        (t.kind == "EC", par(t, "e_chr_ded")),
        (t.kind == "EG", par(t, "e_gen_ded")),
        else_=0,
    )
    ratio = ibis.cases(
        (t.kind == "I", _clip0(level_ratio - ibis.cases((offsite, par(t, "off_red")), else_=0))),
        (t.kind == "C", par(t, "chr_ratio")),
        (t.kind == "G", par(t, "gen_ratio")),
        (t.kind == "R", par(t, "ret_ratio")),
        (t.kind == "EI", _clip0(e_inp_ratio)),
        (t.kind == "EC", par(t, "e_chr_ratio")),
        (
            t.kind == "EG",
            ibis.cases((emp_retired, par(t, "e_gen_ret_ratio")), else_=par(t, "e_gen_ratio")),
        ),
        else_=0,
    )
    cat = t.psn_idet_type.fill_null("")
    maf_rate = (
        ibis.cases(
            *[(cat == n, par(t, f"maf_r{k}")) for k, n in enumerate(spec.maf_categories)], else_=0
        )
        if spec.maf_categories
        else ibis.literal(0, "int64")
    )
    resident = (t.kind != "R") & ~t.kind.isin(EMPLOYEE_KINDS)
    in_maf = resident & _one_of(t.med_type, spec.maf_types)
    zero = ibis.literal(0, "int64")
    extra = {}
    if trace:  # recorded, only for the trace's check against psn_part_amt
        acct = _col(t, "acct_pay", ibis.null("decimal(18,2)"))
        extra["acct"] = to_fen(acct.fill_null(ibis.literal(0, "decimal(18,2)")))
    # Row-level stage, narrowed to what the passes need.
    t = t.select(
        "setl_id",
        "psn_no",
        "year",
        "setl_time",
        "pid",
        "kind",
        "inscp",
        "total",
        deductible=ded.cast("int64"),
        ratio=ratio.cast("int64"),
        pool=ibis.cases(
            (t.kind.isin(["I", "C"]), B),
            (t.kind == "G", G),
            (t.kind.isin(["EI", "EC"]), E),
            (t.kind == "EG", H),
            else_=R,
        ).cast("int8"),
        in_ci=resident & _one_of(t.med_type, spec.ci_types),
        poor=_one_of(cat, spec.poor_categories),
        maf_rate=ibis.cases((in_maf, maf_rate), else_=zero).cast("int64"),
        **{k: t[k] for k in keep},
        **extra,
    )
    has_emp = bool(spec.employee_insutypes)
    basic_raw = round_ppm(_clip0(t.inscp - t.deductible) * t.ratio)
    if has_emp:
        # Pool H (employee general outpatient) telescopes on the cumulative policy-range cost
        # after the window (_employee_pools); until then its basic_raw slot carries the ratio,
        # so that the payment-only chain sorts no extra column.
        basic_raw = ibis.cases((t.pool == H, t.ratio), else_=basic_raw)
    t = t.mutate(basic_raw=basic_raw)
    if not trace:
        t = t.drop("deductible", "ratio")

    # Pass 1: basic fund (and, when it telescopes, the critical-illness base) in one sort.
    sums = _pool_sums(t) if not trace and spec.ci_telescopes else _shared_sums(t, spec)
    # DuckDB sums BIGINT into HUGEINT; without the cast every expression after the window
    # (caps, 大病 bands, payments) ran in 128-bit arithmetic.  "!int64" because Ibis drops a
    # cast to the type it already has.
    # Fewer mutate() layers also keep Ibis's compile time down (it is part of every run).
    sums = {k: v.cast("!int64") for k, v in sums.items()}
    t = t.mutate(**sums, basic_cap=par(t, "basic_cap"), gen_limit=par(t, "gen_limit"))
    if has_emp:
        t = _employee_pools(t, par)
    else:
        t = t.mutate(basic_cum_e=zero, e_cap=zero, e_ob_cap=zero, e_gen_limit=zero)
    hifp = ibis.cases(
        (t.pool == B, _capped(t.basic_cum_b, t.basic_raw, t.basic_cap)),
        (t.pool == G, _capped(t.basic_cum_g, t.basic_raw, t.gen_limit)),
        (t.pool == E, _capped(t.basic_cum_e, t.basic_raw, t.e_cap)),
        (t.pool == H, _capped(t.basic_cum_e, t.basic_raw, t.e_gen_limit)),
        else_=t.basic_raw,
    )
    t = t.mutate(hifp=hifp.cast("int64"))
    hifob = ibis.cases(
        (t.pool == E, _capped(t.basic_cum_e, t.basic_raw, t.e_ob_cap) - t.hifp), else_=zero
    )
    t = t.mutate(
        hifob=hifob.cast("int64"), ci_base=ibis.cases((t.in_ci, t.inscp - t.hifp), else_=zero)
    )

    # Pass 2: critical illness, F(cumulative base after) − F(before).
    ci_names = [
        "ci_ded",
        "ci_poor_ded",
        "ci_bump",
        "ci_cap",
        "maf_limit",
        *[f"ci_t{k}" for k in range(spec.n_bands)],
        *[f"ci_r{k}" for k in range(spec.n_bands)],
    ]
    ci_par = {n: par(t, n) for n in ci_names}
    if spec.ci_telescopes:
        # Σ hifp over the year's pool-B claims telescopes to min(cum raw, cap).
        ci_cum = t.ci_inscp_cum - ibis.least(t.basic_cum_b, t.basic_cap)
        if has_emp:  # an employee's partition has no 大病 base
            ci_cum = ibis.cases(((t.pool >= E), zero), else_=ci_cum)
        t = t.mutate(ci_cum=ci_cum, **ci_par)
    else:
        w2 = _window(t, [t.psn_no, t.year] + ([(t.pool >= E)] if has_emp else []))
        t = t.mutate(ci_cum=t.ci_base.sum().over(w2).cast("!int64"), **ci_par)
    f_after = _ci_f(t.ci_cum, t, spec, t.poor)
    f_before = _ci_f(t.ci_cum - t.ci_base, t, spec, t.poor)
    if not trace:  # only 大病 claims need F (the trace shows it on every claim)
        f_after = ibis.cases((t.in_ci, f_after), else_=zero)
        f_before = ibis.cases((t.in_ci, f_before), else_=zero)
    t = t.mutate(ci_f_after=f_after, ci_f_before=f_before)
    t = t.mutate(
        hifmi=ibis.cases(
            (t.in_ci, _capped(t.ci_f_after, t.ci_f_after - t.ci_f_before, t.ci_cap)), else_=zero
        )
    )

    # Pass 3: medical assistance, only for claims with a non-zero ratio (a small sort).
    t = t.mutate(maf_base=ibis.cases((t.maf_rate > 0, t.inscp - t.hifp - t.hifmi), else_=zero))
    t = t.mutate(maf_raw=round_ppm(_clip0(t.maf_base) * t.maf_rate))
    # The assisted claims are windowed apart and put back with UNION ALL: joining them back by
    # setl_id cost a hash probe per claim, more than their window.
    assisted = (t.maf_rate > 0).fill_null(False)
    m = t.filter(assisted)
    wm = _window(m, [m.psn_no, m.year])
    m = m.mutate(maf_cum=m.maf_raw.sum().over(wm).cast("!int64"))
    m = m.mutate(maf=_capped(m.maf_cum, m.maf_raw, m.maf_limit).cast("!int64"))
    none = ibis.literal(0, "int64").cast("!int64")
    t = t.filter(~assisted).mutate(maf_cum=none, maf=none).union(m, distinct=False)
    t = t.mutate(psn=t.total - t.hifp - t.hifob - t.hifmi - t.maf)

    payments = {
        "hifp_pay": to_money(t.hifp),
        "hifob_pay": to_money(t.hifob),
        "hifmi_pay": to_money(t.hifmi),
        "maf_pay": to_money(t.maf),
        "psn_part_amt": to_money(t.psn),
    }
    if not trace:
        return t.select("setl_id", "psn_no", "year", *keep, **payments)
    big = ibis.literal(NO_CAP, "int64")
    # Trace columns stay integer fen: converting 20 columns to DECIMAL costs more than the
    # whole window pass; only the four payments are money columns.
    return t.select(
        "setl_id",
        "psn_no",
        "year",
        **payments,
        kind=t.kind,
        policy_from=par(t, "p_start", "date"),
        deductible_fen=t.deductible,
        ratio_ppm=t.ratio,
        basic_raw_fen=t.basic_raw,
        basic_cum_fen=ibis.cases(
            (t.pool == B, t.basic_cum_b),
            (t.pool == G, t.basic_cum_g),
            ((t.pool >= E), t.basic_cum_e),
            else_=t.basic_raw,
        ),
        basic_cap_fen=ibis.cases(
            (t.pool == B, t.basic_cap),
            (t.pool == G, t.gen_limit),
            (t.pool == E, t.e_cap),
            (t.pool == H, t.e_gen_limit),
            else_=big,
        ),
        hifob_cap_fen=ibis.cases((t.pool == E, t.e_ob_cap), else_=zero),
        ci_base_fen=t.ci_base,
        ci_cum_fen=t.ci_cum,
        poor=t.poor,
        ci_f_before_fen=t.ci_f_before,
        ci_f_after_fen=t.ci_f_after,
        maf_rate_ppm=t.maf_rate,
        maf_base_fen=t.maf_base,
        maf_raw_fen=t.maf_raw,
        maf_cum_fen=t.maf_cum,
        maf_limit_fen=t.maf_limit,
        acct_pay_fen=t.acct,
        acct_excess_fen=_clip0(t.acct - t.psn),
        **{k: t[k] for k in keep},
    )


def _window(t: ir.Table, keys: list) -> LegacyWindowBuilder:
    """Running frame in the chain's order: setl_time, then setl_id (the tie-break)."""
    return ibis.window(group_by=keys, order_by=[t.setl_time, t.setl_id], rows=(None, 0))


def _shared_sums(t: ir.Table, spec: ChainSpec) -> dict[str, ir.IntegerValue]:
    """Running sums per person-year (and scheme): the trace shows, on every claim, the
    person's cumulative amounts of each pool so far, so all pools share one partition.

    Employee and resident claims of one person-year are apart by the partition (a person
    may change scheme), so each capped pool is still one running sum: B or E, G or H."""
    zero = ibis.literal(0, "int64")
    has_emp = bool(spec.employee_insutypes)
    w = _window(t, [t.psn_no, t.year] + ([(t.pool >= E)] if has_emp else []))
    capped_pool = t.pool.isin([B, E]) if has_emp else t.pool == B
    gen = ibis.cases((t.pool == G, t.basic_raw), (t.pool == H, t.inscp), else_=zero)
    sums = {
        "basic_cum_b": ibis.cases((capped_pool, t.basic_raw), else_=zero).sum().over(w),
        "basic_cum_g": gen.sum().over(w),
    }
    if spec.ci_telescopes:
        sums["ci_inscp_cum"] = ibis.cases((t.in_ci, t.inscp), else_=zero).sum().over(w)
    return sums


def _pool_sums(t: ir.Table) -> dict[str, ir.IntegerValue]:
    """The same sums where the payments need them, with the pool in the partition: two plain
    running sums instead of three CASE-filtered ones (payments only, issue 17).

    Each pool only ever reads its own sum, and when the base telescopes the 大病 claims are
    exactly pool B, so Σ inscp over pool B is the 大病 cumulative cost.  Pool H sums inscp
    (its ratio rides in basic_raw); the other pools sum basic_raw."""
    w = _window(t, [t.psn_no, t.year, t.pool])
    raw, inscp = t.basic_raw.sum().over(w), t.inscp.sum().over(w)
    return {
        "basic_cum_b": raw,
        "basic_cum_g": ibis.cases((t.pool == H, inscp), else_=raw),
        "ci_inscp_cum": inscp,
    }


def _employee_pools(t: ir.Table, par: _Params) -> ir.Table:
    """Employee pools after the shared window: pool E (inpatient + chronic) has its cumulative
    rounded basic amount A in ``basic_cum_b`` (its own partition); pool H (general outpatient)
    has its cumulative policy-range cost in ``basic_cum_g`` and its ratio in ``basic_raw``, and
    gets round F(after) − round F(before) as ``basic_raw`` and round F(after) as cumulative.
    Both land in ``basic_cum_e`` (a claim is in one pool only)."""
    t = t.mutate(
        e_cap=par(t, "e_cap"),
        e_ob_cap=par(t, "e_cap") + par(t, "e_ob_limit"),
        e_gen_limit=par(t, "e_gen_limit"),
        e_gen_ded=par(t, "e_gen_ded"),
    )
    x, r = t.basic_cum_g, t.basic_raw
    f_after = round_ppm(_clip0(x - t.e_gen_ded) * r)
    f_before = round_ppm(_clip0(x - t.inscp - t.e_gen_ded) * r)
    is_h = t.pool == H
    return t.mutate(
        basic_raw=ibis.cases((is_h, f_after - f_before), else_=t.basic_raw),
        basic_cum_e=ibis.cases((is_h, f_after), (t.pool == E, t.basic_cum_b), else_=0),
    )
