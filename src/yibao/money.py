"""Money goes through one door.

Amounts are ``Decimal`` in Python and DECIMAL(18,2) in tables.  Binary floats are refused
because a float cannot hold 0.10 exactly and sums of thousands of claims drift.  Rounding is
half-up to the fen, and it happens here and nowhere else (the SQL side uses
:func:`round_fen_expr`, which rounds the same way on DuckDB and PySpark).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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
