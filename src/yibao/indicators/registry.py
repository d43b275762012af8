"""The indicator registry: each indicator's metadata sits beside its query (or says it is an input).

An indicator is a measure a performance framework scores: a code (the contract that JSON output
and frameworks use), a Chinese name, a unit, a direction (正向 / 反向 / 定性), a grain and its
formula in words.  A data-backed indicator has a query over workspace tables that returns one row
per region (``region_code``) plus one total row (``region_code`` null) with ``numerator`` and
``denominator``; the value is derived from those two exact sums in Python, rounded half-up once
by :mod:`yibao.money`.  An input indicator is entered by a person with evidence (``--inputs``).
Regions and later issues register their own indicators on the same registry (:func:`register`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from yibao.money import percent, round_fen, round_places

if TYPE_CHECKING:
    import ibis.expr.types as ir

Direction = Literal["正向", "反向", "定性"]
#: How a value follows from numerator and denominator.
ValueKind = Literal["percent", "per", "money_per", "count", "money", "months", "level"]

REGION_YEAR = "统筹区 × 年度(另有全区合计行)"
TOTAL_YEAR = "全区 × 年度(仅合计行)"
#: 知晓率 levels, best first (DOMAIN §7: 普遍知晓 > 基本知晓 > 部分知晓).
AWARENESS_LEVELS = ("普遍知晓", "基本知晓", "部分知晓", "不知晓")
DONE_LEVELS = ("已实行", "部分实行", "未实行")
MET_LEVELS = ("达到", "基本达到", "未达到")


class Source:
    """What a query reads: workspace tables on one engine, the year and the policy.

    With ``share``, a helper table that many queries start from (the year's claims with each
    person's county) is computed once and kept on the engine (:meth:`shared`); without it, each
    query inlines it, which is the SQL a report cites: one that reads workspace tables only.
    """

    def __init__(self, backend: Any, year: int, policy: Any = None, *, share: bool = False) -> None:
        self.backend, self.year, self.policy = backend, year, policy
        self._shared: dict[Any, ir.Table] | None = {} if share else None

    def t(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def shared(self, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
        """``build()``, materialised once per source when sharing (a TEMP table on DuckDB, a
        cached DataFrame on Spark): 23 indicators re-joined 20 M claims to the enrolments."""
        if self._shared is None:
            return build()
        if key not in self._shared:
            self._shared[key] = build().cache()
        return self._shared[key]

    def release(self) -> None:
        """Drop the shared tables (they live until the connection closes otherwise)."""
        for t in (self._shared or {}).values():
            t.release()
        if self._shared is not None:
            self._shared.clear()


Query = Callable[[Source], "ir.Table"]


@dataclass(frozen=True)
class Indicator:
    """One measure.  ``query`` is None for inputs; ``sources`` are the tables it reads."""

    code: str
    name: str
    unit: str
    direction: Direction
    formula: str  # in words, Chinese
    sources: tuple[str, ...] = ()
    query: Query | None = None
    value_kind: ValueKind = "percent"
    places: int = 2
    grain: str = REGION_YEAR
    levels: tuple[str, ...] = ()  # qualitative levels, best first
    seed: str = ""  # the seed report that states it
    #: Derived tables that must hold rows of the year (a step the indicator reads has run for it).
    year_tables: tuple[str, ...] = ()
    hint: str = ""  # what to run when a source is missing; ``{year}`` is filled in

    @property
    def data_backed(self) -> bool:
        return self.query is not None

    def value(self, numerator: Any, denominator: Any) -> Decimal | None:
        """The indicator value from its exact numerator and denominator (half-up, once)."""
        if numerator is None:
            return None
        num = Decimal(numerator)
        if self.value_kind == "count":
            return round_places(num, 0)
        if self.value_kind == "money":
            return round_fen(num)
        if denominator is None or Decimal(denominator) == 0:
            return None
        q = num / Decimal(denominator)
        if self.value_kind == "months":
            return round_places(q * 12, self.places)
        if self.value_kind == "percent":
            return percent(q, self.places)
        if self.value_kind == "money_per":
            return round_fen(q)
        return round_places(q, self.places)


INDICATORS: dict[str, Indicator] = {}
#: Codes whose definition arrives with a later capability (code → what it waits for).
PENDING: dict[str, str] = {}


def register(ind: Indicator) -> Indicator:
    if ind.code in INDICATORS:
        raise ValueError(f"指标代码重复: {ind.code}")
    INDICATORS[ind.code] = ind
    PENDING.pop(ind.code, None)
    return ind


def indicator(**meta: Any) -> Callable[[Query], Query]:
    """Decorator: register the decorated query with its metadata beside it."""

    def wrap(fn: Query) -> Query:
        register(Indicator(query=fn, **meta))
        return fn

    return wrap


def get_indicator(code: str) -> Indicator:
    load_library()
    try:
        return INDICATORS[code]
    except KeyError:
        hint = f"({PENDING[code]})" if code in PENDING else ""
        raise KeyError(f"未知的指标代码 {code!r}{hint}") from None


def load_library() -> dict[str, Indicator]:
    """Import the built-in library once (its decorators fill the registry)."""
    from yibao.indicators import cases, fund_operation, inputs, library  # noqa: F401
    from yibao.payment import indicators  # noqa: F401  (DIP and budget control)

    return INDICATORS
