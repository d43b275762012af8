"""Employees of a generated county (职工医保, issue 16): employers, wage bases, contributions.

Every 310 person works for one of the county's employers (about 40 employees each) or is
retired (aged 60 or more: no contributions, the account is credited by the fund).  A worker's
monthly base is a lognormal wage around the policy's average wage, bounded at 60 % / 300 %;
the employer pays ``employer_rate`` and the worker ``employee_rate`` of it, every month of the
year.  Planted: one employer per county with workers declares half of its workers' wages,
below the floor for most of them, and pays on what it declared (truth kind
``employer_under_declared``, key emp_no; amount at risk = what it owes against the bounded true
wage).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from yibao.money import fen_exact, fen_of_draws, ppm_exact, whole_yuan_fen
from yibao.policy import Policy
from yibao.schema.codes import YEAR_MONTH

from .vec import concat, money, zpad

#: Typical values (DOMAIN §2 practice) when the policy has none.
TYPICAL = {
    "employer_rate": Decimal("0.07"),
    "employee_rate": Decimal("0.02"),
    "average_wage": Decimal("6000"),
    "base_floor_ratio": Decimal("0.60"),
    "base_cap_ratio": Decimal("3"),
}
PER_EMPLOYER = 40
RETIREMENT_AGE = 60


def _param(policy: Policy, name: str, year: int) -> Decimal:
    p = policy.parameters.get(f"financing.employee.{name}")
    dv = p.at(dt.date(year, 1, 1)) if p else None
    return Decimal(dv.value) if dv is not None else TYPICAL[name]


def _fen_round(x: np.ndarray) -> np.ndarray:
    """Half-up to the fen of a non-negative fen × ppm product."""
    return (x + 500_000) // 1_000_000


def employee_tables(
    rng: np.random.Generator,
    county_code: str,
    psn_no: pa.Array,
    age: np.ndarray,
    employee: np.ndarray,
    policy: Policy,
    year: int,
) -> tuple[dict[str, Any], pa.Table, list[dict]]:
    """(enrolment columns for the employees in row order, contributions, truth rows)."""
    rows = np.flatnonzero(employee)
    n = len(rows)
    retired = age[rows] >= RETIREMENT_AGE
    wage_fen = fen_exact(_param(policy, "average_wage", year))
    lo = wage_fen * ppm_exact(_param(policy, "base_floor_ratio", year)) // 1_000_000
    hi = wage_fen * ppm_exact(_param(policy, "base_cap_ratio", year)) // 1_000_000
    er = ppm_exact(_param(policy, "employer_rate", year))
    ee = ppm_exact(_param(policy, "employee_rate", year))
    wage = whole_yuan_fen(fen_of_draws(wage_fen / 100 * rng.lognormal(-0.08, 0.4, n)))
    base = np.clip(wage, lo, hi)
    n_emp = max(1, -(-n // PER_EMPLOYER))
    employer = rng.integers(0, n_emp, n)
    emp_no = concat("U", county_code, zpad(employer.astype(np.int64) + 1, 5))
    emp_name = concat("示范单位", county_code, "-", zpad(employer.astype(np.int64) + 1, 5))
    truth: list[dict] = []
    if (~retired).any():
        for e in [int(rng.choice(np.unique(employer[~retired])))]:
            m = employer == e
            base[m] = whole_yuan_fen(wage[m] // 2)  # declares half: below the floor for most
            key = f"U{county_code}{e + 1:05d}"
            truth.append(
                {
                    "kind": "employer_under_declared",
                    "table": "contributions",
                    "key": key,
                    "amount_at_risk": "0.00",
                    "detail": "单位按实际工资的一半申报缴费基数",
                }
            )
    emp_part = _fen_round(base * er)
    psn_part = _fen_round(base * ee)
    work = ~retired
    cols = {
        "emp_no": emp_no,
        "emp_name": emp_name,
        "contribution_base": pa.compute.if_else(
            pa.array(work), money(base), pa.nulls(n, pa.decimal128(18, 2))
        ),
        "emp_contribution": money(np.where(work, emp_part * 12, 0)),
        "contribution": money(np.where(work, psn_part * 12, 0)),
        "emp_retired": pa.array(np.where(retired, "1", "0"), pa.string()),
    }
    w = np.flatnonzero(work)
    months = np.arange(1, 13)
    rep = np.repeat(w, 12)
    contributions = pa.table(
        {
            "emp_no": emp_no.take(pa.array(rep)),
            "emp_name": emp_name.take(pa.array(rep)),
            "psn_no": psn_no.take(pa.array(rows[rep])),
            "region_code": pa.array([county_code] * len(rep), pa.string()),
            "clct_ym": pa.array(year * YEAR_MONTH + np.tile(months, len(w)), pa.int64()),
            "contribution_base": money(base[rep]),
            "emp_amount": money(emp_part[rep]),
            "psn_amount": money(psn_part[rep]),
        }
    )
    for t in truth:  # the shortfall against the floor, for the record
        m = (employer == int(t["key"][-5:]) - 1) & work
        short = (np.clip(wage[m], lo, hi) - base[m]).clip(0)
        due_gap = _fen_round(short * (er + ee)) * 12
        t["amount_at_risk"] = f"{Decimal(int(due_gap.sum())) / 100:.2f}"
    return cols, contributions, truth


def with_employee_columns(enrolments: pa.Table, employee: np.ndarray, cols: dict) -> pa.Table:
    """The county's enrolments with the employee columns filled for its employees (the first
    ``len(employee)`` rows are one per person, in person order; planted extra rows stay empty)."""
    rows = np.flatnonzero(employee)
    where = np.full(enrolments.num_rows, -1, dtype=np.int64)
    where[rows] = np.arange(len(rows))
    idx = pa.array(np.where(where >= 0, where, 0))
    valid = pa.array(where >= 0)
    for name, values in cols.items():
        col = pa.compute.if_else(valid, values.take(idx), pa.nulls(len(where), values.type))
        if name in enrolments.column_names:
            i = enrolments.schema.get_field_index(name)
            old = enrolments.column(name).cast(values.type)
            col = pa.compute.if_else(valid, col, old)
            enrolments = enrolments.set_column(i, name, col)
        else:
            enrolments = enrolments.append_column(name, col)
    return enrolments


#: The account pays a general-outpatient claim's personal part, up to this many fen.
ACCOUNT_PER_VISIT_FEN = 5_000


def with_emp_retired(claims: pa.Table, psn_no: pa.Array, retired: np.ndarray) -> pa.Table:
    """在职退休状态 on the 310 claims, from the person's status (before the payments)."""
    idx = pa.compute.index_in(claims.column("psn_no"), value_set=psn_no)
    flag = np.asarray(pa.compute.fill_null(idx, 0).to_numpy(zero_copy_only=False))
    emp = pa.compute.equal(claims.column("insutype"), "310")
    values = pa.array(np.where(retired[flag], "1", "0"), pa.string())
    col = pa.compute.if_else(emp, values, pa.nulls(claims.num_rows, pa.string()))
    return claims.append_column("emp_retired", col)


