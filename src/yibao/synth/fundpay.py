"""Recorded fund payments of generated claims, computed without yibao's settlement chain.

The bureau's system computed the payments under its policy.  Standing in for it with yibao's
own chain would make "settling reproduces the recorded payments" a tautology, so this module
settles independently, from DOMAIN.md §3 and the policy parameters, in numpy over whole
arrays (no Python loop over claims; millions of claims take seconds):

- claims are ordered by person, year, settlement time and setl_id (the lower id first on a tie);
- basic fund per claim: round((policy-range cost − deductible)⁺ × ratio); inpatient and chronic
  outpatient share the annual cap, general outpatient has its own limit, 离休 has no cap; a
  capped payment is min(cum, cap) − min(cum − raw, cap) with the cap in force on the claim's day;
- 大病: base = policy-range cost − basic payment over the 大病 claims, cumulated; paid
  G(cum) − G(cum − base), G = min(round(F), cap), F the scale above the deductible (poor
  categories: their deductible, raised rates);
- 医疗救助: round((cost − basic − 大病)⁺ × the category's ratio), capped per person-year;
- employees (``employee.insutypes``, issue 16), cumulated apart from the person's resident
  claims: inpatient (level deductible, or the off-site one; level ratio + the retired increase
  − the off-site reduction) and chronic share the employee cap, and 大额 pays
  min(cum, cap + limit) − min(cum − raw, cap + limit) − hifp; general outpatient pays
  min(G(x), limit) − min(G(x − cost), limit), G = round((x − annual deductible)⁺ × ratio) on
  the cumulative policy-range cost x; no 大病, no 救助.

Money is integer fen, rates parts per million, rounding half-up as (x + 500000) // 10⁶ (x ≥ 0).
tests/synth/test_fundpay.py compares it with the tests' plain-Python reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yibao.money import fen_exact
from yibao.policy import Policy

from .vec import fen_of, money

#: Parameters the payments depend on; a new period starts where any of them changes.
PARAMS = (
    "basic.insutypes",
    "basic.annual_cap",
    "basic.inpatient.med_types",
    "basic.inpatient.deductible",
    "basic.inpatient.ratio",
    "basic.inpatient.offsite_deductible",
    "basic.inpatient.offsite_ratio_reduction",
    "basic.chronic_outpatient.med_types",
    "basic.chronic_outpatient.deductible",
    "basic.chronic_outpatient.ratio",
    "basic.general_outpatient.med_types",
    "basic.general_outpatient.deductible",
    "basic.general_outpatient.ratio",
    "basic.general_outpatient.annual_limit",
    "critical_illness.med_types",
    "critical_illness.deductible",
    "critical_illness.scale",
    "critical_illness.poor_categories",
    "critical_illness.poor_deductible",
    "critical_illness.poor_rate_increase",
    "critical_illness.annual_cap",
    "medical_assistance.med_types",
    "medical_assistance.ratio",
    "medical_assistance.annual_limit",
    "retired_cadre.insutypes",
    "retired_cadre.ratio",
    "employee.insutypes",
    "employee.annual_cap",
    "employee.large_expense_limit",
    "employee.inpatient.deductible",
    "employee.inpatient.ratio",
    "employee.inpatient.retired_ratio_increase",
    "employee.inpatient.offsite_deductible",
    "employee.inpatient.offsite_ratio_reduction",
    "employee.chronic_outpatient.deductible",
    "employee.chronic_outpatient.ratio",
    "employee.general_outpatient.deductible",
    "employee.general_outpatient.ratio",
    "employee.general_outpatient.retired_ratio",
    "employee.general_outpatient.annual_limit",
)
UNCAPPED = np.int64(1) << np.int64(60)  # fen; larger than any person-year
LEVELS = ("1", "2", "3")


def _fen(v: Decimal | None) -> int:
    return int(UNCAPPED) if v is None else fen_exact(v)


def _ppm(v: Decimal) -> int:
    return int(v * 1_000_000)


def _round(x_ppm: np.ndarray) -> np.ndarray:
    return (x_ppm + 500_000) // 1_000_000


@dataclass(frozen=True)
class Period:
    """The policy on one day, in fen and ppm."""

    start: date
    get: Any  # name → value in force (None when absent or ended)

    def codes(self, name: str) -> list[str]:
        return list(self.get(name) or [])


def periods(policy: Policy) -> list[Period]:
    starts = sorted(
        {dv.start for n in PARAMS if n in policy.parameters for dv in policy.parameters[n].values}
    )

    def reader(on: date) -> Any:
        def get(name: str) -> Any:
            p = policy.parameters.get(name)
            dv = p.at(on) if p else None
            return None if dv is None else dv.value

        return get

    return [Period(s, reader(s)) for s in starts]


def _in(col: pa.ChunkedArray, codes: list[str]) -> np.ndarray:
    mask = pc.is_in(col, value_set=pa.array(codes, pa.string()))
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _segment_cumsum(x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting where ``first`` is True (x in sorted order)."""
    cs = np.cumsum(x)
    start = np.maximum.accumulate(np.where(first, np.arange(len(x)), 0))
    return cs - (cs[start] - x[start])


