"""Reference settlement: plain Python and Decimal, one claim at a time (DOMAIN.md §3).

Written from DOMAIN.md and the policy parameters alone, never from ``settle/chain.py``: it is
the independent opinion the chain and the generator's payments are compared with.  A claim is
a dict with the columns of ``settle.run.CLAIM_COLUMNS``; the result has, per ``setl_id``, the
four payments and the trace columns the chain writes, in the same units (元 as Decimal, fen as
int, rates in parts per million).

The rules, as DOMAIN.md states them:
- claims are taken in date order within a person-year; a tie in time goes to the lower setl_id;
- basic fund: (policy-range cost − deductible) × ratio, rounded half-up to the fen per claim;
  inpatient and chronic-outpatient claims share the annual cap, general outpatient has its own
  annual limit; retired cadres (离休) are paid their ratio of the policy-range cost, no cap;
- a capped payment is F(cumulative after) − F(cumulative before), F = min(·, cap in force on
  the claim's date);
- 大病: base = policy-range cost − basic payment, cumulated per person-year over the 大病
  claims; F(c) = scale(c) − scale(min(c, deductible)) with the poor deductible and raised rates
  for poor categories, rounded to the fen, then capped by the 大病 annual cap if any;
- 医疗救助: (policy-range cost − basic − 大病) × the category's ratio, rounded per claim, capped
  per person-year; only claims whose category has a ratio above 0;
- self-pay is the rest of the total cost.

Employee claims (职工医保, the insutypes of ``employee.insutypes``), as issue 16 states them:
- inpatient: deductible per admission by level (off-site: one deductible at any level), ratio
  by level, plus the retired increase for 退休, minus the off-site reduction; chronic: its own
  deductible and ratio; both in one capped pool (employee annual cap);
- 大额 (hifob): with A the cumulative rounded basic amount of that pool,
  hifob = [min(A_after, cap + 大额 limit) − min(A_before, cap + 大额 limit)] − hifp;
- general outpatient: F(x) = max(x − annual deductible, 0) × ratio (在职 or 退休) on the
  cumulative policy-range cost; the claim's amount is round(F(after)) − round(F(before)); the
  payments are capped at the annual limit as min(round F(after), limit) − min(round F(before),
  limit) with the claim's own ratio;
- no 大病, no 救助; psn_part_amt = medfee − hifp − hifob; acct_pay is recorded and its excess
  over psn_part_amt is reported, never subtracted.

Two conventions of the trace (not of the payments) follow the chain's output: a retired cadre's
``basic_cum_fen`` is the claim's own amount (there is no pool), and a claim without assistance
shows ``maf_cum_fen`` 0.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from yibao.policy import Policy

FEN = Decimal("0.01")
ZERO = Decimal(0)
#: Parameters a settlement reads: the period in force is the latest change among these.
USED = (
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
#: What the chain writes for "no cap" (fen); a cap of None is compared as this number.
NO_CAP_FEN = 10**15


def half_up(x: Decimal) -> Decimal:
    return x.quantize(FEN, rounding=ROUND_HALF_UP)


def fen(x: Decimal) -> int:
    return int(x * 100)


def ppm(x: Decimal) -> int:
    return int(x * 1_000_000)


class Rules:
    """The policy read on one date, through the policy's public API."""

    def __init__(self, policy: Policy, on: date) -> None:
        self.on = on

        def get(name: str) -> Any:
            p = policy.parameters.get(name)
            dv = p.at(on) if p else None
            return None if dv is None else dv.value

        self.get = get
        starts = [
            dv.start
            for name in USED
            if name in policy.parameters
            for dv in policy.parameters[name].values
            if dv.start <= on
        ]
        self.policy_from = max(starts)

    def codes(self, name: str) -> tuple[str, ...]:
        return tuple(self.get(name) or ())


def ci_f(c: Decimal, rules: Rules, poor: bool) -> Decimal:
    """F(c), rounded to the fen: the part of the scale above the deductible (DOMAIN §3)."""
    ded = rules.get("critical_illness.poor_deductible" if poor else "critical_illness.deductible")
    bump = rules.get("critical_illness.poor_rate_increase") if poor else ZERO
    bands = rules.get("critical_illness.scale").brackets
    total = ZERO
    for i, b in enumerate(bands):
        hi = bands[i + 1].threshold if i + 1 < len(bands) else None
        lo = max(b.threshold, ded)
        top = c if hi is None else min(c, hi)
        if top > lo:
            total += (top - lo) * (b.rate + bump)
    return half_up(total)


def capped(before: Decimal, after: Decimal, cap: Decimal | None) -> Decimal:
    if cap is None:
        return after - before
    return min(after, cap) - min(before, cap)


