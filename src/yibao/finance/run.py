"""`yibao finance WORKSPACE --year Y`: run every finance step on one engine and store the results.

The heavy part (people, claims, receipts, ledger entries) is reduced by the Ibis queries in
``finance.queries`` on DuckDB or PySpark; the small results are combined here with Decimal and
stored as ``finance_*`` tables in the workspace (the year's rows replaced in one transaction).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from yibao.engine.backend import connect_engine, expose_to_spark
from yibao.engine.workspace import Workspace, replace_rows, transaction
from yibao.finance import queries as q
from yibao.finance.accounts import AccountBook, budget_execution, fund_book
from yibao.finance.contrib import ContributionRow, contributions
from yibao.finance.employee import ACCOUNTS_SQL, EmployeeRun, employer_rows, run_employee
from yibao.finance.insurer import InsurerSettlement, settle_insurer
from yibao.finance.params import FinanceParams, finance_params
from yibao.finance.retiree import RetireeSummary, read_roster, summarise
from yibao.finance.subsidy import ArrivalRow, DueRow, compare_receipts, subsidy_due
from yibao.money import from_fen, round_fen
from yibao.pipeline import provenance
from yibao.pipeline.context import resolve_policy
from yibao.pipeline.contract import Note, note_text
from yibao.policy import Policy
from yibao.refdata import area_name
from yibao.schema.codes import RESIDENT, RESIDENT_CI_INSUTYPES, RETIRED_CADRE
from yibao.schema.derived import DERIVED, tables_of

ZERO = Decimal("0.00")
SOURCE_TABLES = (
    "enrolments",
    "subsidy_receipts",
    "fund_ledger",
    "budgets",
    "claims",
    "contributions",
    "persons",
)
RETIREE_INSUTYPES = (RETIRED_CADRE,)
CI_INSUTYPES = RESIDENT_CI_INSUTYPES


@dataclass
class FinanceReport:
    year: int
    policy_name: str
    engine: str
    params: FinanceParams
    insured: dict[str, int]
    region_names: dict[str, str]
    due: list[DueRow]
    arrivals: list[ArrivalRow]
    quarterly: list[dict]
    contributions: list[ContributionRow]
    book: AccountBook
    budget: list[dict]
    insurer: InsurerSettlement | None
    retiree: RetireeSummary | None
    retiree_people: pa.Table | None
    expense_basis: str
    notes: list[str] = field(default_factory=list)
    employee: EmployeeRun | None = None

    def short_levels(self) -> list[ArrivalRow]:
        return [a for a in self.arrivals if a.status == "短缺"]


def _has_table(ws: Workspace, name: str) -> bool:
    return bool(
        ws.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
    )


def _settlements_for(ws: Workspace, year: int) -> bool:
    return _has_table(ws, "settlements") and bool(
        ws.con.execute(f"SELECT count(*) FROM settlements WHERE year = {int(year)}").fetchone()[0]
    )


def _backend(ws: Workspace, engine: str, use_settlements: bool) -> Any:
    if engine == "duckdb":
        return connect_engine("duckdb", ws)
    con = connect_engine("pyspark", ws)
    names = list(SOURCE_TABLES) + (["settlements"] if use_settlements else [])
    expose_to_spark(ws, con, names)
    return con


def _region_names(ws: Workspace, codes: set[str]) -> dict[str, str]:
    names = dict(
        ws.con.execute(
            "SELECT region_code, region_name FROM regions WHERE region_name IS NOT NULL"
        ).fetchall()
    )
    return {c: names.get(c) or area_name(c) or c for c in codes}


def run_finance(
    ws: Workspace,
    year: int,
    *,
    policy_ref: str | Policy | None = None,
    engine: str = "duckdb",
    roster: Path | None = None,
) -> FinanceReport:
    policy = resolve_policy(ws, policy_ref)
    fp = finance_params(policy, year)
    use_settlements = _settlements_for(ws, year)
    con = _backend(ws, engine, use_settlements)
    enrol, rec, ledger = (
        con.table("enrolments"),
        con.table("subsidy_receipts"),
        con.table("fund_ledger"),
    )
    claims = con.table("claims")
    settled = con.table("settlements") if use_settlements else None
    notes: list[Note] = []

    insured = {
        r["region_code"]: int(r["insured"])
        for r in q.rows(con, q.insured_by_region(enrol, year), _DUE, "参保人数(居民)")
    }
    due, due_notes = subsidy_due(insured, fp) if insured else ([], [])
    if not insured:
        notes.append(
            Note(
                "no_resident_enrolment",
                f"{year} 年没有城乡居民(390)参保登记,未计算应补助额",
                "warning",
            )
        )
    arrivals, quarterly, rec_notes = compare_receipts(
        due, q.rows(con, q.receipts_by_quarter(rec, year), _ARRIVAL, "财政补助到账")
    )
    contrib, contrib_notes = contributions(
        q.rows(con, q.contributions_by_category(enrol, year), ("finance_contributions",), "缴费"),
        fp,
    )

    expense = {
        r["line"]: r
        for r in q.rows(
            con, q.claims_expense(claims, settled, year, (RESIDENT,)), _BOOK, "基金支出"
        )
    }
    expense_basis = (
        "复核结算结果(settlements)" if use_settlements else "结算单记录的基金支付(claims)"
    )
    unsettled = sum(int(r["unsettled"] or 0) for r in expense.values()) if use_settlements else 0
    if unsettled:
        text = f"{unsettled} 张结算单没有复核结算结果,其基金支付按 0 计;请先运行 yibao settle"
        notes.append(Note("claims_not_settled", text, "warning"))
    n_res = sum(insured.values())
    premium_due = (
        None if fp.ci_premium_per_person is None else round_fen(fp.ci_premium_per_person * n_res)
    )
    if premium_due is None:
        text = f"政策未规定 {year} 年大病保险人均筹资标准,大病保险支出只按明细账列示"
        notes.append(Note("ci_premium_missing", text, "info"))
    source = {
        "contributions": sum((c.recorded for c in contrib), ZERO),
        "subsidies": sum((a.received_net for a in arrivals), ZERO),
        "interest": None,
        "other_income": None,
        "inpatient": (expense.get("inpatient") or {}).get("hifp") or ZERO,
        "outpatient": (expense.get("outpatient") or {}).get("hifp") or ZERO,
        "ci_premium": premium_due,
        "other_expense": None,
    }
    ledger_rows = q.rows(con, q.ledger_lines(ledger, year), _BOOK + ("finance_budget",), "明细账")
    book = fund_book(ledger_rows, source, year)
    budgets = q.rows(
        con, con.table("budgets").filter(lambda t: t.year == year), ("finance_budget",), "预算"
    )
    budget = budget_execution(budgets, ledger_rows, year)

    insurer = None
    if n_res:
        ci_claims = q.rows(
            con,
            q.claims_expense(claims, settled, year, CI_INSUTYPES),
            ("finance_insurer",),
            "大病赔付",
        )
        ci_paid = sum((r["hifmi"] or ZERO for r in ci_claims), ZERO)
        ledger_premium = book.lines[[x["line"] for x in book.lines].index("ci_premium")]["ledger"]
        premium = ledger_premium or premium_due
        if premium:
            insurer = settle_insurer(premium, ci_paid, fp.ci_profit_cap, fp.ci_loss_fund_share)

    retiree = people = None
    has_retirees = q.rows(
        con, q.insured_by_region(enrol, year, RETIREE_INSUTYPES[0]).aggregate(n=lambda t: t.count())
    )[0]["n"]
    if has_retirees or fp.retiree_pooling_standard is not None:
        r_table = None
        if roster is not None and fp.retiree_quota:
            r_table = ibis.memtable(read_roster(roster, fp.retiree_quota))
        elif roster is not None:
            notes.append(Note("retiree_quota_missing", "政策未规定离休人员个人医疗定额,名单未使用"))
        if r_table is not None and not fp.retiree_cash_topup:
            r_table = None
            notes.append(Note("retiree_topup_missing", "政策未规定定额节约现金补足,未计算补足金额"))
        costs = q.retiree_costs(claims, settled, enrol, year, RETIREE_INSUTYPES, r_table)
        provenance.record("finance_retirees", "离休人员费用", costs)
        people = con.to_pyarrow(costs.order_by("psn_no"))
        retiree_budget = [b for b in budget if "离休" in b["project"]]
        retiree = summarise(
            people,
            fp.retiree_pooling_standard,
            sum((b["budget_total"] for b in retiree_budget), ZERO) if retiree_budget else None,
            r_table is not None,
        )
        if not people.num_rows:
            retiree, people = None, None

    employee = run_employee(con, policy, year)
    if employee is not None:
        notes += employee.notes

    report = FinanceReport(
        year=year,
        policy_name=policy.name,
        engine=engine,
        params=fp,
        insured=insured,
        region_names=_region_names(
            ws, set(insured) | {a.region_code for a in arrivals} | {c.region_code for c in contrib}
        ),
        due=due,
        arrivals=arrivals,
        quarterly=quarterly,
        contributions=contrib,
        book=book,
        budget=budget,
        insurer=insurer,
        retiree=retiree,
        retiree_people=people,
        expense_basis=expense_basis,
        notes=notes + due_notes + rec_notes + contrib_notes + book.notes,
        employee=employee,
    )
    store(ws, report)
    return report


# --- storage ----------------------------------------------------------------------------------

_DUE = ("finance_subsidy_due", "finance_subsidy")
_ARRIVAL = ("finance_subsidy", "finance_subsidy_quarterly")
_BOOK = ("finance_accounts", "finance_balance")
#: The tables finance writes, with their Arrow schemas from the registry.
SCHEMAS: dict[str, pa.Schema] = {t.name: t.arrow_schema() for t in tables_of("finance")}


def _arrow(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)


def _tables(rep: FinanceReport) -> dict[str, list[dict]]:
    y = rep.year
    names = rep.region_names
    out: dict[str, list[dict]] = {}
    per = {(d.region_code, d.level): d for d in rep.due}
    out["finance_subsidy_due"] = [
        {
            "year": y,
            "region_code": d.region_code,
            "county_class": d.county_class,
            "budget_level": d.level,
            "insured": d.insured,
            "per_person": d.per_person,
            "standard": rep.params.subsidy_per_person,
            "due": d.due,
        }
        for d in rep.due
    ]
    out["finance_subsidy"] = [
        {
            "year": y,
            "region_code": a.region_code,
            "region_name": names.get(a.region_code),
            "county_class": per[(a.region_code, a.level)].county_class
            if (a.region_code, a.level) in per
            else None,
            "budget_level": a.level,
            "insured": a.insured,
            "per_person": per[(a.region_code, a.level)].per_person
            if (a.region_code, a.level) in per
            else None,
            "due": a.due,
            "received": a.received,
            "settlement": a.settlement,
            "received_net": a.received_net,
            "arrival_rate": a.rate,
            "shortfall": a.shortfall,
            "status": a.status,
        }
        for a in rep.arrivals
    ]
    out["finance_subsidy_quarterly"] = [
        {"year": y, "budget_level": r["level"], **r} for r in rep.quarterly
    ]
    out["finance_contributions"] = [{"year": y, **asdict(c)} for c in rep.contributions]
    out["finance_accounts"] = [{"year": y, "fund": rep.book.fund, **ln} for ln in rep.book.lines]
    out["finance_balance"] = [
        {
            "report_year": y,
            **asdict(b),
            "months_of_reserve": rep.book.months_of_reserve if b.year == y else None,
        }
        for b in rep.book.balances
    ]
    out["finance_budget"] = [{"year": y, **b} for b in rep.budget]
    out["finance_insurer"] = [{"year": y, **asdict(rep.insurer)}] if rep.insurer else []
    people = rep.retiree_people.to_pylist() if rep.retiree_people is not None else []
    out["finance_retirees"] = [
        {
            "year": y,
            **p,
            "quota": None if p["quota_fen"] is None else from_fen(p["quota_fen"]),
            "inpatient": from_fen(p["inpatient_fen"]),
            "outpatient": from_fen(p["outpatient_fen"]),
            "topup": from_fen(p["topup_fen"]),
        }
        for p in people
    ]
    emp = rep.employee
    out["finance_employee"] = [{**asdict(emp.summary)}] if emp else []
    out["finance_employers"] = employer_rows(y, emp.employers) if emp else []
    out["finance_notes"] = [
        {
            "year": y,
            "seq": i,
            "note": note_text(n),
            "code": getattr(n, "code", "note"),
            "severity": getattr(n, "severity", "info"),
            "scope": getattr(n, "scope", "year"),
            "scope_key": getattr(n, "scope_key", None),
        }
        for i, n in enumerate(rep.notes, 1)
    ]
    return out


def store(ws: Workspace, rep: FinanceReport) -> None:
    """Replace the year's rows of every finance_* table in one transaction.

    ``finance_balance`` is keyed by report_year: each run stores the years it rolled forward."""
    con = ws.con
    with transaction(con):
        for name, rows in _tables(rep).items():
            con.register("_fin_rows", _arrow(rows, SCHEMAS[name]))
            replace_rows(con, DERIVED[name], "SELECT * FROM _fin_rows", year=rep.year)
            con.unregister("_fin_rows")
        _store_accounts(con, rep)


def _store_accounts(con: Any, rep: FinanceReport) -> None:
    """personal_accounts: this year's credits and payments on top of last year's closing."""
    acc = DERIVED["personal_accounts"]
    if rep.employee is None:
        con.execute(acc.ddl())
        con.execute(f"DELETE FROM personal_accounts WHERE year = {int(rep.year)}")
        return
    con.register("_emp_acc", rep.employee.accounts)
    con.execute(acc.ddl())
    prev = f"SELECT psn_no, closing FROM personal_accounts WHERE year = {int(rep.year) - 1}"
    sql = ACCOUNTS_SQL.format(year=int(rep.year), prev=prev)
    replace_rows(con, acc, sql, year=rep.year)
    con.unregister("_emp_acc")