def _capped(cum: np.ndarray, amount: np.ndarray, cap: np.ndarray) -> np.ndarray:
    return np.minimum(cum, cap) - np.minimum(cum - amount, cap)


class _Columns:
    """Per-claim parameters, filled period by period (a policy has a handful of periods)."""

    def __init__(self, n: int) -> None:
        z = lambda: np.zeros(n, dtype=np.int64)  # noqa: E731
        self.kind = np.full(n, "", dtype="<U1")
        self.ded, self.ratio, self.cap = z(), z(), z()
        self.in_ci, self.poor, self.in_maf = (np.zeros(n, dtype=bool) for _ in range(3))
        self.ci_ded, self.ci_bump, self.ci_cap = z(), z(), z()
        self.maf_rate, self.maf_limit = z(), z()
        self.ob_cap = z()  # employee pool: cap + 大额 limit
        self.bands: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []


def _fill(c: _Columns, claims: pa.Table, rows: np.ndarray, p: Period, n_bands: int) -> None:
    g = p.get
    sub = claims.take(pa.array(rows, pa.int64()))
    med, ins = sub.column("med_type"), sub.column("insutype")
    retiree = _in(ins, p.codes("retired_cadre.insutypes"))
    emp = _in(ins, p.codes("employee.insutypes")) & ~retiree
    basic = (_in(ins, p.codes("basic.insutypes")) & ~retiree) | emp
    inp = basic & _in(med, p.codes("basic.inpatient.med_types"))
    chron = basic & ~inp & _in(med, p.codes("basic.chronic_outpatient.med_types"))
    gen = basic & ~inp & ~chron & _in(med, p.codes("basic.general_outpatient.med_types"))
    unknown = ~(retiree | inp | chron | gen)
    if unknown.any():
        sid = sub.column("setl_id")[int(np.flatnonzero(unknown)[0])].as_py()
        raise ValueError(f"结算单 {sid}: 政策中没有适用的险种/医疗类别规则")
    lv = sub.column("hi_setl_lv")
    offsite = _in(sub.column("offsite_flag"), ["1"])
    ded = np.zeros(len(rows), dtype=np.int64)
    ratio = np.zeros(len(rows), dtype=np.int64)
    ratio[retiree] = _ppm(g("retired_cadre.ratio"))
    no_level = inp & ~_in(lv, list(LEVELS))
    if no_level.any():
        sid = sub.column("setl_id")[int(np.flatnonzero(no_level)[0])].as_py()
        raise ValueError(f"结算单 {sid}: 住院结算缺少医保结算等级")
    for level in LEVELS:
        at = inp & _in(lv, [level])
        ded[at] = _fen(g("basic.inpatient.deductible")[level])
        ratio[at] = _ppm(g("basic.inpatient.ratio")[level])
    if (inp & offsite).any():
        ded[inp & offsite] = _fen(g("basic.inpatient.offsite_deductible"))
        ratio[inp & offsite] -= _ppm(g("basic.inpatient.offsite_ratio_reduction"))
    for mask, key in ((chron, "chronic_outpatient"), (gen, "general_outpatient")):
        ded[mask] = _fen(g(f"basic.{key}.deductible"))
        ratio[mask] = _ppm(g(f"basic.{key}.ratio"))
    cap = np.full(len(rows), UNCAPPED, dtype=np.int64)
    cap[inp | chron] = _fen(g("basic.annual_cap"))
    cap[gen] = _fen(g("basic.general_outpatient.annual_limit"))
    c.kind[rows] = np.select([retiree, inp, chron], ["R", "I", "C"], "G")
    if emp.any():
        _fill_employee(c, sub, rows, p, emp & (inp | chron), emp & gen, ded, ratio, cap)
    c.ded[rows], c.ratio[rows], c.cap[rows] = ded, ratio, cap

    idet = pc.fill_null(sub.column("psn_idet_type"), "普通人员")
    poor = _in(idet, p.codes("critical_illness.poor_categories"))
    c.in_ci[rows] = ~retiree & _in(med, p.codes("critical_illness.med_types"))
    c.poor[rows] = poor
    c.ci_ded[rows] = np.where(
        poor, _fen(g("critical_illness.poor_deductible")), _fen(g("critical_illness.deductible"))
    )
    c.ci_bump[rows] = np.where(poor, _ppm(g("critical_illness.poor_rate_increase")), 0)
    c.ci_cap[rows] = _fen(g("critical_illness.annual_cap"))
    brackets = g("critical_illness.scale").brackets
    for k in range(n_bands):
        lo_, hi_, rate_ = c.bands[k]
        if k < len(brackets):
            lo_[rows] = _fen(brackets[k].threshold)
            hi_[rows] = _fen(brackets[k + 1].threshold) if k + 1 < len(brackets) else UNCAPPED
            rate_[rows] = _ppm(brackets[k].rate)
        else:  # an empty band
            lo_[rows], hi_[rows], rate_[rows] = UNCAPPED, UNCAPPED, 0
    rate = np.zeros(len(rows), dtype=np.int64)
    for cat, r in (g("medical_assistance.ratio") or {}).items():
        rate[_in(idet, [cat])] = _ppm(r)
    c.in_ci[rows] &= ~emp
    maf_ok = ~retiree & ~emp & _in(med, p.codes("medical_assistance.med_types"))
    c.maf_rate[rows] = np.where(maf_ok, rate, 0)
    c.maf_limit[rows] = _fen(g("medical_assistance.annual_limit"))