def _basic(c: dict, rules: Rules) -> tuple[str, str, Decimal, Decimal, Decimal | None]:
    """(kind, pool, deductible, ratio, cap) of one claim."""
    mt = c["med_type"]
    if c["insutype"] in rules.codes("retired_cadre.insutypes"):
        return "R", "R", ZERO, rules.get("retired_cadre.ratio"), None
    if mt in rules.codes("basic.inpatient.med_types"):
        lv = c["hi_setl_lv"]
        ratio = rules.get("basic.inpatient.ratio")[lv]
        if c.get("offsite_flag") == "1":
            ded = rules.get("basic.inpatient.offsite_deductible")
            ratio -= rules.get("basic.inpatient.offsite_ratio_reduction")
        else:
            ded = rules.get("basic.inpatient.deductible")[lv]
        return "I", "B", ded, ratio, rules.get("basic.annual_cap")
    if mt in rules.codes("basic.chronic_outpatient.med_types"):
        return (
            "C",
            "B",
            rules.get("basic.chronic_outpatient.deductible"),
            rules.get("basic.chronic_outpatient.ratio"),
            rules.get("basic.annual_cap"),
        )
    if mt in rules.codes("basic.general_outpatient.med_types"):
        return (
            "G",
            "G",
            rules.get("basic.general_outpatient.deductible"),
            rules.get("basic.general_outpatient.ratio"),
            rules.get("basic.general_outpatient.annual_limit"),
        )
    raise ValueError(f"no rule for claim {c['setl_id']}: {c['insutype']}/{mt}")


def _employee(c: dict, rules: Rules) -> tuple[str, str, Decimal, Decimal, Decimal]:
    """(kind, pool, deductible, ratio, cap) of an employee claim (issue 16)."""
    mt, retired = c["med_type"], c.get("emp_retired") == "1"
    if mt in rules.codes("basic.inpatient.med_types"):
        ratio = rules.get("employee.inpatient.ratio")[c["hi_setl_lv"]]
        if retired:
            ratio += rules.get("employee.inpatient.retired_ratio_increase")
        if c.get("offsite_flag") == "1":
            ded = rules.get("employee.inpatient.offsite_deductible")
            ratio -= rules.get("employee.inpatient.offsite_ratio_reduction")
        else:
            ded = rules.get("employee.inpatient.deductible")[c["hi_setl_lv"]]
        return "EI", "E", ded, max(ratio, ZERO), rules.get("employee.annual_cap")
    if mt in rules.codes("basic.chronic_outpatient.med_types"):
        return (
            "EC",
            "E",
            rules.get("employee.chronic_outpatient.deductible"),
            rules.get("employee.chronic_outpatient.ratio"),
            rules.get("employee.annual_cap"),
        )
    if mt in rules.codes("basic.general_outpatient.med_types"):
        g = "employee.general_outpatient."
        return (
            "EG",
            "H",
            rules.get(g + "deductible"),
            rules.get(g + ("retired_ratio" if retired else "ratio")),
            rules.get(g + "annual_limit"),
        )
    raise ValueError(f"no rule for claim {c['setl_id']}: {c['insutype']}/{mt}")


def _settle_employee(c: dict, rules: Rules, state: dict) -> dict[str, Any]:
    """One employee claim; ``state`` holds this person-year's cumulative amounts."""
    inscp, medfee = c["inscp_scp_amt"], c["medfee_sumamt"]
    kind, pool, ded, ratio, cap = _employee(c, rules)
    hifob, ob_cap = ZERO, None
    if pool == "E":
        raw = half_up(max(inscp - ded, ZERO) * ratio)
        before = state["A"]
        state["A"] = after = before + raw
        hifp = capped(before, after, cap)
        ob_cap = cap + rules.get("employee.large_expense_limit")
        hifob = capped(before, after, ob_cap) - hifp
    else:
        x_before = state["X"]
        state["X"] = x_after = x_before + inscp
        before = half_up(max(x_before - ded, ZERO) * ratio)
        after = half_up(max(x_after - ded, ZERO) * ratio)
        raw = after - before
        hifp = capped(before, after, cap)
    psn = medfee - hifp - hifob
    acct = c.get("acct_pay") or ZERO
    return {
        "hifp_pay": hifp,
        "hifob_pay": hifob,
        "hifmi_pay": ZERO,
        "maf_pay": ZERO,
        "psn_part_amt": psn,
        "kind": kind,
        "deductible_fen": fen(ded),
        "ratio_ppm": ppm(ratio),
        "basic_raw_fen": fen(raw),
        "basic_cum_fen": fen(after),
        "basic_cap_fen": fen(cap),
        "hifob_cap_fen": 0 if ob_cap is None else fen(ob_cap),
        "ci_base_fen": 0,
        "ci_cum_fen": None,  # the person-year's resident 大病 cumulative, filled by the caller
        "poor": None,
        "ci_f_before_fen": None,
        "ci_f_after_fen": None,
        "maf_rate_ppm": 0,
        "maf_base_fen": 0,
        "maf_raw_fen": 0,
        "maf_cum_fen": 0,
        "acct_pay_fen": fen(acct),
        "acct_excess_fen": fen(max(acct - psn, ZERO)),
    }


