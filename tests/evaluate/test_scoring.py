"""Scoring rules: the stated formulas, and properties (monotone, bounded, summing to the total)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from yibao.evaluate import scoring
from yibao.evaluate.frameworks import DEFAULT_BANDS, Framework, Line, parse_target
from yibao.indicators.registry import AWARENESS_LEVELS, get_indicator

D = Decimal
amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)
weights = st.decimals(min_value=D("0.5"), max_value=40, places=1, allow_nan=False)
targets = st.decimals(min_value=D("0.01"), max_value=5_000, places=2, allow_nan=False)


def line(code: str, target: str, weight: Decimal = D(10), rule: str | None = None) -> Line:
    from yibao.evaluate.frameworks import default_rule

    ind = get_indicator(code)
    t = parse_target(target, ind, "test.yaml", "target")
    return Line(code, ind.name, ("一级",), weight, t, rule or default_rule(ind, t), ind)


def test_positive_full_at_target_else_proportional():
    ln = line("inpatient_policy_ratio", "≥ 70")
    assert scoring.score(ln, D("70"), DEFAULT_BANDS) == D("10.00")
    assert scoring.score(ln, D("80"), DEFAULT_BANDS) == D("10.00")
    assert scoring.score(ln, D("35"), DEFAULT_BANDS) == D("5.00")
    # 10 × 68.32 ÷ 70 = 9.76 (9.76000…), 10 × 69.995 ÷ 70 = 9.99928… → 10.00 half-up
    assert scoring.score(ln, D("68.32"), DEFAULT_BANDS) == D("9.76")
    assert scoring.score(ln, D("69.995"), DEFAULT_BANDS) == D("10.00")


def test_half_up_at_the_one_rounding_point():
    ln = line("inpatient_policy_ratio", "≥ 8", weight=D(1))
    # 1 × 0.02 ÷ 8 = 0.0025 exactly → 0.00 (2 places); 1 × 0.04 ÷ 8 = 0.005 → 0.01 half-up
    assert scoring.score(ln, D("0.02"), DEFAULT_BANDS) == D("0.00")
    assert scoring.score(ln, D("0.04"), DEFAULT_BANDS) == D("0.01")


def test_negative_full_at_target_zero_at_twice():
    ln = line("inpatient_rate", "≤ 20")
    assert scoring.score(ln, D("20"), DEFAULT_BANDS) == D("10.00")
    assert scoring.score(ln, D("30"), DEFAULT_BANDS) == D("5.00")
    assert scoring.score(ln, D("40"), DEFAULT_BANDS) == D("0.00")
    assert scoring.score(ln, D("55"), DEFAULT_BANDS) == D("0.00")
    zero = line("duplicate_enrolment_count", "≤ 0")
    assert scoring.score(zero, D("0"), DEFAULT_BANDS) == D("10.00")
    assert scoring.score(zero, D("1"), DEFAULT_BANDS) == D("0.00")


def test_range_target():
    ln = line("reserve_months", "6–9")
    assert scoring.score(ln, D("7"), DEFAULT_BANDS) == D("10.00")
    assert scoring.score(ln, D("3"), DEFAULT_BANDS) == D("5.00")
    assert scoring.score(ln, D("13.5"), DEFAULT_BANDS) == D("5.00")
    assert scoring.score(ln, D("4.42"), DEFAULT_BANDS) == D("7.37")


def test_qualitative_bands():
    ln = line("awareness_level", "普遍知晓")
    assert scoring.score(ln, "普遍知晓", DEFAULT_BANDS) == D("10.00")
    assert scoring.score(ln, "基本知晓", DEFAULT_BANDS) == D("8.00")
    assert scoring.score(ln, "部分知晓", DEFAULT_BANDS) == D("6.00")
    assert scoring.score(ln, "不知晓", DEFAULT_BANDS) == D("6.00")
    # an evaluator's share inside the band is kept, outside it is clipped to the band
    assert scoring.score(ln, "基本知晓", DEFAULT_BANDS, D(65)) == D("6.50")
    assert scoring.score(ln, "基本知晓", DEFAULT_BANDS, D(95)) == D("8.00")
    tight = ((D(90), D(100)), (D(50), D(70)), (D(0), D(30)))
    assert scoring.score(ln, "部分知晓", tight) == D("3.00")


def test_grades_and_override():
    fw = Framework("x", "x", "r", __import__("datetime").date(2020, 1, 1), None, [], "x.yaml")
    assert [fw.grade(D(t)) for t in ("90", "89.99", "80", "79.99", "60", "59.99")] == [
        "优",
        "良",
        "良",
        "中",
        "中",
        "差",
    ]
    fw.grades = (("合格", D(70)), ("不合格", D(0)))
    assert fw.grade(D("75")) == "合格" and fw.grade(D("69")) == "不合格"


@given(weights, targets, amounts, amounts)
def test_positive_is_monotone_and_bounded(w, t, a, b):
    ln = line("inpatient_policy_ratio", f"≥ {t}", w)
    lo, hi = sorted((a, b))
    s_lo, s_hi = scoring.score(ln, lo, DEFAULT_BANDS), scoring.score(ln, hi, DEFAULT_BANDS)
    assert D(0) <= s_lo <= s_hi <= w


@given(weights, targets, amounts, amounts)
def test_negative_is_monotone_and_bounded(w, t, a, b):
    ln = line("inpatient_rate", f"≤ {t}", w)
    lo, hi = sorted((a, b))
    s_lo, s_hi = scoring.score(ln, lo, DEFAULT_BANDS), scoring.score(ln, hi, DEFAULT_BANDS)
    assert w >= s_lo >= s_hi >= D(0)


@given(weights, st.sampled_from(AWARENESS_LEVELS), st.sampled_from(AWARENESS_LEVELS))
def test_qualitative_is_monotone_and_bounded(w, a, b):
    ln = line("awareness_level", "基本知晓", w)
    better, worse = sorted((a, b), key=AWARENESS_LEVELS.index)
    assert w >= scoring.score(ln, better, DEFAULT_BANDS) >= scoring.score(ln, worse, DEFAULT_BANDS)
    assert scoring.score(ln, worse, DEFAULT_BANDS) >= 0


@given(st.lists(st.tuples(weights, targets, amounts), min_size=1, max_size=12))
def test_total_is_the_sum_of_rounded_lines(rows):
    scores = [
        scoring.score(line("inpatient_policy_ratio", f"≥ {t}", w), a, DEFAULT_BANDS)
        for w, t, a in rows
    ]
    total = scoring.total(scores)
    assert total == sum(scores)
    assert total == total.quantize(D("0.01"))  # two places, nothing hidden below
    assert total <= sum(w for w, _, _ in rows)
