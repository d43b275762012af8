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

from yibao.policy import Policy

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
    wage_fen = int(_param(policy, "average_wage", year) * 100)
    lo = wage_fen * int(_param(policy, "base_floor_ratio", year) * 1_000_000) // 1_000_000
    hi = wage_fen * int(_param(policy, "base_cap_ratio", year) * 1_000_000) // 1_000_000
    er = int(_param(policy, "employer_rate", year) * 1_000_000)
    ee = int(_param(policy, "employee_rate", year) * 1_000_000)
    wage = np.round(wage_fen * rng.lognormal(-0.08, 0.4, n) / 100).astype(np.int64) * 100
    base = np.clip(wage, lo, hi)
    n_emp = max(1, -(-n // PER_EMPLOYER))
    employer = rng.integers(0, n_emp, n)
    emp_no = concat("U", county_code, zpad(employer.astype(np.int64) + 1, 5))
    emp_name = concat("示范单位", county_code, "-", zpad(employer.astype(np.int64) + 1, 5))
    truth: list[dict] = []
    if (~retired).any():
        for e in [int(rng.choice(np.unique(employer[~retired])))]:
            m = employer == e
            base[m] = wage[m] // 2 // 100 * 100  # declares half: below the floor for most
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
            "clct_ym": pa.array(year * 100 + np.tile(months, len(w)), pa.int64()),
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