def _fill_employee(
    c: _Columns,
    sub: pa.Table,
    rows: np.ndarray,
    p: Period,
    pooled: np.ndarray,
    gen: np.ndarray,
    ded: np.ndarray,
    ratio: np.ndarray,
    cap: np.ndarray,
) -> None:
    """Overwrite the employee claims' kind (E pooled, H general), deductible, ratio, caps."""
    g = p.get
    e = "employee."
    retired = (
        _in(sub.column("emp_retired"), ["1"])
        if "emp_retired" in sub.column_names
        else np.zeros(len(rows), dtype=bool)
    )
    inp = pooled & _in(sub.column("med_type"), p.codes("basic.inpatient.med_types"))
    chron = pooled & ~inp
    lv = sub.column("hi_setl_lv")
    for level in LEVELS:
        at = inp & _in(lv, [level])
        ded[at] = _fen(g(e + "inpatient.deductible")[level])
        ratio[at] = _ppm(g(e + "inpatient.ratio")[level])
    ratio[inp & retired] += _ppm(g(e + "inpatient.retired_ratio_increase"))
    off = inp & _in(sub.column("offsite_flag"), ["1"])
    ded[off] = _fen(g(e + "inpatient.offsite_deductible"))
    ratio[off] -= _ppm(g(e + "inpatient.offsite_ratio_reduction"))
    ratio[inp] = np.clip(ratio[inp], 0, None)
    ded[chron] = _fen(g(e + "chronic_outpatient.deductible"))
    ratio[chron] = _ppm(g(e + "chronic_outpatient.ratio"))
    ded[gen] = _fen(g(e + "general_outpatient.deductible"))
    ratio[gen] = np.where(
        retired[gen],
        _ppm(g(e + "general_outpatient.retired_ratio")),
        _ppm(g(e + "general_outpatient.ratio")),
    )
    cap[pooled] = _fen(g(e + "annual_cap"))
    cap[gen] = _fen(g(e + "general_outpatient.annual_limit"))
    kind = c.kind[rows]
    kind[pooled], kind[gen] = "E", "H"
    c.kind[rows] = kind
    c.ob_cap[rows] = np.where(
        pooled, _fen(g(e + "annual_cap")) + _fen(g(e + "large_expense_limit")), 0
    )


def _ci_f(cum: np.ndarray, c: _Columns) -> np.ndarray:
    """round(F(cum)) in fen: Σ over bands of (rate + bump) × the part above the deductible."""
    total = np.zeros(len(cum), dtype=np.int64)
    for lo_, hi_, rate_ in c.bands:
        lo = np.maximum(lo_, c.ci_ded)
        width = np.clip(np.minimum(cum, hi_) - lo, 0, None)
        total += width * (rate_ + c.ci_bump)
    return _round(total)