def with_account_payments(claims: pa.Table) -> pa.Table:
    """acct_pay on 310 general-outpatient claims: min(personal part, 50 元); the rest is cash."""
    from .vec import fen_of

    psn = fen_of(claims.column("psn_part_amt"))
    emp = np.asarray(
        pa.compute.equal(claims.column("insutype"), "310").to_numpy(zero_copy_only=False)
    )
    gen = np.asarray(
        pa.compute.equal(claims.column("med_type"), "11").to_numpy(zero_copy_only=False)
    )
    pay = np.where(emp & gen, np.clip(np.minimum(psn, ACCOUNT_PER_VISIT_FEN), 0, None), 0)
    col = pa.compute.if_else(
        pa.array(emp), money(pay), pa.nulls(claims.num_rows, pa.decimal128(18, 2))
    )
    return claims.append_column("acct_pay", col)


def plant_account_after_end(
    rng: np.random.Generator, acct_claims: list[pa.Table], workers: pa.Array
) -> tuple[str, dt.date, list[dict]] | None:
    """One worker with account payments gets an enrolment end the day before the first of
    them: every one is then paid after the end (truth kind account_after_enrolment_end)."""
    t = pa.concat_tables(acct_claims) if acct_claims else None
    if t is None or not t.num_rows:
        return None
    t = t.filter(pa.compute.is_in(t.column("psn_no"), value_set=workers))
    if not t.num_rows:
        return None
    people = pa.compute.unique(t.column("psn_no")).to_pylist()
    who = sorted(people)[int(rng.integers(0, len(people)))]
    mine = t.filter(pa.compute.equal(t.column("psn_no"), who))
    first = min(mine.column("setl_time").to_pylist()).date()
    end = first - dt.timedelta(days=1)
    truth = [
        {
            "kind": "account_after_enrolment_end",
            "table": "claims",
            "key": sid,
            "amount_at_risk": f"{amt:.2f}",
            "detail": f"参保终止日期 {end} 之后个人账户仍有支出",
        }
        for sid, amt in zip(
            mine.column("setl_id").to_pylist(), mine.column("acct_pay").to_pylist(), strict=True
        )
    ]
    return who, end, truth


def end_enrolment(
    enrolments: pa.Table, contributions: pa.Table, who: str, end: dt.date
) -> tuple[pa.Table, pa.Table]:
    """The planted person's 310 enrolment ends on ``end``; no contributions after that month."""
    is_emp = pa.compute.and_(
        pa.compute.equal(enrolments.column("psn_no"), who),
        pa.compute.equal(enrolments.column("insutype"), "310"),
    )
    if "end_date" not in enrolments.column_names:
        enrolments = enrolments.append_column(
            "end_date", pa.nulls(enrolments.num_rows, pa.date32())
        )
    i = enrolments.schema.get_field_index("end_date")
    col = pa.compute.if_else(
        is_emp, pa.scalar(end, pa.date32()), enrolments.column(i).cast(pa.date32())
    )
    enrolments = enrolments.set_column(i, "end_date", col)
    last = end.year * YEAR_MONTH + end.month
    keep = pa.compute.or_(
        pa.compute.not_equal(contributions.column("psn_no"), who),
        pa.compute.less_equal(contributions.column("clct_ym"), last),
    )
    return enrolments, contributions.filter(keep)
