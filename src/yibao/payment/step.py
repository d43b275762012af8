"""`PaymentStep` and `CatalogueStep` behind the pipeline contract.

Not part of `yibao run`: budget control needs last year's claims and, to pay the reserve back,
the assessment scores (an input the exports do not carry); DIP needs a catalogue built first
from several years (`build-catalogue`) or a bureau's own catalogue in the policy.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from yibao.payment.budget import read_scores, run_budget
from yibao.payment.catalogue import build_catalogue
from yibao.payment.dip import run_dip
from yibao.payment.inputs import PaymentInputError
from yibao.payment.params import PaymentParamError, budget_params, dip_params
from yibao.payment.tables import (
    PAYMENT_BUDGET_HOSPITALS,
    PAYMENT_BUDGET_SUMMARY,
    PAYMENT_DIP_HOSPITALS,
    PAYMENT_DIP_MONTHS,
    PAYMENT_DIP_SUMMARY,
)
from yibao.payment.xlsx import write_workbook
from yibao.pipeline.contract import Note, RunContext, StepFailed, StepResult
from yibao.pipeline.runs import year_rows

METHODS = ("budget", "dip")


class PaymentStep:
    name = "payment"
    label = "医保支付清算"
    reads = ("claims", "institutions", "persons")

    def __init__(self, method: str, scores: Path | None = None) -> None:
        if method not in METHODS:
            raise StepFailed(f"未知的支付方式 {method!r};可选 budget、dip")
        self.method, self.scores = method, scores

    def run(self, ctx: RunContext) -> StepResult:
        if ctx.year is None:
            raise StepFailed("支付清算需要年度(--year)")
        try:
            if self.method == "budget":
                scores: dict[str, Decimal] | None = (
                    read_scores(self.scores) if self.scores else None
                )
                p = budget_params(ctx.policy, ctx.year)
                outcome = run_budget(ctx.ws, ctx.year, p, engine=ctx.engine, scores=scores)
                sheets = [
                    ("总额控制清算", PAYMENT_BUDGET_HOSPITALS, outcome.hospitals),
                    ("汇总", PAYMENT_BUDGET_SUMMARY, [outcome.summary]),
                ]
                flagged = sum(1 for h in outcome.hospitals if h["ahead_at_end"])
                names = [
                    "payment_budget_hospitals",
                    "payment_budget_months",
                    "payment_budget_summary",
                ]
            else:
                p2 = dip_params(ctx.policy, ctx.year)
                outcome = run_dip(ctx.ws, ctx.year, p2, engine=ctx.engine)
                sheets = [
                    ("DIP清算", PAYMENT_DIP_HOSPITALS, outcome.hospitals),
                    ("月度预结算", PAYMENT_DIP_MONTHS, outcome.months),
                    ("点值与汇总", PAYMENT_DIP_SUMMARY, [outcome.summary]),
                ]
                flagged = sum(1 for h in outcome.hospitals if h["upcoding_suspect"])
                names = [
                    "payment_dip_cases",
                    "payment_dip_hospitals",
                    "payment_dip_months",
                    "payment_dip_summary",
                ]
        except (PaymentInputError, PaymentParamError) as exc:
            raise StepFailed(str(exc)) from None
        path = ctx.ws.path / "reports" / f"{ctx.year}年医院{_title(self.method)}清算.xlsx"
        write_workbook(path, sheets)
        notes = [Note("payment_note", n) for n in outcome.notes]
        return StepResult(
            tables=year_rows(ctx.ws, names, ctx.year),
            notes=notes,
            outputs=[str(path)],
            findings=flagged,
            detail=outcome,
        )


def _title(method: str) -> str:
    return "总额控制" if method == "budget" else "DIP"


class CatalogueStep:
    name = "payment_catalogue"
    label = "DIP 病种目录"
    reads = ("claims",)

    def __init__(self, years: list[int]) -> None:
        self.years = years

    def run(self, ctx: RunContext) -> StepResult:
        try:
            p = dip_params(ctx.policy, max(self.years))
            info = build_catalogue(ctx.ws, self.years, p, engine=ctx.engine)
        except (PaymentInputError, PaymentParamError) as exc:
            raise StepFailed(str(exc)) from None
        return StepResult(
            tables={"payment_dip_catalogue": info["core_groups"] + info["integrated_groups"]},
            notes=[Note("catalogue", f"核心病种例数临界值 {info['cutoff']}")],
            detail=info,
        )
