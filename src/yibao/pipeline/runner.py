"""``yibao run``: ingest a folder of exports, then every step for the year, with one summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from yibao.engine.workspace import Workspace
from yibao.ingest.loader import IngestResult, ingest_file
from yibao.pipeline.context import build_context
from yibao.pipeline.contract import RunContext, Step, StepFailed, StepResult
from yibao.pipeline.folder import FileMatch, recognise
from yibao.pipeline.runs import run_step
from yibao.pipeline.steps import STEPS

EXIT_CLEAN, EXIT_ATTENTION, EXIT_FAILED = 0, 1, 2


@dataclass
class StepOutcome:
    step: Step
    result: StepResult | None = None
    error: str | None = None


@dataclass
class RunSummary:
    year: int
    files: list[tuple[FileMatch, IngestResult | None]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    steps: list[StepOutcome] = field(default_factory=list)
    ctx: RunContext | None = None

    @property
    def exit_code(self) -> int:
        """0 clean; 1 rows quarantined, files unrecognised or findings; 2 a file or step failed."""
        if any(r is not None and r.exit_status == 2 for _, r in self.files) or any(
            s.error for s in self.steps
        ):
            return EXIT_FAILED
        attention = (
            any(not m.recognised for m, _ in self.files)
            or any(r is not None and r.rows_quarantined for _, r in self.files)
            or any(s.result is not None and s.result.findings for s in self.steps)
        )
        return EXIT_ATTENTION if attention else EXIT_CLEAN


def run_folder(
    ws: Workspace,
    year: int,
    *,
    source: Path | None = None,
    policy: str | None = None,
    engine: str = "duckdb",
    steps: list[Step] | None = None,
    progress: Callable[[str], None] | None = None,
    user: str | None = None,
) -> RunSummary:
    """Ingest ``source`` (when given), then run ``steps`` (default: every step) for ``year``."""
    say = progress or (lambda _m: None)
    ctx = build_context(ws, year, policy=policy, engine=engine, user=user, progress=say)
    summary = RunSummary(year=year, ctx=ctx)
    if source is not None:
        matches, summary.skipped = recognise(source)
        for i, m in enumerate(matches, 1):
            if not m.recognised:
                summary.files.append((m, None))
                continue
            say(f"导入 {i}/{len(matches)} {m.path.name} → {m.table}")
            res = ingest_file(
                ws, m.path, m.table or "", step=lambda s, m=m: say(f"导入 {m.path.name}:{s}")
            )
            summary.files.append((m, res))
    for step in steps if steps is not None else [cls() for cls in STEPS]:
        say(f"{step.label} …")
        outcome = StepOutcome(step)
        try:
            outcome.result = run_step(ctx, step)
        except StepFailed as exc:
            outcome.error = str(exc)
            outcome.result = StepResult(notes=exc.notes)
        summary.steps.append(outcome)
    return summary
