"""The one contract every pipeline step follows: a run context in, tables and notes out.

Steps read tables and write tables; they never call each other's internals.  The CLI, the demo,
the benchmarks and (later) the web app build one :class:`RunContext` per command and run steps
through :func:`yibao.pipeline.runs.run_step`, which records each run in ``_runs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from yibao.engine.workspace import Workspace
    from yibao.policy import Policy

Severity = Literal["info", "warning", "error"]


class Engine(StrEnum):
    """The engines a step can run on (a Typer choice: ``--engine duckdb|pyspark``)."""

    duckdb = "duckdb"
    pyspark = "pyspark"


@dataclass(frozen=True)
class Note:
    """What a step assumed or found, as data: filter by ``code``, not by words in ``text``.

    ``scope`` says what the note is about (year, county, level, hospital, rule, file …) and
    ``scope_key`` which one (a region code, a rule code …)."""

    code: str
    text: str  # Chinese, shown to users
    severity: Severity = "info"
    scope: str = "year"
    scope_key: str | None = None

    def __str__(self) -> str:
        return self.text

    def __contains__(self, words: str) -> bool:
        """Notes used to be sentences; ``"…" in note`` still reads the text."""
        return words in self.text

    def startswith(self, prefix: str) -> bool:
        return self.text.startswith(prefix)

    def __lt__(self, other: Note) -> bool:
        """Notes sort by their text, as the sentences they replaced did."""
        return (self.text, self.code) < (other.text, other.code)


def note_text(n: Note | str) -> str:
    return n.text if isinstance(n, Note) else str(n)


@dataclass
class RunContext:
    """Built once per command: what every step of that command shares."""

    ws: Workspace
    year: int | None
    policy: Policy
    policy_ref: str
    policy_hash: str
    engine: str = "duckdb"
    user: str | None = None
    role: str | None = None
    progress: Callable[[str], None] = field(default=lambda _msg: None)


@dataclass
class StepResult:
    """What a step wrote: rows per stored table (for the year), its notes, files for users.

    ``detail`` is the step's own outcome object, for callers that present it (CLI tables);
    nothing in the pipeline reads it."""

    tables: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    findings: int = 0
    detail: Any = None


class StepFailed(Exception):
    """A step that could not run (bad input, missing data); nothing it would write was kept."""

    def __init__(self, message: str, notes: list[Note] | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.notes = notes or []
        self.detail = detail


class Step(Protocol):
    """A pipeline step.  ``reads`` are the tables whose load ids a run record keeps."""

    name: str
    label: str
    reads: tuple[str, ...]

    def run(self, ctx: RunContext) -> StepResult: ...
