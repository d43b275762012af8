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
from yibao.engine.workspace import Workspace
from yibao.finance import queries as q
from yibao.finance.accounts import AccountBook, budget_execution, fund_book
from yibao.finance.contrib import ContributionRow, contributions
from yibao.finance.insurer import InsurerSettlement, settle_insurer
from yibao.finance.params import FinanceParams, finance_params
from yibao.finance.retiree import RetireeSummary, read_roster, summarise
from yibao.finance.subsidy import ArrivalRow, DueRow, compare_receipts, subsidy_due
from yibao.money import from_fen, round_fen
from yibao.policy import load_policy
from yibao.refdata import area_name
from yibao.schema.codes import RESIDENT, RESIDENT_CI_INSUTYPES, RETIRED_CADRE

ZERO = Decimal("0.00")
SOURCE_TABLES = ("enrolments", "subsidy_receipts", "fund_ledger", "budgets", "claims")
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
    con = connect_engine("pyspark")
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
    policy_ref: str | None = None,
    engine: str = "duckdb",
    roster: Path | None = None,
) -> FinanceReport:
    policy = load_policy(policy_ref or ws.config.get("policy") or "demo-county")
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
    notes: list[str] = []

    insured = {
        r["region_code"]: int(r["insured"]) for r in q.rows(con, q.insured_by_region(enrol, year))
    }
    due, due_notes = subsidy_due(insured, fp) if insured else ([], [])
    if not insured:
        notes.append(f"{year} 年没有城乡居民(390)参保登记,未计算应补助额")
    arrivals, quarterly, rec_notes = compare_receipts(
        due, q.rows(con, q.receipts_by_quarter(rec, year))
    )
    contrib, contrib_notes = contributions(
        q.rows(con, q.contributions_by_category(enrol, year)), fp
    )

    expense = {
        r["line"]: r for r in q.rows(con, q.claims_expense(claims, settled, year, (RESIDENT,)))
    }
    expense_basis = (
        "复核结算结果(settlements)" if use_settlements else "结算单记录的基金支付(claims)"
    )
    unsettled = sum(int(r["unsettled"] or 0) for r in expense.values()) if use_settlements else 0
    if unsettled:
        notes.append(
            f"{unsettled} 张结算单没有复核结算结果,其基金支付按 0 计;请先运行 yibao settle"
        )
    n_res = sum(insured.values())
    premium_due = (
        None if fp.ci_premium_per_person is None else round_fen(fp.ci_premium_per_person * n_res)
    )
    if premium_due is None:
        notes.append(f"政策未规定 {year} 年大病保险人均筹资标准,大病保险支出只按明细账列示")
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
    ledger_rows = q.rows(con, q.ledger_lines(ledger, year))
    book = fund_book(ledger_rows, source, year)
    budgets = q.rows(con, con.table("budgets").filter(lambda t: t.year == year))
    budget = budget_execution(budgets, ledger_rows, year)

    insurer = None
    if n_res:
        ci_claims = q.rows(con, q.claims_expense(claims, settled, year, CI_INSUTYPES))
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
            notes.append("政策未规定离休人员个人医疗定额,名单未使用")
        if r_table is not None and not fp.retiree_cash_topup:
            r_table = None
            notes.append("政策未规定定额节约现金补足,未计算补足金额")
        people = con.to_pyarrow(
            q.retiree_costs(claims, settled, enrol, year, RETIREE_INSUTYPES, r_table).order_by(
                "psn_no"
            )
        )
        retiree_budget = [b for b in budget if "离休" in b["project"]]
        retiree = summarise(
            people,
            fp.retiree_pooling_standard,
            sum((b["budget_total"] for b in retiree_budget), ZERO) if retiree_budget else None,
            r_table is not None,
        )
        if not people.num_rows:
            retiree, people = None, None

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
    )
    store(ws, report)
    return report


# --- storage ----------------------------------------------------------------------------------

M = pa.decimal128(18, 2)
R = pa.decimal128(9, 4)


def _arrow(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)


