"""Dated policy parameters, in the spirit of OpenFisca.

A parameter has a type, a unit, a legal reference and values keyed by the date they take
effect; a ``null`` value ends it.  Effective dates live in data, never in ``if year >= …``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

ParamType = Literal[
    "amount", "rate", "count", "scale", "table", "text", "flag", "codes", "csv_table"
]
PARAM_TYPES: tuple[str, ...] = (
    "amount",
    "rate",
    "count",
    "scale",
    "table",
    "text",
    "flag",
    "codes",
    "csv_table",
)


class PolicyError(ValueError):
    """A malformed policy: names the file, the dotted key and the problem."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key or '(根)'}: {problem}")


@dataclass(frozen=True)
class Bracket:
    """One band of a marginal-rate scale: ``rate`` applies from ``threshold`` to the next one."""

    threshold: Decimal  # 元
    rate: Decimal  # fraction, 0.60 = 60%


@dataclass(frozen=True)
class Scale:
    brackets: tuple[Bracket, ...]

    def apply(self, base: Decimal) -> Decimal:
        """Σ rate × (part of base inside each band); unrounded, callers round to the fen."""
        total = Decimal(0)
        for i, b in enumerate(self.brackets):
            upper = self.brackets[i + 1].threshold if i + 1 < len(self.brackets) else None
            if base <= b.threshold:
                break
            top = base if upper is None else min(base, upper)
            total += (top - b.threshold) * b.rate
        return total


@dataclass(frozen=True)
class CsvTable:
    """A dated reference table kept as a CSV file beside the policy (e.g. a DIP catalogue).

    The policy names the file; its SHA-256 enters the policy hash, so replacing the file is a
    new policy.  Columns are checked by the module that reads it.
    """

    path: Path
    sha256: str

    def __str__(self) -> str:
        return f"{self.path.name} (sha256 {self.sha256[:12]})"

    def __repr__(self) -> str:  # the policy hash reads repr: content, not where it is installed
        return f"CsvTable({self.path.name!r}, {self.sha256!r})"


@dataclass(frozen=True)
class DatedValue:
    start: date
    value: Any  # Decimal | int | str | bool | Scale | dict[str, Any] | None (ended)
    reference: str | None


@dataclass(frozen=True)
class Parameter:
    name: str  # dotted
    type: ParamType
    description: str
    unit: str
    reference: str
    values: tuple[DatedValue, ...]  # sorted by start
    source: str  # file that defined it (a preset may override the baseline)

    def at(self, when: date) -> DatedValue | None:
        """The value in force on ``when``, or None when none is (or it had ended)."""
        current = None
        for dv in self.values:
            if dv.start <= when:
                current = dv
            else:
                break
        if current is None or current.value is None:
            return None
        return current
