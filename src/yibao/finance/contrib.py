"""Individual contributions by identity category: due from the policy, recorded in enrolments.

The contribution standard is due for every resident enrolment.  Of it, 特困人员 have the whole
amount paid by 医疗救助 (``medical_assistance.fully_subsidised_categories``); partly-subsidised
categories get the amount in ``financing.resident.contribution_subsidy_amount`` (never more than
the standard).  A partly-subsidised category without an amount in the policy is counted at 0 and
the output says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from yibao.finance.params import FinanceParams
from yibao.money import round_fen
from yibao.pipeline.contract import Note

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ContributionRow:
    """One region × identity category (amounts in 元)."""

    region_code: str
    category: str
    insured: int
    standard: Decimal  # 元/人: individual contribution standard
    subsidy_per_person: Decimal  # 元/人 paid by 医疗救助 or another channel
    due: Decimal  # insured × standard
    due_subsidy: Decimal  # insured × subsidy_per_person
    due_person: Decimal  # due − due_subsidy
    recorded: Decimal  # Σ enrolments.contribution
    recorded_subsidy: Decimal  # Σ enrolments.subsidised_amt
    gap: Decimal  # recorded − due (negative = less collected than due)
    gap_subsidy: Decimal  # recorded_subsidy − due_subsidy
    missing: int  # enrolments without a contribution amount


def subsidy_per_person(category: str, fp: FinanceParams) -> tuple[Decimal, str | None]:
    """The assistance share of one person's contribution, and a note when it was assumed."""
    std = fp.individual_contribution or ZERO
    if category in fp.fully_subsidised:
        return std, None
    if category in fp.contribution_subsidy_amount:
        return min(fp.contribution_subsidy_amount[category], std), None
    if category in fp.partly_subsidised:
        return ZERO, f"政策未规定{category}的资助参保金额,应资助额按 0 计"
    return ZERO, None


def contributions(rows: list[dict], fp: FinanceParams) -> tuple[list[ContributionRow], list[Note]]:
    notes: set[Note] = set()
    if fp.individual_contribution is None:
        text = f"政策 {fp.policy_name} 未规定 {fp.year} 年个人缴费标准,应缴按 0 计"
        notes.add(Note("contribution_standard_missing", text, "warning"))
    std = fp.individual_contribution or ZERO
    out = []
    for r in sorted(rows, key=lambda r: (r["region_code"], r["category"])):
        n = int(r["insured"])
        sub, note = subsidy_per_person(r["category"], fp)
        if note:
            notes.add(Note("assistance_assumed", note, "info", "category", r["category"]))
        due = round_fen(std * n)
        due_sub = round_fen(sub * n)
        rec = r["recorded"] if r["recorded"] is not None else ZERO
        rec_sub = r["recorded_subsidised"] if r["recorded_subsidised"] is not None else ZERO
        out.append(
            ContributionRow(
                r["region_code"],
                r["category"],
                n,
                std,
                sub,
                due,
                due_sub,
                due - due_sub,
                rec,
                rec_sub,
                rec - due,
                rec_sub - due_sub,
                int(r["missing_contribution"] or 0),
            )
        )
    return out, sorted(notes)