def pay_fen(claims: pa.Table, policy: Policy) -> tuple[np.ndarray, ...]:
    """(hifp, hifmi, maf, psn_part, hifob) in fen, in the row order of ``claims``."""
    n = claims.num_rows
    if n == 0:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(5))
    when = claims.column("setl_time").cast(pa.timestamp("s"))
    year = pc.year(when)
    emp_codes = sorted({c for p in periods(policy) for c in p.codes("employee.insutypes")})
    scheme = pc.is_in(claims.column("insutype"), value_set=pa.array(emp_codes, pa.string()))
    order = pc.sort_indices(
        pa.table(
            {
                "p": claims.column("psn_no"),
                "y": year,
                "e": scheme,
                "t": when,
                "s": claims.column("setl_id"),
            }
        ),
        sort_keys=[(k, "ascending") for k in ("p", "y", "e", "t", "s")],
    ).to_numpy()
    t = claims.take(pa.array(order, pa.int64()))
    day = np.asarray(t.column("setl_time").cast(pa.timestamp("s")).cast(pa.date32()).to_numpy())
    pers = periods(policy)
    start_days = np.array([np.datetime64(p.start, "D") for p in pers])
    pid = np.searchsorted(start_days, day, side="right") - 1
    if (pid < 0).any():
        raise ValueError("有结算单早于政策的生效日期")
    c = _Columns(n)
    n_bands = max(
        len(p.get("critical_illness.scale").brackets)
        for p in pers
        if p.get("critical_illness.scale")
    )
    c.bands = [tuple(np.zeros(n, dtype=np.int64) for _ in range(3)) for _ in range(n_bands)]
    for k, p in enumerate(pers):
        rows = np.flatnonzero(pid == k)
        if len(rows):
            _fill(c, t, rows, p, n_bands)

    psn = t.column("psn_no")
    yr = np.asarray(pc.year(t.column("setl_time")).to_numpy())
    same = np.zeros(n, dtype=bool)
    if n > 1:
        prev_psn = pc.equal(psn.slice(1), psn.slice(0, n - 1))
        same[1:] = np.asarray(prev_psn.to_numpy(zero_copy_only=False)) & (yr[1:] == yr[:-1])
        is_emp = (c.kind == "E") | (c.kind == "H")
        same[1:] &= is_emp[1:] == is_emp[:-1]  # an employee's claims cumulate apart
    first = ~same
    inscp = fen_of(t.column("inscp_scp_amt"))
    medfee = fen_of(t.column("medfee_sumamt"))

    raw = _round(np.clip(inscp - c.ded, 0, None) * c.ratio)
    pool_b = (c.kind == "I") | (c.kind == "C")
    pool_g = c.kind == "G"
    cum_b = _segment_cumsum(np.where(pool_b, raw, 0), first)
    cum_g = _segment_cumsum(np.where(pool_g, raw, 0), first)
    hifp = np.where(
        pool_b, _capped(cum_b, raw, c.cap), np.where(pool_g, _capped(cum_g, raw, c.cap), raw)
    )
    hifp, hifob = _employee_pay(c, raw, inscp, first, hifp)
    base = np.where(c.in_ci, inscp - hifp, 0)
    ci_cum = _segment_cumsum(base, first)
    hifmi = np.minimum(_ci_f(ci_cum, c), c.ci_cap) - np.minimum(_ci_f(ci_cum - base, c), c.ci_cap)
    maf_base = np.where(c.maf_rate > 0, np.clip(inscp - hifp - hifmi, 0, None), 0)
    maf_raw = _round(maf_base * c.maf_rate)
    maf_cum = _segment_cumsum(maf_raw, first)
    maf = _capped(maf_cum, maf_raw, c.maf_limit)
    psn_part = medfee - hifp - hifob - hifmi - maf

    back = np.empty(n, dtype=np.int64)
    back[order] = np.arange(n)
    return tuple(a[back] for a in (hifp, hifmi, maf, psn_part, hifob))


def _employee_pay(
    c: _Columns, raw: np.ndarray, inscp: np.ndarray, first: np.ndarray, hifp: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """hifp of the employee pools (E capped + 大额, H telescoping) and hifob."""
    pool_e, pool_h = c.kind == "E", c.kind == "H"
    hifob = np.zeros(len(raw), dtype=np.int64)
    if not (pool_e.any() or pool_h.any()):
        return hifp, hifob
    cum_e = _segment_cumsum(np.where(pool_e, raw, 0), first)
    e_pay = _capped(cum_e, raw, c.cap)
    hifob = np.where(pool_e, _capped(cum_e, raw, c.ob_cap) - e_pay, 0)
    x = _segment_cumsum(np.where(pool_h, inscp, 0), first)
    g_after = _round(np.clip(x - c.ded, 0, None) * c.ratio)
    g_before = _round(np.clip(x - inscp - c.ded, 0, None) * c.ratio)
    h_pay = np.minimum(g_after, c.cap) - np.minimum(g_before, c.cap)
    return np.where(pool_e, e_pay, np.where(pool_h, h_pay, hifp)), hifob


def with_payments(claims: pa.Table, policy: Policy) -> pa.Table:
    """``claims`` with hifp_pay, hifmi_pay, maf_pay, psn_part_amt and hifob_pay appended
    (DECIMAL(18,2))."""
    names = ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt", "hifob_pay")
    for name, fen in zip(names, pay_fen(claims, policy), strict=True):
        claims = claims.append_column(name, money(fen))
    return claims
