"""Fund accounts by year: income and expense from the ledger beside the business data, balance
carried forward, months of reserve and budget execution.

The ledger (fund_ledger) is the book.  Each line is also computed from the business data
(enrolments, subsidy receipts, settled claims, the 大病 premium per policy), and the difference
is shown, never netted away.  Balance: closing = opening + income − expense, opening = last
year's closing (the first year's opening is what the ledger states as 期初/上年结余).  Transfers
between the fund's own accounts are neither income nor expense; if they do not net to zero, or
a stated opening differs from last year's closing, the report gives the gap to the fen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from yibao.finance.queries import OPENING_WORDS, TRANSFER_WORDS
from yibao.finance.subsidy import rate
from yibao.money import round_places
from yibao.pipeline.contract import Note

ZERO = Decimal("0.00")
RESIDENT_FUND = "居民医保"
INCOME_LINES = (
    ("contributions", "个人缴费收入"),
    ("subsidies", "财政补助收入"),
    ("interest", "利息收入"),
    ("other_income", "其他收入"),
)
EXPENSE_LINES = (
    ("inpatient", "住院支出"),
    ("outpatient", "门诊支出"),
    ("ci_premium", "大病保险支出"),
    ("other_expense", "其他支出"),
)
LINE_LABELS = dict(INCOME_LINES + EXPENSE_LINES)
INCOME = {k for k, _ in INCOME_LINES}
EXPENSE = {k for k, _ in EXPENSE_LINES}


@dataclass(frozen=True)
class YearBalance:
    """One year of the book (元)."""

    year: int
    opening: Decimal
    stated_opening: Decimal | None  # what the ledger states as 期初 for this year
    income: Decimal
    expense: Decimal
    closing: Decimal  # opening + income − expense
    transfers_net: Decimal  # transfers in − out (should be 0)
    book_balance: Decimal  # every entry added up, as the ledger has it
    gap: Decimal  # book_balance − closing


@dataclass
class AccountBook:
    year: int
    fund: str
    lines: list[dict] = field(default_factory=list)
    balances: list[YearBalance] = field(default_factory=list)
    income_ledger: Decimal = ZERO
    expense_ledger: Decimal = ZERO
    income_source: Decimal = ZERO
    expense_source: Decimal = ZERO
    closing: Decimal | None = None
    months_of_reserve: Decimal | None = None
    notes: list[Note] = field(default_factory=list)


def fund_book(
    ledger_rows: list[dict],
    source: dict[str, Decimal | None],
    year: int,
    fund: str = RESIDENT_FUND,
) -> AccountBook:
    """The account of ``fund`` for ``year``; ``source`` maps a line to its business-data amount
    (None when the business data do not have it, e.g. interest)."""
    book = AccountBook(year=year, fund=fund)
    flows: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in ledger_rows:
        if r["fund"] == fund:
            flows[r["year"]][r["line"]] += r["amount"]
    this = flows.get(year, {})
    for key, label in INCOME_LINES + EXPENSE_LINES:
        led = this.get(key, ZERO)
        src = source.get(key)
        book.lines.append(
            {
                "line": key,
                "label": label,
                "direction": "收入" if key in INCOME else "支出",
                "ledger": led,
                "source": src,
                "diff": None if src is None else led - src,
            }
        )
    book.income_ledger = sum((this.get(k, ZERO) for k in INCOME), ZERO)
    book.expense_ledger = sum((this.get(k, ZERO) for k in EXPENSE), ZERO)
    book.income_source = sum((v for k, v in source.items() if k in INCOME and v), ZERO)
    book.expense_source = sum((v for k, v in source.items() if k in EXPENSE and v), ZERO)
    if not flows:
        text = f"工作区没有{fund}基金收支明细账,未计算结余和可支付月数"
        book.notes.append(Note("ledger_missing", text, "warning"))
        return book
    early = flows.get(year - 1, {}).get("contributions", ZERO)
    if not this.get("contributions") and source.get("contributions") and early:
        text = (
            f"明细账 {year} 年无个人缴费收入,{year - 1} 年记有 {early} 元(可能为预收下年度缴费);"
            f"按记账日期计入 {year - 1} 年,未作调整"
        )
        book.notes.append(Note("contributions_booked_early", text, "warning"))
    book.balances = _telescope(flows, year)
    last = book.balances[-1]
    book.closing = last.closing
    if last.gap:
        text = (
            f"{year} 年末按明细账逐笔累计的余额与 期初+收入−支出 相差 {last.gap} 元"
            f"(其中内部转账未抵平 {sum(b.transfers_net for b in book.balances)} 元)"
        )
        book.notes.append(Note("balance_gap", text, "warning"))
    for b in book.balances:
        if b.stated_opening is not None and b.stated_opening != b.opening:
            text = f"{b.year} 年账载期初余额 {b.stated_opening} 元与上年末结余 {b.opening} 元不符"
            book.notes.append(Note("stated_opening_differs", text, "warning", "year", str(b.year)))
    if book.expense_ledger:
        monthly = book.expense_ledger / 12
        book.months_of_reserve = round_places(last.closing / monthly, 2)
    return book


def _telescope(flows: dict[int, dict[str, Decimal]], year: int) -> list[YearBalance]:
    out: list[YearBalance] = []
    book_balance = ZERO
    closing: Decimal | None = None
    for y in range(min(flows), year + 1):
        f = flows.get(y, {})
        stated = f.get("opening")
        opening = closing if closing is not None else (stated or ZERO)
        if closing is None:
            book_balance += stated or ZERO
        income = sum((f.get(k, ZERO) for k in INCOME), ZERO)
        expense = sum((f.get(k, ZERO) for k in EXPENSE), ZERO)
        transfers = f.get("transfer_in", ZERO) - f.get("transfer_out", ZERO)
        closing = opening + income - expense
        book_balance += income - expense + transfers
        out.append(
            YearBalance(
                y,
                opening,
                stated,
                income,
                expense,
                closing,
                transfers,
                book_balance,
                book_balance - closing,
            )
        )
    return out


# --- budgets ----------------------------------------------------------------------------------


def classify_text(direction: str, category: str) -> str:
    """The same account lines as ``queries.classify_ledger``, for budget item names."""
    c = category
    if direction == "收入":
        if any(w in c for w in OPENING_WORDS):
            return "opening"
        if any(w in c for w in TRANSFER_WORDS):
            return "transfer_in"
        if "缴费" in c or "保费" in c:
            return "contributions"
        if "补助" in c or "补贴" in c:
            return "subsidies"
        return "interest" if "利息" in c else "other_income"
    if "大病" in c:
        return "ci_premium"
    if any(w in c for w in TRANSFER_WORDS):
        return "transfer_out"
    if "住院" in c:
        return "inpatient"
    if "门诊" in c or "药店" in c:
        return "outpatient"
    return "other_expense"


def fund_of_project(project: str) -> str:
    for word, fund in (("离休", "离休统筹"), ("大病", "大病保险"), ("救助", "医疗救助")):
        if word in project:
            return fund
    return "职工医保" if "职工" in project else RESIDENT_FUND


def _in_scope(budget_region: str, ledger_region: str) -> bool:
    """A city or province budget covers its counties' ledgers."""
    prefix = budget_region
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return ledger_region.startswith(prefix)