def _cap_fen(cap: Decimal | None) -> int:
    return NO_CAP_FEN if cap is None else fen(cap)


def settle_reference(claims: list[dict], policy: Policy) -> dict[str, dict[str, Any]]:
    """Settle ``claims`` one at a time; {setl_id: output row}."""

    def when(c: dict) -> datetime:
        return c["setl_time"]

    ordered = sorted(claims, key=lambda c: (c["psn_no"], when(c).year, when(c), c["setl_id"]))
    basic_cum: dict[tuple, Decimal] = defaultdict(Decimal)
    ci_cum: dict[tuple, Decimal] = defaultdict(Decimal)
    maf_cum: dict[tuple, Decimal] = defaultdict(Decimal)
    emp_state: dict[tuple, dict] = defaultdict(lambda: {"A": ZERO, "X": ZERO})
    out: dict[str, dict[str, Any]] = {}
    for c in ordered:
        year = when(c).year
        py = (c["psn_no"], year)
        rules = Rules(policy, when(c).date())
        if c["insutype"] in rules.codes("employee.insutypes"):
            row = _settle_employee(c, rules, emp_state[py])
            # No 大病 for employees: the trace shows no cumulative and F(0) = 0.
            idet = c.get("psn_idet_type") or "普通人员"
            poor = idet in rules.codes("critical_illness.poor_categories")
            row |= {"ci_cum_fen": 0, "poor": poor, "ci_f_before_fen": 0, "ci_f_after_fen": 0}
            row["maf_limit_fen"] = _cap_fen(rules.get("medical_assistance.annual_limit"))
            base = {"setl_id": c["setl_id"], "psn_no": c["psn_no"], "year": year}
            out[c["setl_id"]] = base | row | {"policy_from": rules.policy_from}
            continue
        inscp, medfee = c["inscp_scp_amt"], c["medfee_sumamt"]
        kind, pool, ded, ratio, cap = _basic(c, rules)
        raw = half_up(max(inscp - ded, ZERO) * ratio)
        # A retired cadre's claim is in no capped pool: its trace shows the claim alone.
        before = ZERO if pool == "R" else basic_cum[py + (pool,)]
        basic_cum[py + (pool,)] = after = before + raw
        hifp = capped(before, after, cap)

        idet = c.get("psn_idet_type") or "普通人员"
        poor = idet in rules.codes("critical_illness.poor_categories")
        ci_base = ZERO
        if kind != "R" and c["med_type"] in rules.codes("critical_illness.med_types"):
            ci_base = inscp - hifp
        ci_before = ci_cum[py]
        ci_cum[py] = ci_after = ci_before + ci_base
        f_before, f_after = ci_f(ci_before, rules, poor), ci_f(ci_after, rules, poor)
        hifmi = capped(f_before, f_after, rules.get("critical_illness.annual_cap"))

        rates = rules.get("medical_assistance.ratio") or {}
        rate = rates.get(idet, ZERO)
        if kind == "R" or c["med_type"] not in rules.codes("medical_assistance.med_types"):
            rate = ZERO
        maf_base = inscp - hifp - hifmi if rate > 0 else ZERO
        maf_raw = half_up(max(maf_base, ZERO) * rate)
        m_before = maf_cum[py]
        maf_cum[py] = m_after = m_before + maf_raw
        limit = rules.get("medical_assistance.annual_limit")
        maf = capped(m_before, m_after, limit)

        out[c["setl_id"]] = {
            "setl_id": c["setl_id"],
            "psn_no": c["psn_no"],
            "year": year,
            "hifp_pay": hifp,
            "hifob_pay": ZERO,
            "hifmi_pay": hifmi,
            "maf_pay": maf,
            "psn_part_amt": medfee - hifp - hifmi - maf,
            "kind": kind,
            "policy_from": rules.policy_from,
            "deductible_fen": fen(ded),
            "ratio_ppm": ppm(ratio),
            "basic_raw_fen": fen(raw),
            "basic_cum_fen": fen(after),
            "basic_cap_fen": _cap_fen(cap),
            "hifob_cap_fen": 0,
            "ci_base_fen": fen(ci_base),
            "ci_cum_fen": fen(ci_after),
            "poor": poor,
            "ci_f_before_fen": fen(f_before),
            "ci_f_after_fen": fen(f_after),
            "maf_rate_ppm": ppm(rate),
            "maf_base_fen": fen(maf_base),
            "maf_raw_fen": fen(maf_raw),
            # Claims without assistance show no cumulative (they take no part in it).
            "maf_cum_fen": fen(m_after) if rate > 0 else 0,
            "maf_limit_fen": _cap_fen(limit),
            "acct_pay_fen": fen(c.get("acct_pay") or ZERO),
            "acct_excess_fen": fen(
                max((c.get("acct_pay") or ZERO) - (medfee - hifp - hifmi - maf), ZERO)
            ),
        }
    return out
