"""Money: one door, exact decimals, half-up to the fen, same on the engine as in Python."""

from __future__ import annotations

from decimal import Decimal

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.money import MoneyError, from_fen, round_fen, round_fen_expr, to_fen, wan, yuan


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        yuan(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        yuan("abc")
    assert yuan("1,234.50") == Decimal("1234.50")


@pytest.mark.parametrize(
    ("raw", "fen"), [("0.005", "0.01"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("1.0049", "1.00")]
)
def test_round_half_up(raw, fen):
    assert round_fen(raw) == Decimal(fen)


def test_wan_rounds_half_up_to_two_places():
    assert wan(Decimal("2130929840")) == Decimal("213092.98")
    assert wan(Decimal("50.00")) == Decimal("0.01")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_fen_round_trip(n):
    assert to_fen(from_fen(n)) == n


amounts = st.decimals(
    min_value=Decimal("-1e9"),
    max_value=Decimal("1e9"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)


@settings(max_examples=30, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=30))
def test_engine_rounding_matches_python(values):
    t = ibis.memtable({"a": values}, schema={"a": "decimal(18,4)"})
    got = ibis.duckdb.connect().execute(t.select(r=round_fen_expr(t.a)))["r"].tolist()
    assert [Decimal(str(g)) for g in got] == [round_fen(v) for v in values]


def test_money_errors_say_what_was_wrong_and_full_width_commas_are_read():
    """Messages are what a user reads (mutation testing found them unchecked)."""
    import pytest

    from yibao.money import MoneyError, yuan

    assert yuan("1，234.50") == yuan("1234.50")  # full-width comma, as Chinese exports write it
    with pytest.raises(MoneyError, match="浮点数.*0.1"):
        yuan(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="不是有效金额.*'12元'"):
        yuan("12元")
    with pytest.raises(MoneyError, match="不支持的金额类型: list"):
        yuan([1])  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="有限数.*Infinity"):
        yuan("Infinity")
