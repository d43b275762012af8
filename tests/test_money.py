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


def test_rates_round_half_up_in_every_display():
    """A rate ending in 5 used to print 52.84% in the CLI (half-even) and 52.85% in an annex."""
    from yibao.finance.params import pct
    from yibao.money import pct_text, percent, ratio

    assert pct(Decimal("0.528450")) == "52.85%" == pct_text(Decimal("0.52845"))
    assert percent(Decimal("0.001250"), 3) == Decimal("0.125")
    assert ratio(Decimal("1"), Decimal("8"), 2) == Decimal("0.13")
    assert ratio(5, 0) is None
    assert pct_text(Decimal("0.6")) == "60%"


def test_exact_fen_and_ppm_refuse_what_they_cannot_hold():
    from yibao.money import MoneyError, fen_exact, ppm_exact

    assert fen_exact(Decimal("12.34")) == 1234
    assert ppm_exact(Decimal("0.655")) == 655_000
    with pytest.raises(MoneyError):
        fen_exact(Decimal("0.005"))
    with pytest.raises(MoneyError):
        ppm_exact(Decimal("0.1234567"))


def test_money_has_one_door():
    """No rounding or ad-hoc ×100 outside ``yibao.money``: one rule, half-up, in one place."""
    import re
    from pathlib import Path

    import yibao

    root = Path(yibao.__file__).parent
    pattern = re.compile(r"quantize|ROUND_|\*\s*100\b(?![\d_.])")
    offenders = [
        f"{p.relative_to(root)}:{i}: {line.strip()}"
        for p in sorted(root.rglob("*.py"))
        if p.name != "money.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "\n".join(offenders)


def test_money_errors_say_what_was_wrong_and_full_width_commas_are_read():
    """Messages are what a user reads (mutation testing found them unchecked)."""
    import pytest

    from yibao.money import MoneyError, yuan

    assert yuan("1，234.50") == yuan("1234.50")  # full-width comma, as Chinese exports write it
    with pytest.raises(MoneyError, match="浮点数.*0.1"):
        yuan(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="不是有效金额.*12元"):
        yuan("12元")
    with pytest.raises(MoneyError, match="不支持的金额类型: list"):
        yuan([1])  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="不是有效金额.*Infinity"):
        yuan("Infinity")


@pytest.mark.parametrize(
    "fen",
    [0, 1, -1, 12_345, -99, 10**14 - 1, -(10**14) + 1, 10**14, -(10**14), 10**15 + 7, 9 * 10**17],
)
def test_money_expr_is_exact_on_both_sides_of_its_fast_path(fen):
    """Below 10^14 fen money_expr takes a 64-bit product, above it the 128-bit one (issue 17)."""
    from yibao.money import money_expr

    t = ibis.memtable({"f": [fen]}, schema={"f": "int64"})
    got = ibis.duckdb.connect().execute(t.select(m=money_expr(t.f))).m[0]
    assert got == Decimal(fen) / 100


#: fen × ppm products on both sides of 2^53, where a DOUBLE stops holding every integer: the
#: first is 1 亿元 less 5,000.01 元 at 100 %, which FLOOR(x / 1e6) in DOUBLE rounds up a fen.
_BIG_PRODUCTS = [
    10**16 - 500_001,
    2**53 - 1,
    2**53 + 1,
    2**53 + 499_999,
    10**10 * 950_000 + 499_999,
    10**10 * 950_000 + 500_000,
    3 * 10**17 + 123_456_789,
]


@pytest.mark.parametrize("x", [0, 1, 499_999, 500_000, 1_499_999, *_BIG_PRODUCTS])
def test_round_ppm_expr_is_exact_beyond_double_precision(x):
    """Ibis compiles // to FLOOR(x / d) in DOUBLE; the engine must round every BIGINT exactly."""
    from yibao.money import round_ppm_expr

    t = ibis.memtable({"x": [x]}, schema={"x": "int64"})
    got = ibis.duckdb.connect().execute(t.select(r=round_ppm_expr(t.x))).r[0]
    assert got == (x + 500_000) // 1_000_000


@pytest.mark.parametrize("x, d", [(2**61 - 1, 105), (-(2**61) + 3, 7), (10**18 + 1, 3)])
def test_floor_div_expr_is_exact_where_the_double_quotient_is_far_off(x, d):
    """Hypothesis found 2^61 − 1 // 105: the DOUBLE estimate was 3 away, not one."""
    from yibao.money import floor_div_expr

    t = ibis.memtable({"x": [x], "d": [d]}, schema={"x": "int64", "d": "int64"})
    assert ibis.duckdb.connect().execute(t.select(q=floor_div_expr(t.x, t.d))).q[0] == x // d


@given(
    st.integers(min_value=-(2**61), max_value=2**61),
    st.integers(min_value=1, max_value=2**40),
)
@settings(max_examples=200, deadline=None)
def test_floor_div_expr_matches_python_floor_division(x, d):
    from yibao.money import floor_div_expr

    t = ibis.memtable({"x": [x], "d": [d]}, schema={"x": "int64", "d": "int64"})
    got = ibis.duckdb.connect().execute(t.select(q=floor_div_expr(t.x, t.d))).q[0]
    assert got == x // d