SCHEMAS: dict[str, pa.Schema] = {
    "finance_subsidy": pa.schema(
        [
            ("year", pa.int32()),
            ("region_code", pa.string()),
            ("region_name", pa.string()),
            ("county_class", pa.string()),
            ("budget_level", pa.string()),
            ("insured", pa.int64()),
            ("per_person", pa.decimal128(18, 4)),
            ("due", M),
            ("received", M),
            ("settlement", M),
            ("received_net", M),
            ("arrival_rate", R),
            ("shortfall", M),
            ("status", pa.string()),
        ]
    ),
    "finance_subsidy_quarterly": pa.schema(
        [
            ("year", pa.int32()),
            ("budget_level", pa.string()),
            ("quarter", pa.string()),
            ("received", M),
            ("cumulative", M),
            ("due", M),
            ("cumulative_rate", R),
        ]
    ),
    "finance_contributions": pa.schema(
        [
            ("year", pa.int32()),
            ("region_code", pa.string()),
            ("category", pa.string()),
            ("insured", pa.int64()),
            ("standard", M),
            ("subsidy_per_person", M),
            ("due", M),
            ("due_subsidy", M),
            ("due_person", M),
            ("recorded", M),
            ("recorded_subsidy", M),
            ("gap", M),
            ("gap_subsidy", M),
            ("missing", pa.int64()),
        ]
    ),
    "finance_accounts": pa.schema(
        [
            ("year", pa.int32()),
            ("fund", pa.string()),
            ("direction", pa.string()),
            ("line", pa.string()),
            ("label", pa.string()),
            ("ledger", M),
            ("source", M),
            ("diff", M),
        ]
    ),
    "finance_balance": pa.schema(
        [
            ("year", pa.int32()),
            ("report_year", pa.int32()),
            ("opening", M),
            ("stated_opening", M),
            ("income", M),
            ("expense", M),
            ("closing", M),
            ("transfers_net", M),
            ("book_balance", M),
            ("gap", M),
            ("months_of_reserve", pa.decimal128(9, 2)),
        ]
    ),
    "finance_budget": pa.schema(
        [
            ("year", pa.int32()),
            ("region_code", pa.string()),
            ("project", pa.string()),
            ("item", pa.string()),
            ("budget", M),
            ("carry_over", M),
            ("budget_total", M),
            ("actual", M),
            ("balance", M),
            ("execution_rate", R),
            ("matched_by", pa.string()),
        ]
    ),
    "finance_insurer": pa.schema(
        [
            ("year", pa.int32()),
            ("premium", M),
            ("claims", M),
            ("profit", M),
            ("profit_rate", R),
            ("cap_rate", R),
            ("cap_amount", M),
            ("returned_to_fund", M),
            ("fund_loss_share", M),
            ("insurer_result", M),
            ("note", pa.string()),
        ]
    ),
    "finance_retirees": pa.schema(
        [
            ("year", pa.int32()),
            ("psn_no", pa.string()),
            ("region_code", pa.string()),
            ("enrolled", pa.bool_()),
            ("period", pa.string()),
            ("quota", M),
            ("inpatient", M),
            ("outpatient", M),
            ("topup", M),
            ("visits", pa.int64()),
        ]
    ),
    "finance_notes": pa.schema([("year", pa.int32()), ("seq", pa.int32()), ("note", pa.string())]),
}


def _tables(rep: FinanceReport) -> dict[str, list[dict]]:
    y = rep.year
    names = rep.region_names
    out: dict[str, list[dict]] = {}
    per = {(d.region_code, d.level): d for d in rep.due}
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
    out["finance_notes"] = [{"year": y, "seq": i, "note": n} for i, n in enumerate(rep.notes, 1)]
    return out


def store(ws: Workspace, rep: FinanceReport) -> None:
    """Replace the year's rows of every finance_* table in one transaction.

    ``finance_balance`` is keyed by report_year: each run stores the years it rolled forward."""
    con = ws.con
    con.execute("BEGIN TRANSACTION")
    try:
        for name, rows in _tables(rep).items():
            data = _arrow(rows, SCHEMAS[name])
            con.register("_fin_rows", data)
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM _fin_rows LIMIT 0")
            key = "report_year" if name == "finance_balance" else "year"
            con.execute(f"DELETE FROM {name} WHERE {key} = {int(rep.year)}")
            con.execute(f"INSERT INTO {name} SELECT * FROM _fin_rows")
            con.unregister("_fin_rows")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
