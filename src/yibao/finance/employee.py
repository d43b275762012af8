"""Employee insurance (职工医保, 310) financing: contributions due and collected, 统账结合 split.

Due per person-month = base × rate, where the declared base is floored at ``base_floor_ratio``
and capped at ``base_cap_ratio`` of the average wage (DOMAIN §2 practice: 60 % and 300 %); the
rates (employer about 6–8 %, employee 2 %) are dated parameters read on the first day of each
contribution month.  Of what is collected, the employee part goes to the personal accounts,
and retirees (who pay nothing) get a fixed monthly amount by age band out of the pooled fund:

    personal = employee part + Σ retiree credits,  pooled = employer part − Σ retiree credits.

The heavy part (contribution rows, enrolments, claims) is reduced by Ibis on either engine; the
few result rows are combined here with Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from yibao.money import fen_exact, fen_expr, from_fen, money_expr, ppm_exact, ratio, round_ppm_expr
from yibao.pipeline.contract import Note
from yibao.policy import Policy
from yibao.schema.codes import EMPLOYEE, YEAR_MONTH

P = "financing.employee."
ZERO = Decimal("0.00")


def _at(policy: Policy, name: str, on: date) -> Any:
    p = policy.parameters.get(name)
    dv = p.at(on) if p else None
    return None if dv is None else dv.value


def month_params(policy: Policy, year: int) -> pa.Table:
    """One row per contribution month (YYYYMM): rates in ppm, floor and cap in fen (NULL when
    the policy lacks a parameter that month)."""
    rows = []
    for m in range(1, 13):
        on = date(year, m, 1)
        er, ee = _at(policy, P + "employer_rate", on), _at(policy, P + "employee_rate", on)
        wage = _at(policy, P + "average_wage", on)
        lo, hi = _at(policy, P + "base_floor_ratio", on), _at(policy, P + "base_cap_ratio", on)
        bounds = wage is not None and lo is not None and hi is not None
        rows.append(
            {
                "m_ym": year * YEAR_MONTH + m,
                "employer_ppm": None if er is None else ppm_exact(er),
                "employee_ppm": None if ee is None else ppm_exact(ee),
                # A bound is money: floor/cap of the base rounded half-up to the fen.
                "floor_fen": round_ppm_int(fen_exact(wage) * ppm_exact(lo)) if bounds else None,
                "cap_fen": round_ppm_int(fen_exact(wage) * ppm_exact(hi)) if bounds else None,
            }
        )
    return pa.Table.from_pylist(
        rows,
        pa.schema(
            [
                ("m_ym", pa.int64()),
                ("employer_ppm", pa.int64()),
                ("employee_ppm", pa.int64()),
                ("floor_fen", pa.int64()),
                ("cap_fen", pa.int64()),
            ]
        ),
    )


def round_ppm_int(x: int) -> int:
    """fen × ppm → fen, half-up (the same rule as ``money.round_ppm_expr``, for Python ints)."""
    return (x + 500_000) // 1_000_000


def by_employer(contrib: ir.Table, months: ir.Table, year: int) -> ir.Table:
    """One row per employer: person-months, declared and bounded bases, due, collected (fen)."""
    c = contrib.filter((contrib.clct_ym // 100) == year)
    c = c.join(months, c.clct_ym == months.m_ym, how="left")
    base = fen_expr(c.contribution_base)
    bounded = ibis.least(
        ibis.greatest(base, c.floor_fen.fill_null(base)), c.cap_fen.fill_null(base)
    )
    c = c.mutate(
        base=base,
        bounded=bounded,
        below=(base < c.floor_fen.fill_null(0)).cast("int64"),
        due_emp=round_ppm_expr(bounded * c.employer_ppm),
        due_psn=round_ppm_expr(bounded * c.employee_ppm),
        no_rate=(c.employer_ppm.isnull() | c.employee_ppm.isnull()).cast("int64"),
        coll_emp=fen_expr(c.emp_amount),
        coll_psn=fen_expr(c.psn_amount),
    )
    return c.group_by("emp_no").aggregate(
        emp_name=c.emp_name.max(),
        person_months=c.count(),
        people=c.psn_no.nunique(),
        declared_fen=c.base.sum(),
        bounded_fen=c.bounded.sum(),
        below_floor_months=c.below.sum(),
        due_employer_fen=c.due_emp.sum(),
        due_employee_fen=c.due_psn.sum(),
        months_without_rate=c.no_rate.sum(),
        collected_employer_fen=c.coll_emp.sum(),
        collected_employee_fen=c.coll_psn.sum(),
    )


def retiree_credit_expr(age: ir.IntegerValue, bands: dict[str, Decimal]) -> ir.IntegerValue:
    """Monthly credit in fen by age band; bands are {lower age: 元/月}."""
    ordered = sorted(((int(k), fen_exact(v)) for k, v in bands.items()), reverse=True)
    return ibis.cases(*[(age >= lo, amt) for lo, amt in ordered], else_=0)


def accounts(
    enrol: ir.Table,
    persons: ir.Table,
    contrib: ir.Table,
    claims: ir.Table,
    year: int,
    bands: dict[str, Decimal],
) -> ir.Table:
    """Per person enrolled in 310 (or paid from an account) in ``year``: credits and payments
    in fen.  Retirees' months count up to the end of enrolment."""
    e = enrol.filter((enrol.year == year) & (enrol.insutype == EMPLOYEE))
    e = e.left_join(persons, e.psn_no == persons.psn_no).select(
        psn_no=e.psn_no,
        retired=e.emp_retired.fill_null("0") == "1",
        end_date=e.end_date,
        brdy=persons.brdy,
    )
    end_month = ibis.cases(
        (e.end_date.isnull() | (e.end_date.year() > year), 12),
        (e.end_date.year() < year, 0),
        else_=e.end_date.month(),
    )
    age = year - e.brdy.year()
    credit = retiree_credit_expr(age.fill_null(0), bands) if bands else ibis.literal(0)
    e = (
        e.mutate(
            retiree_credit_fen=ibis.cases((e.retired, end_month.cast("int64") * credit), else_=0)
        )
        .group_by("psn_no")
        .aggregate(
            retiree_credit_fen=lambda t: t.retiree_credit_fen.max(),
            enrol_end=lambda t: t.end_date.max(),
            retired=lambda t: t.retired.any(),
        )
    )
    k = contrib.filter((contrib.clct_ym // 100) == year)
    k = k.group_by("psn_no").aggregate(employee_part_fen=fen_expr(k.psn_amount).sum())
    cl = claims.filter((claims.setl_time.year() == year) & (claims.insutype == EMPLOYEE))
    cl = cl.filter(cl.acct_pay.notnull() & (cl.acct_pay > 0))
    cl = cl.group_by("psn_no").aggregate(
        payments_fen=fen_expr(cl.acct_pay).sum(), last_payment=cl.setl_time.max()
    )
    ids = e.select("psn_no").union(k.select("psn_no")).union(cl.select("psn_no")).distinct()
    j = ids.left_join(e, ids.psn_no == e.psn_no).select(
        ids.psn_no, *[e[c] for c in e.columns if c != "psn_no"]
    )
    j = j.left_join(k, j.psn_no == k.psn_no).select(j, employee_part_fen=k.employee_part_fen)
    j = j.left_join(cl, j.psn_no == cl.psn_no).select(
        j, payments_fen=cl.payments_fen, last_payment=cl.last_payment
    )
    part, credit = j.employee_part_fen.fill_null(0), j.retiree_credit_fen.fill_null(0)
    return j.select(
        "psn_no",
        "enrol_end",
        "last_payment",
        retired=j.retired.fill_null(False),
        retiree_credit_fen=credit,
        employee_part=money_expr(part),
        retiree_credit=money_expr(credit),
        credits=money_expr(part + credit),
        payments=money_expr(j.payments_fen.fill_null(0)),
        change=money_expr(part + credit - j.payments_fen.fill_null(0)),
    )


@dataclass(frozen=True)
class EmployeeFinance:
    """One year of the employee fund (元; rates as fractions to four places)."""

    year: int
    employers: int
    people: int
    person_months: int
    due_employer: Decimal | None
    due_employee: Decimal | None
    due: Decimal | None
    collected_employer: Decimal
    collected_employee: Decimal
    collected: Decimal
    retiree_credits: Decimal
    pooled: Decimal  # 统筹基金
    personal: Decimal  # 个人账户
    rate_vs_due: Decimal | None
    task: Decimal | None
    rate_vs_task: Decimal | None
    below_floor_months: int


def summarise(
    year: int, employers: list[dict], retiree_credit_fen: int, task: Decimal | None
) -> tuple[EmployeeFinance, list[Note]]:
    """Year totals from the per-employer rows; the split and both collection rates."""
    notes: list[Note] = []

    def tot(k: str) -> int:
        return sum(int(r[k] or 0) for r in employers)

    no_rate = tot("months_without_rate")
    due_e = None if no_rate else from_fen(tot("due_employer_fen"))
    due_p = None if no_rate else from_fen(tot("due_employee_fen"))
    if no_rate:
        text = f"{no_rate} 个人月的缴费比例在政策中没有规定,应缴额未计算"
        notes.append(Note("employee_rate_missing", text, "warning"))
    coll_e, coll_p = (
        from_fen(tot("collected_employer_fen")),
        from_fen(tot("collected_employee_fen")),
    )
    credits = from_fen(retiree_credit_fen)
    if task is None:
        notes.append(Note("collection_task_missing", "未给出职工医保征缴任务数", "info"))
    fin = split(
        year,
        pooled_part=coll_e,
        personal_part=coll_p,
        retiree_credits=credits,
        due=(due_e, due_p),
        task=task,
    )
    return (
        EmployeeFinance(
            **{
                **fin.__dict__,
                "employers": len(employers),
                "people": tot("people"),
                "person_months": tot("person_months"),
                "below_floor_months": tot("below_floor_months"),
            }
        ),
        notes,
    )


def split(
    year: int,
    *,
    pooled_part: Decimal,
    personal_part: Decimal,
    retiree_credits: Decimal = ZERO,
    due: tuple[Decimal | None, Decimal | None] = (None, None),
    task: Decimal | None = None,
) -> EmployeeFinance:
    """统账结合: employer part (less retiree credits) to the pool, the rest to accounts."""
    collected = pooled_part + personal_part
    due_total = None if None in due else due[0] + due[1]  # type: ignore[operator]
    return EmployeeFinance(
        year=year,
        employers=0,
        people=0,
        person_months=0,
        due_employer=due[0],
        due_employee=due[1],
        due=due_total,
        collected_employer=pooled_part,
        collected_employee=personal_part,
        collected=collected,
        retiree_credits=retiree_credits,
        pooled=pooled_part - retiree_credits,
        personal=personal_part + retiree_credits,
        rate_vs_due=ratio(collected, due_total) if due_total else None,
        task=task,
        rate_vs_task=ratio(collected, task) if task else None,
        below_floor_months=0,
    )


def collection_task(policy: Policy, year: int) -> Decimal | None:
    """The year's collection task: ``financing.employee.collection_task`` or the evaluation
    target ``evaluation.targets.employee_contribution_collection`` (seed 003)."""
    on = date(year, 12, 31)
    for name in (P + "collection_task", "evaluation.targets.employee_contribution_collection"):
        v = _at(policy, name, on)
        if v is not None:
            return Decimal(v)
    return None


def retiree_bands(policy: Policy, year: int) -> dict[str, Decimal]:
    return dict(_at(policy, P + "retiree_account_credit", date(year, 12, 31)) or {})


def has_employee_finance(policy: Policy) -> bool:
    return any(n.startswith(P) for n in policy.parameters)


@dataclass
class EmployeeRun:
    """What finance stores for the employee fund of one year."""

    summary: EmployeeFinance
    employers: list[dict]
    accounts: pa.Table  # fen columns; the opening balance is joined when stored
    notes: list[Note]


def run_employee(con: Any, policy: Policy, year: int) -> EmployeeRun | None:
    """The employee part of `yibao finance`; None when the year has no 310 data at all."""
    from yibao.finance import queries as q
    from yibao.pipeline import provenance

    contrib, enrol = con.table("contributions"), con.table("enrolments")
    n_contrib = q.rows(
        con, contrib.filter((contrib.clct_ym // 100) == year).count().name("n").as_table()
    )
    n_enrol = q.rows(
        con,
        enrol.filter((enrol.year == year) & (enrol.insutype == EMPLOYEE))
        .count()
        .name("n")
        .as_table(),
    )
    if not n_contrib[0]["n"] and not n_enrol[0]["n"]:
        return None
    months = ibis.memtable(month_params(policy, year))
    employers = q.rows(
        con,
        by_employer(contrib, months, year).order_by("emp_no"),
        ("finance_employee", "finance_employers"),
        "职工医保征缴(按单位)",
    )
    acc = accounts(
        enrol, con.table("persons"), contrib, con.table("claims"), year, retiree_bands(policy, year)
    )
    provenance.record("personal_accounts", "职工医保个人账户", acc)
    table = con.to_pyarrow(acc.order_by("psn_no"))
    credits = int(pa.compute.sum(table.column("retiree_credit_fen")).as_py() or 0)
    summary, notes = summarise(year, employers, credits, collection_task(policy, year))
    return EmployeeRun(summary, employers, table, notes)


def employer_rows(year: int, employers: list[dict]) -> list[dict]:
    """finance_employers rows in 元 (a few hundred employers: small)."""
    out = []
    for r in employers:
        due = (
            None
            if r["months_without_rate"]
            else from_fen(r["due_employer_fen"] + r["due_employee_fen"])
        )
        coll = from_fen(r["collected_employer_fen"] + r["collected_employee_fen"])
        out.append(
            {
                "year": year,
                "emp_no": r["emp_no"],
                "emp_name": r["emp_name"],
                "people": r["people"],
                "person_months": r["person_months"],
                "declared_base": from_fen(r["declared_fen"]),
                "bounded_base": from_fen(r["bounded_fen"]),
                "below_floor_months": r["below_floor_months"],
                "due": due,
                "collected": coll,
                "gap": None if due is None else coll - due,
            }
        )
    return out


#: personal_accounts from the registered Arrow table ``_emp_acc`` and last year's closing.
ACCOUNTS_SQL = """
SELECT {year}::INTEGER AS year, a.psn_no, a.retired,
       coalesce(p.closing, 0)::DECIMAL(18,2) AS opening,
       a.employee_part, a.retiree_credit, a.credits, a.payments,
       (coalesce(p.closing, 0) + a.change)::DECIMAL(18,2) AS closing,
       a.enrol_end, a.last_payment
FROM _emp_acc a LEFT JOIN ({prev}) p USING (psn_no)
"""
