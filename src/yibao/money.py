"""Money goes through one door.

Amounts are ``Decimal`` in Python and DECIMAL(18,2) in tables.  Binary floats are refused
because a float cannot hold 0.10 exactly and sums of thousands of claims drift.  Rounding is
half-up to the fen, and it happens here and nowhere else (the SQL side uses
:func:`round_fen_expr`, which rounds the same way on DuckDB and PySpark).
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

FEN = Decimal("0.01")
WAN = Decimal("10000")
#: Column type of every stored amount.
MONEY_SQL_TYPE = "DECIMAL(18,2)"
MONEY_DTYPE = "decimal(18,2)"


#: The one grammar of a written number (ingest's engine expressions use the same patterns):
#: digits with an optional sign and decimals, where a comma may appear only as a thousands
#: separator (``6,441.00``).  ``64,41`` is not a number: stripping its comma would turn
#: 64.41 into 6,441.
GROUPED_RE = r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"
PLAIN_NUMBER_RE = r"^-?[0-9]+(\.[0-9]+)?$"
_GROUPED = re.compile(GROUPED_RE)
_PLAIN = re.compile(PLAIN_NUMBER_RE)


class MoneyError(ValueError):
    """An amount that cannot be taken as exact money."""


def number_text(text: str) -> str | None:
    """Canonical digits of a written number (currency signs and thousands commas removed),
    ``None`` when it does not follow the grammar above."""
    t = text.strip().replace("¥", "").replace("￥", "").replace("，", ",").strip()
    if _GROUPED.match(t):
        return t.replace(",", "")
    return t if _PLAIN.match(t) else None


def yuan(value: str | int | Decimal) -> Decimal:
    """Parse an amount in 元 exactly; floats are refused, not converted."""
    if isinstance(value, (bool, float)):
        raise MoneyError(f"金额不能用浮点数表示: {value!r} (use str or Decimal)")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        text = number_text(value)
        if text is None:
            raise MoneyError(f"不是有效金额: “{value}”(逗号只能用作千位分隔,如 6,441.00)")
        try:
            d = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the grammar admits only decimals
            raise MoneyError(f"不是有效金额: “{value}”") from exc
    else:
        raise MoneyError(f"不支持的金额类型: {type(value).__name__}")
    if not d.is_finite():
        raise MoneyError(f"金额必须是有限数: {value!r}")
    return d


def round_fen(value: Decimal | int | str) -> Decimal:
    """Round half-up to the fen: the one place where amounts are rounded."""
    return yuan(value).quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(value: Decimal | int | str) -> int:
    """Integer fen, for engines whose decimal arithmetic rounds half-even."""
    return int(round_fen(value) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def wan(value: Decimal, places: int = 2) -> Decimal:
    """元 → 万元, rounded half-up to ``places`` decimals (reports show 万元)."""
    q = Decimal(1).scaleb(-places)
    return (yuan(value) / WAN).quantize(q, rounding=ROUND_HALF_UP)


def round_fen_expr(expr: ir.NumericValue) -> ir.DecimalValue:
    """Half-up rounding to the fen as an engine expression, identical on DuckDB and PySpark.

    Both engines round DECIMAL half away from zero in ``ROUND(x, 2)``; the explicit cast pins
    the result type so that neither engine widens or silently re-rounds it later.
    """
    return expr.cast("decimal(38,6)").round(2).cast(MONEY_DTYPE)


# --- rates and percentages: half-up, here and nowhere else ----------------------------------------

#: Stored ratios have four places (52.84 % = 0.5284).
RATE_PLACES = 4


def round_places(value: Decimal | int | str, places: int) -> Decimal:
    """Half-up to ``places`` decimals: the one rounding rule for anything that is not an amount."""
    q = Decimal(1).scaleb(-places)
    return yuan(value).quantize(q, rounding=ROUND_HALF_UP)


def truncate_places(value: Decimal | int | str, places: int) -> Decimal:
    """Cut (toward zero) to ``places`` decimals: how a careless report shows 110.6567 as 110.65."""
    q = Decimal(1).scaleb(-places)
    return yuan(value).quantize(q, rounding=ROUND_DOWN)


def ratio(num: Decimal | int, den: Decimal | int, places: int = RATE_PLACES) -> Decimal | None:
    """num ÷ den half-up to ``places`` (a fraction: 0.5284); None when den is 0."""
    if not den:
        return None
    return round_places(Decimal(num) / Decimal(den), places)


def percent(rate: Decimal | int, places: int = 2) -> Decimal:
    """A fraction as a percentage number, half-up: 0.52835 → 52.84."""
    return round_places(Decimal(rate) * 100, places)


def as_percent(fraction: Decimal | int) -> Decimal:
    """A fraction as a percentage, unrounded (for comparisons that round later)."""
    return Decimal(fraction) * 100


def pct_text(rate: Decimal | int, places: int = 2) -> str:
    """0.6 → '60%', 0.5284 → '52.84%' (display; trailing zeros dropped)."""
    text = f"{percent(rate, places):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def is_whole_fen(value: Decimal) -> bool:
    """True when ``value`` has no part below the fen (0.005 has one)."""
    return value == value.quantize(FEN)


# --- integer fen and parts per million (the engines' exact arithmetic) ----------------------------

PPM = 1_000_000


def fen_exact(value: Decimal | int) -> int:
    """元 → integer fen; a value with a part below the fen is refused, not truncated."""
    d = Decimal(value) * 100
    if d != d.to_integral_value():
        raise MoneyError(f"金额 {value} 有分以下的部分,无法精确换算为分")
    return int(d)


def ppm_exact(value: Decimal | int) -> int:
    """A rate → parts per million; more than six places is refused."""
    d = Decimal(value) * PPM
    if d != d.to_integral_value():
        raise MoneyError(f"比例 {value} 超过六位小数,无法精确计算")
    return int(d)


def fen_expr(amount: ir.DecimalValue) -> ir.IntegerValue:
    """DECIMAL(18,2) → integer fen in the engine, exact (the value has two places)."""
    return (amount * 100).cast("int64")


#: Fen below this fit DECIMAL(16,2), the fast path of money_expr.
_NARROW_FEN = 10**14


def money_expr(fen: ir.IntegerValue) -> ir.DecimalValue:
    """Integer fen → DECIMAL(18,2) in the engine, exactly, for every BIGINT.

    Below 10^14 fen, DECIMAL(16,2) × DECIMAL(2,2) is DECIMAL(18,4) on DuckDB: a 64-bit product
    and a 64-bit rescale.  BIGINT × DECIMAL(3,2) widens BIGINT to DECIMAL(19,0) and multiplies
    in 128 bits, 4× the cost of the fast path (issue 17); it is kept for larger values."""
    import ibis

    wide = fen * ibis.literal(Decimal("0.01"), "decimal(3,2)")
    narrow = fen.cast("decimal(16,2)") * ibis.literal(Decimal("0.01"), "decimal(2,2)")
    small = fen.abs() < _NARROW_FEN
    return ibis.cases((small, narrow.cast(MONEY_DTYPE)), else_=wide.cast(MONEY_DTYPE))


def rate_expr(ppm: ir.IntegerValue) -> ir.DecimalValue:
    """Integer parts per million → DECIMAL(9,6) in the engine, exactly (0.85 for 850000)."""
    import ibis

    micro = ibis.literal(Decimal("0.000001"), "decimal(7,6)")
    return (ppm * micro).cast("decimal(9,6)")


def floor_div_expr(x: ir.IntegerValue, d: ir.IntegerValue | int) -> ir.IntegerValue:
    """x // d in the engine, exactly, for d > 0 and |x| < 2^62.

    Ibis compiles ``//`` to FLOOR(x / d) in DOUBLE on DuckDB and Spark, which is off beyond
    2^53 (fen × ppm of a 1 亿元 claim).  The BIGINT remainder of that estimate is then small,
    so its own floor division in DOUBLE is exact, and adding it puts the quotient right."""
    q = (x // d).cast("int64")
    r = x - q * d
    return q + (r // d).cast("int64")


def round_ppm_expr(x: ir.IntegerValue) -> ir.IntegerValue:
    """fen × ppm → fen, half-up (x is never negative in the chain)."""
    return floor_div_expr(x + PPM // 2, PPM)


def percent_expr(rate: ir.NumericValue, places: int = 2) -> ir.DecimalValue:
    """A fraction as a percentage in the engine, half-up to ``places`` (display values)."""
    return (rate.cast("decimal(38,10)") * 100).round(places).cast(f"decimal(18,{places})")


# --- Arrow and numpy edges -----------------------------------------------------------------------


def money_arrow_type() -> object:
    """The Arrow type of a stored amount (DECIMAL(18,2))."""
    import pyarrow as pa

    return pa.decimal128(18, 2)


def fen_of_draws(values: object) -> object:
    """Random draws in 元 (a numpy float array) → integer fen, rounded once, half-up.

    The generator draws amounts from continuous distributions; this is the one place where such
    a draw becomes money.  Draws are positive, so half-up is floor(x × 100 + 0.5)."""
    import numpy as np

    return np.floor(np.asarray(values, dtype=np.float64) * 100 + 0.5).astype(np.int64)


def whole_yuan_fen(fen: object) -> object:
    """Integer fen (numpy, ≥ 0) rounded half-up to whole 元: wages and bases are declared in 元."""
    import numpy as np

    return (np.asarray(fen, dtype=np.int64) + 50) // 100 * 100