def budget_execution(budgets: list[dict], ledger_rows: list[dict], year: int) -> list[dict]:
    """Budget (including carry-over, seed 001) against ledger spending, line by line.

    Spending is matched by the ledger category equal to the budget item or project name; failing
    that, by the fund the project names and the account line the item names; otherwise the
    line is shown without an actual (never guessed from unrelated spending)."""
    spent = [r for r in ledger_rows if r["year"] == year and r["direction"] == "支出"]
    out = []
    for b in sorted(budgets, key=lambda b: (b["region_code"], b["project"], b["item"])):
        scope = [r for r in spent if _in_scope(b["region_code"], r["region_code"])]
        names = {b["item"].strip(), b["project"].strip()}
        exact = [r for r in scope if r["category"].strip() in names]
        if exact:
            actual, basis = sum((r["amount"] for r in exact), ZERO), "科目名称一致"
        else:
            fund = fund_of_project(b["project"])
            line = classify_text("支出", b["item"])
            in_fund = [r for r in scope if r["fund"] == fund]
            if line in ("inpatient", "outpatient", "ci_premium"):
                actual = sum((r["amount"] for r in in_fund if r["line"] == line), ZERO)
                basis = f"{fund}·{LINE_LABELS[line]}"
            else:
                actual, basis = None, "明细账无对应科目,未计算执行率"
        carry = b["carry_over"] if b["carry_over"] is not None else ZERO
        total = b["amount"] + carry
        out.append(
            {
                "region_code": b["region_code"],
                "project": b["project"],
                "item": b["item"],
                "budget": b["amount"],
                "carry_over": carry,
                "budget_total": total,
                "actual": actual,
                "balance": None if actual is None else total - actual,
                "execution_rate": None if actual is None else rate(actual, total),
                "matched_by": basis,
            }
        )
    return out
