"""Flatten a dated policy into one row per period, in integer fen and parts per million.

The chain joins every claim to the period in force on its settlement date, so parameters
change by data, not by code.  Integer fen and ppm keep the arithmetic exact and identical on
DuckDB and PySpark; the one rounding rule (half-up) is ``money.round_ppm_expr``, which stays
exact where a DOUBLE would not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

from yibao.money import PPM as MONEY_PPM
from yibao.money import MoneyError, fen_exact, ppm_exact
from yibao.policy import Policy
from yibao.policy.model import Scale

PPM = MONEY_PPM
NO_CAP = 10**15  # fen; "no cap" as a number larger than any person-year
FAR = date(9999, 12, 31)
LEVELS = ("1", "2", "3")


class SettlePolicyError(ValueError):
    pass


def fen(v: Decimal | int) -> int:
    try:
        return fen_exact(v)
    except MoneyError as exc:
        raise SettlePolicyError(str(exc)) from None


def ppm(v: Decimal | int) -> int:
    try:
        return ppm_exact(v)
    except MoneyError as exc:
        raise SettlePolicyError(str(exc)) from None


@dataclass(frozen=True)
class ChainSpec:
    """The categorical part of a policy (which codes get which rule); constant over periods."""

    basic_insutypes: tuple[str, ...]
    retiree_insutypes: tuple[str, ...]
    inpatient_types: tuple[str, ...]
    chronic_types: tuple[str, ...]
    general_types: tuple[str, ...]
    ci_types: tuple[str, ...]
    maf_types: tuple[str, ...]
    poor_categories: tuple[str, ...]
    maf_categories: tuple[str, ...]
    n_bands: int
    #: Employee insurance (职工医保, 310) settled by the ``employee.*`` rules; empty when the
    #: policy has none (then 310 claims have no rule, as before).
    employee_insutypes: tuple[str, ...] = ()
    #: The critical-illness claims are exactly the basic pool that shares one cap, and the cap
    #: only changes on 1 January: then Σ hifp telescopes and one sort settles everything.
    ci_telescopes: bool = False


#: Parameters a period needs, with how each is flattened.
CATEGORICAL = {
    "basic_insutypes": "basic.insutypes",
    "retiree_insutypes": "retired_cadre.insutypes",
    "inpatient_types": "basic.inpatient.med_types",
    "chronic_types": "basic.chronic_outpatient.med_types",
    "general_types": "basic.general_outpatient.med_types",
    "ci_types": "critical_illness.med_types",
    "maf_types": "medical_assistance.med_types",
    "poor_categories": "critical_illness.poor_categories",
}


#: Valued parameters the chain reads (besides the categorical ones).
VALUED = {
    "basic.annual_cap",
    "basic.chronic_outpatient.deductible",
    "basic.chronic_outpatient.ratio",
    "basic.general_outpatient.annual_limit",
    "basic.general_outpatient.deductible",
    "basic.general_outpatient.ratio",
    "basic.inpatient.deductible",
    "basic.inpatient.offsite_deductible",
    "basic.inpatient.offsite_ratio_reduction",
    "basic.inpatient.ratio",
    "critical_illness.annual_cap",
    "critical_illness.deductible",
    "critical_illness.poor_deductible",
    "critical_illness.poor_rate_increase",
    "critical_illness.scale",
    "medical_assistance.annual_limit",
    "medical_assistance.ratio",
    "retired_cadre.ratio",
    *(f"employee.{n}" for n in ("insutypes", "annual_cap", "large_expense_limit")),
    *(
        f"employee.inpatient.{n}"
        for n in (
            "deductible",
            "ratio",
            "retired_ratio_increase",
            "offsite_deductible",
            "offsite_ratio_reduction",
        )
    ),
    "employee.chronic_outpatient.deductible",
    "employee.chronic_outpatient.ratio",
    *(
        f"employee.general_outpatient.{n}"
        for n in ("deductible", "ratio", "retired_ratio", "annual_limit")
    ),
}
#: Employee parameters in fen/ppm, all zero when the policy has no employee rules.
EMPLOYEE_VALUES = (
    *(f"e_inp_ded_{lv}" for lv in LEVELS),
    *(f"e_inp_ratio_{lv}" for lv in LEVELS),
    "e_ret_inc",
    "e_off_ded",
    "e_off_red",
    "e_chr_ded",
    "e_chr_ratio",
    "e_gen_ded",
    "e_gen_ratio",
    "e_gen_ret_ratio",
    "e_gen_limit",
    "e_cap",
    "e_ob_limit",
)


def _val(policy: Policy, name: str, on: date, optional: bool = False) -> Any:
    if name not in VALUED and name not in CATEGORICAL.values():
        raise AssertionError(f"{name} must be listed in VALUED")  # keeps periods honest
    p = policy.parameters.get(name)
    dv = p.at(on) if p else None
    if dv is None:
        if optional:
            return None
        raise LookupError(name)
    return dv.value


def _employee_insutypes(policy: Policy, on: date) -> tuple[str, ...]:
    """The schemes settled by the employee rules on ``on``; empty for a resident-only fund."""
    return tuple(_val(policy, "employee.insutypes", on, optional=True) or ())


#: Tables by 医保结算等级: each needs every level.
BY_LEVEL = (
    "basic.inpatient.deductible",
    "basic.inpatient.ratio",
    "employee.inpatient.deductible",
    "employee.inpatient.ratio",
)
#: Parameters the chain can do without (no cap when absent).
OPTIONAL = {"basic.annual_cap", "critical_illness.annual_cap"}


def missing_parameters(policy: Policy, on: date) -> list[str]:
    """Every parameter a period starting ``on`` lacks (not just the first), in a stable order."""
    out = []
    # Employee rules are required only where a period rules 310 at all: most county funds
    # publish resident rules only.
    ruled = bool(_employee_insutypes(policy, on))
    for name in sorted(set(CATEGORICAL.values()) | VALUED):
        if name in OPTIONAL or (not ruled and name.startswith("employee.")):
            continue
        p = policy.parameters.get(name)
        dv = p.at(on) if p else None
        if dv is None or dv.value is None:
            out.append(name)
        elif name in BY_LEVEL:
            out += [f"{name}[{lv}]" for lv in LEVELS if lv not in dv.value]
    return out


def _described(name: str) -> str:
    """``basic.inpatient.ratio[3](住院统筹基金支付比例)``, described as the template does."""
    from yibao.policy import load_policy

    base = name.split("[")[0]
    try:
        p = load_policy("demo-county").parameters.get(base)
    except Exception:  # noqa: BLE001 - a description is a courtesy, never a failure
        p = None
    desc = (p.description or "").split(",")[0] if p else ""
    return f"{name}({desc})" if desc else name


def policy_title(policy: Policy) -> str:
    """「示范县医保待遇政策(居民与职工)」: a policy as staff name it (its id is for commands)."""
    return f"「{policy.label or policy.name}」"


def no_period_message(policy: Policy, starts: list[date]) -> str:
    """The refusal naming every missing parameter (of the latest period, where it is fixable)."""
    if not starts:
        return (
            f"政策{policy_title(policy)}没有任何结算参数;"
            "可用 yibao policy new 地区 --from demo-county 生成模板"
        )
    last = starts[-1]
    missing = missing_parameters(policy, last)
    names = "、".join(_described(n) for n in missing)
    return (
        f"政策{policy_title(policy)}没有任何时期具备结算所需的全部参数:自 {last} 起的时期缺少 "
        f"{len(missing)} 项:{names};可用 yibao policy new 地区 --from demo-county 生成"
        "带注释的模板后补齐"
    )


def build_periods(policy: Policy) -> tuple[ChainSpec, pa.Table]:
    """(spec, one row per period) for the settlement chain; see the module docstring."""
    # Periods change only where a parameter the chain uses changes, so that "policy in force
    # since" in the trace means something to a user.
    used = set(CATEGORICAL.values()) | VALUED
    starts = sorted(
        {dv.start for name, p in policy.parameters.items() if name in used for dv in p.values}
    )
    rows: list[dict[str, Any]] = []
    specs: dict[ChainSpec, date] = {}
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else FAR
        missing = missing_parameters(policy, start)
        if missing:
            rows.append(
                {"p_start": start, "p_end": end, "p_valid": False, "p_missing": "、".join(missing)}
            )
            continue
        spec, values = _period(policy, start)
        specs.setdefault(spec, start)
        rows.append({"p_start": start, "p_end": end, "p_valid": True, "p_missing": None} | values)
    valid = [r for r in rows if r["p_valid"]]
    if not valid:
        raise SettlePolicyError(no_period_message(policy, starts))
    if len(specs) > 1:
        dates = "、".join(str(d) for d in specs.values())
        raise SettlePolicyError(
            f"政策{policy_title(policy)}的医疗类别/险种/身份类别划分在 {dates} 之间发生变化;"
            "结算引擎要求这些分类在各时期保持一致"
        )
    spec = next(iter(specs))
    cap = policy.parameters.get("basic.annual_cap")
    cap_on_new_year = cap is None or all((d.start.month, d.start.day) == (1, 1) for d in cap.values)
    same_claims = set(spec.ci_types) == set(spec.inpatient_types + spec.chronic_types)
    spec = dataclasses.replace(spec, ci_telescopes=cap_on_new_year and same_claims)
    columns = sorted(
        {k for r in valid for k in r if k not in ("p_start", "p_end", "p_valid", "p_missing")}
    )
    table = {
        "pid": pa.array(range(len(rows)), pa.int64()),
        "p_start": pa.array([r["p_start"] for r in rows], pa.date32()),
        "p_end": pa.array([r["p_end"] for r in rows], pa.date32()),
        "p_valid": pa.array([r["p_valid"] for r in rows], pa.bool_()),
        "p_missing": pa.array([r["p_missing"] for r in rows], pa.string()),
    }
    for c in columns:
        table[c] = pa.array([r.get(c) for r in rows], pa.int64())
    return spec, pa.table(table)


def _period(policy: Policy, on: date) -> tuple[ChainSpec, dict[str, int]]:
    cat = {k: tuple(_val(policy, name, on)) for k, name in CATEGORICAL.items()}
    maf_ratio: dict[str, Decimal] = _val(policy, "medical_assistance.ratio", on)
    scale: Scale = _val(policy, "critical_illness.scale", on)
    emp = _employee_insutypes(policy, on)
    spec = ChainSpec(
        **cat,
        maf_categories=tuple(sorted(maf_ratio)),
        n_bands=len(scale.brackets),
        employee_insutypes=emp,
    )
    ded = _val(policy, "basic.inpatient.deductible", on)
    ratio = _val(policy, "basic.inpatient.ratio", on)
    v: dict[str, int] = {}
    for lv in LEVELS:  # every level is there: missing_parameters checked BY_LEVEL
        v[f"inp_ded_{lv}"] = fen(ded[lv])
        v[f"inp_ratio_{lv}"] = ppm(ratio[lv])
    v["off_ded"] = fen(_val(policy, "basic.inpatient.offsite_deductible", on))
    v["off_red"] = ppm(_val(policy, "basic.inpatient.offsite_ratio_reduction", on))
    v["chr_ded"] = fen(_val(policy, "basic.chronic_outpatient.deductible", on))
    v["chr_ratio"] = ppm(_val(policy, "basic.chronic_outpatient.ratio", on))
    v["gen_ded"] = fen(_val(policy, "basic.general_outpatient.deductible", on))
    v["gen_ratio"] = ppm(_val(policy, "basic.general_outpatient.ratio", on))
    v["gen_limit"] = fen(_val(policy, "basic.general_outpatient.annual_limit", on))
    cap = _val(policy, "basic.annual_cap", on, optional=True)
    v["basic_cap"] = NO_CAP if cap is None else fen(cap)
    v["ci_ded"] = fen(_val(policy, "critical_illness.deductible", on))
    v["ci_poor_ded"] = fen(_val(policy, "critical_illness.poor_deductible", on))
    v["ci_bump"] = ppm(_val(policy, "critical_illness.poor_rate_increase", on))
    ci_cap = _val(policy, "critical_illness.annual_cap", on, optional=True)
    v["ci_cap"] = NO_CAP if ci_cap is None else fen(ci_cap)
    for k, b in enumerate(scale.brackets):
        v[f"ci_t{k}"] = fen(b.threshold)
        v[f"ci_r{k}"] = ppm(b.rate)
    for k, cat_name in enumerate(spec.maf_categories):
        v[f"maf_r{k}"] = ppm(maf_ratio[cat_name])
    v["maf_limit"] = fen(_val(policy, "medical_assistance.annual_limit", on))
    v["ret_ratio"] = ppm(_val(policy, "retired_cadre.ratio", on))
    v |= _employee(policy, on) if emp else dict.fromkeys(EMPLOYEE_VALUES, 0)
    return spec, v


def _employee(policy: Policy, on: date) -> dict[str, int]:
    """The employee rules of one period (issue 16); every one is required once 310 is ruled."""
    ded = _val(policy, "employee.inpatient.deductible", on)
    ratio = _val(policy, "employee.inpatient.ratio", on)
    v: dict[str, int] = {}
    for lv in LEVELS:  # as in _period, missing_parameters checked every level
        v[f"e_inp_ded_{lv}"] = fen(ded[lv])
        v[f"e_inp_ratio_{lv}"] = ppm(ratio[lv])
    v["e_ret_inc"] = ppm(_val(policy, "employee.inpatient.retired_ratio_increase", on))
    v["e_off_ded"] = fen(_val(policy, "employee.inpatient.offsite_deductible", on))
    v["e_off_red"] = ppm(_val(policy, "employee.inpatient.offsite_ratio_reduction", on))
    v["e_chr_ded"] = fen(_val(policy, "employee.chronic_outpatient.deductible", on))
    v["e_chr_ratio"] = ppm(_val(policy, "employee.chronic_outpatient.ratio", on))
    v["e_gen_ded"] = fen(_val(policy, "employee.general_outpatient.deductible", on))
    v["e_gen_ratio"] = ppm(_val(policy, "employee.general_outpatient.ratio", on))
    v["e_gen_ret_ratio"] = ppm(_val(policy, "employee.general_outpatient.retired_ratio", on))
    v["e_gen_limit"] = fen(_val(policy, "employee.general_outpatient.annual_limit", on))
    v["e_cap"] = fen(_val(policy, "employee.annual_cap", on))
    v["e_ob_limit"] = fen(_val(policy, "employee.large_expense_limit", on))
    return v


def chain_periods(periods: pa.Table) -> pa.Table:
    """The periods the chain may join to: valid ones only, numbers only (no NULLs, which some
    engines' Arrow import turns into floats)."""
    valid = periods.filter(periods.column("p_valid"))
    return valid.drop_columns(["p_valid", "p_missing"])
