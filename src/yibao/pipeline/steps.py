"""The steps that exist, behind the one contract; ``STEPS`` is the order ``yibao run`` uses.

Each adapter calls its step's own module (settle, finance, supervise) with the context's policy
and engine, counts the rows it stored for the year from the registry, and turns the step's
messages into notes.  Presentation files (xlsx annexes, the work list) are written here too, so
that the CLI command and ``yibao run`` produce the same outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from yibao.pipeline.contract import Note, RunContext, StepFailed, StepResult
from yibao.pipeline.runs import year_rows
from yibao.schema.derived import tables_of


def _tables(ctx: RunContext, step: str) -> dict[str, int]:
    assert ctx.year is not None
    return year_rows(ctx.ws, [t.name for t in tables_of(step)], ctx.year)


class SettleStep:
    name = "settle"
    label = "结算复核"
    reads = ("claims",)

    def run(self, ctx: RunContext) -> StepResult:
        from yibao.settle.run import settle_workspace

        if ctx.year is None:
            raise StepFailed("结算复核需要年度(--year)")
        outcome = settle_workspace(ctx.ws, ctx.year, policy_ref=ctx.policy, engine=ctx.engine)
        if not outcome.ok:
            notes = [
                Note(
                    "claim_cannot_settle",
                    f"结算ID {e.get('setl_id')} {e['column']}: {e['reason']}",
                    "error",
                    "claim",
                    e.get("setl_id"),
                )
                for e in outcome.errors
            ]
            raise StepFailed(
                f"{ctx.year} 年度有 {outcome.error_count} 张结算单无法按政策结算,未做结算",
                notes,
                outcome,
            )
        tables = _tables(ctx, self.name)
        n_diff = tables.get("settle_discrepancies", 0)
        notes = []
        if n_diff:
            notes.append(
                Note(
                    "payment_discrepancies",
                    f"记录的基金支付与按政策复核结果有差异的结算单 {n_diff} 张",
                    "warning",
                )
            )
        return StepResult(tables=tables, notes=notes, findings=n_diff, detail=outcome)


class FinanceStep:
    name = "finance"
    label = "基金财务"
    reads = ("enrolments", "subsidy_receipts", "fund_ledger", "budgets", "claims")

    def __init__(self, roster: Path | None = None) -> None:
        self.roster = roster

    def run(self, ctx: RunContext) -> StepResult:
        from yibao.finance.run import run_finance
        from yibao.finance.xlsx import write_annexes

        if ctx.year is None:
            raise StepFailed("基金财务需要年度(--year)")
        rep = run_finance(
            ctx.ws, ctx.year, policy_ref=ctx.policy, engine=ctx.engine, roster=self.roster
        )
        files = write_annexes(rep, ctx.ws.path / "reports")
        notes = [n if isinstance(n, Note) else Note("note", str(n)) for n in rep.notes]
        short = rep.short_levels()
        for a in short:
            notes.append(
                Note(
                    "subsidy_short",
                    f"{rep.region_names.get(a.region_code, a.region_code)} {a.level}财政补助"
                    f"短缺 {a.shortfall} 元",
                    "warning",
                    "level",
                    f"{a.region_code}|{a.level}",
                )
            )
        return StepResult(
            tables=_tables(ctx, self.name),
            notes=notes,
            outputs=[str(f) for f in files],
            findings=len(short),
            detail=rep,
        )


class SuperviseStep:
    name = "supervise"
    label = "基金监管筛查"
    reads = ("persons", "enrolments", "claims", "institutions")

    def __init__(
        self,
        rules: str | list[str] | None = None,
        *,
        unmask: bool = False,
        role: str | None = None,
        before_unmask: Callable[[Any], None] | None = None,
    ) -> None:
        """``before_unmask`` records the unmasking (audit) before the unmasked list exists."""
        if unmask and before_unmask is None:
            raise StepFailed("未脱敏的工作清单须先记录审计(before_unmask)")
        self.rules, self.unmask, self.role = rules, unmask, role
        self.before_unmask = before_unmask

    def run(self, ctx: RunContext) -> StepResult:
        from yibao.supervise.report import write_worklist
        from yibao.supervise.run import run_supervision

        if ctx.year is None:
            raise StepFailed("监管筛查需要年度(--year)")
        outcome = run_supervision(
            ctx.ws, ctx.year, rules=self.rules, engine=ctx.engine, policy_ref=ctx.policy
        )
        if self.unmask and self.before_unmask is not None:
            self.before_unmask(outcome)
        path = write_worklist(ctx.ws, outcome, unmask=self.unmask, role=self.role or ctx.role)
        notes = [Note("supervise_warning", w, "warning") for w in outcome.warnings]
        notes += [
            Note("rule_skipped", f"{r.rule.name}:{r.skipped}", "warning", "rule", r.rule.code)
            for r in outcome.runs
            if r.skipped
        ]
        found = sum(r.findings for r in outcome.runs)
        return StepResult(
            tables=_tables(ctx, self.name),
            notes=notes,
            outputs=[str(path)],
            findings=found,
            detail=outcome,
        )


from yibao.control.cases import CaseSyncStep  # noqa: E402 - cases recorded in the workbench
from yibao.evaluate.step import EvaluateStep  # noqa: E402 - the evaluate package's own step

#: Every step that exists for a year, in the order ``yibao run`` runs them.
STEPS = (SettleStep, FinanceStep, SuperviseStep, CaseSyncStep, EvaluateStep)
