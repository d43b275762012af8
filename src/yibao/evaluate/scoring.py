"""Scoring rules: exact Decimal arithmetic, rounded half-up to 2 places at one point (``score``).

- positive: full weight at or above the target, else weight × actual ÷ target;
- negative: full weight at or below the target, falling linearly to 0 at twice the target;
- qualitative: the level met → the upper bound of band 1 (80–100 %), one level short → band 2
  (60–80 %), two or more short → band 3 (0–60 %); an evaluator may give a share inside the band;
- a range target is positive below its low end and negative above its high end.
The total is the sum of the rounded line scores, so the printed lines always add up.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.evaluate.frameworks import Line, Target
from yibao.money import percent, round_places

ZERO, ONE = Decimal(0), Decimal(1)
SCORE_PLACES = 2


def positive(weight: Decimal, target: Decimal, actual: Decimal) -> Decimal:
    if actual >= target or target <= 0:
        return weight
    return weight * max(actual, ZERO) / target


def negative(weight: Decimal, target: Decimal, actual: Decimal) -> Decimal:
    if actual <= target:
        return weight
    if target <= 0 or actual >= 2 * target:
        return ZERO
    return weight * (2 * target - actual) / target


def qualitative(
    weight: Decimal,
    levels: tuple[str, ...],
    target: str,
    actual: str,
    bands: tuple[tuple[Decimal, Decimal], ...],
    share: Decimal | None = None,
) -> Decimal:
    """``share`` (percent of the weight) must lie in the band the level falls in."""
    short = (
        levels.index(actual) - levels.index(target) if levels else (0 if actual == target else 2)
    )
    low, high = bands[min(max(short, 0), 2)]
    pct = high if share is None else min(max(share, low), high)
    return weight * pct / 100


def raw_score(line: Line, actual: Decimal | str, bands, share: Decimal | None = None) -> Decimal:  # noqa: ANN001
    """The unrounded score of one line."""
    t, w = line.target, line.weight
    if line.rule == "qualitative":
        return qualitative(
            w, line.indicator.levels, str(t.level or t.text), str(actual), bands, share
        )
    a = Decimal(actual)
    if t.op == "range":
        assert t.low is not None and t.high is not None
        if a < t.low:
            return positive(w, t.low, a)
        return negative(w, t.high, a)
    assert t.value is not None
    return negative(w, t.value, a) if line.rule == "negative" else positive(w, t.value, a)


def score(line: Line, actual: Decimal | str, bands, share: Decimal | None = None) -> Decimal:  # noqa: ANN001
    """The one rounding point: half-up to 2 places."""
    return round_places(raw_score(line, actual, bands, share), SCORE_PLACES)


def completion(target: Target, rule: str, actual: Decimal | str) -> Decimal | None:
    """Actual against target as a percentage (≥/=: actual ÷ target; ≤: target ÷ actual)."""
    if target.op == "level" or isinstance(actual, str):
        return None
    a = Decimal(actual)
    if target.op == "range":
        assert target.low is not None and target.high is not None
        if a < target.low:
            return percent(a / target.low)
        return percent(ONE) if a <= target.high else percent(target.high / a)
    assert target.value is not None
    if rule == "negative":
        return percent(ONE) if a <= target.value else (percent(target.value / a) if a else None)
    return percent(a / target.value) if target.value else percent(ONE)


def meets(line: Line, actual: Decimal | str) -> bool:
    t = line.target
    if line.rule == "qualitative":
        lv = line.indicator.levels
        return (lv.index(str(actual)) <= lv.index(str(t.level))) if lv else str(actual) == t.level
    a = Decimal(actual)
    if t.op == "range":
        return bool(t.low is not None and t.high is not None and t.low <= a <= t.high)
    assert t.value is not None
    return a <= t.value if line.rule == "negative" else a >= t.value


def total(scores: list[Decimal]) -> Decimal:
    """Sum of the rounded line scores."""
    return sum(scores, ZERO)
