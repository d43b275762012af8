"""The evaluate step: a framework scored for the run's year, behind the pipeline contract."""

from __future__ import annotations

from pathlib import Path

from yibao.pipeline.contract import RunContext, StepFailed, StepResult
from yibao.policy.model import PolicyError

#: The framework ``yibao run`` evaluates when none is named (项目支出绩效自评表).
DEFAULT_FRAMEWORK = "self-2020"


class EvaluateStep:
    name = "evaluate"
    label = "绩效评价"
    reads = ("regions", "enrolments", "claims", "survey_responses", "fund_ledger", "institutions")

    def __init__(self, framework: str = DEFAULT_FRAMEWORK, inputs: Path | None = None) -> None:
        self.framework, self.inputs = framework, inputs

    def run(self, ctx: RunContext) -> StepResult:
        from yibao.evaluate.frameworks import load_framework
        from yibao.evaluate.inputs import load_inputs
        from yibao.evaluate.run import EvaluateError, evaluate, store

        if ctx.year is None:
            raise StepFailed("绩效评价需要年度(--year)")
        try:
            fw = load_framework(self.framework)
            inp = load_inputs(self.inputs, fw, user=ctx.user) if self.inputs else None
            ev = evaluate(fw, ctx.year, ws=ctx.ws, inputs=inp, engine=ctx.engine, policy=ctx.policy)
        except (PolicyError, EvaluateError) as exc:
            raise StepFailed(str(exc)) from None
        tables = store(ctx.ws, ev, ctx.user)
        return StepResult(tables=tables, notes=ev.notes, detail=ev)
