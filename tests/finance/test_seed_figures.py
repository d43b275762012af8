"""The seeds' financing figures, reproduced from the presets (hand-worked, DOMAIN.md style)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from yibao.finance.accounts import budget_execution
from yibao.finance.insurer import settle_insurer
from yibao.finance.params import finance_params
from yibao.finance.subsidy import subsidy_due
from yibao.finance.xlsx import wan_note
from yibao.money import wan
from yibao.policy import load_policy

D = Decimal

#: Seed 000 resident insured per county: they reproduce every level total of the report.
YIYANG_INSURED = {
    "430902": 372_530,  # 资阳区 (甲)
    "430903": 745_061,  # 赫山区 (甲)
    "430922": 783_897,  # 桃江县 (乙)
    "430921": 612_400,  # 南县 (丙)
    "430981": 625_412,  # 沅江市 (丙)
    "430923": 958_642,  # 安化县 (丁)
}


def test_seed000_subsidy_due_by_level():
    """4,097,942 insured × 520 元 = 213,092.98 万元: central 150,698.91, province 40,023.66,
    city 6,973.77 (the two districts only; the city's lump sums for the four counties are not
    in the report), county 15,396.64."""
    fp = finance_params(load_policy("yiyang-2019"), 2019)
    rows, notes = subsidy_due(YIYANG_INSURED, fp)
    assert sum(YIYANG_INSURED.values()) == 4_097_942
    per = {(r.region_code, r.level): r.per_person for r in rows}
    assert [per[("430902", lv)] for lv in ("中央", "省级", "市级", "县级")] == [
        D(312),
        D(104),
        D("62.4"),
        D("41.6"),
    ]
    assert per[("430922", "中央")] == 312 and per[("430922", "省级")] == D("145.6")
    assert per[("430921", "中央")] == 416 and per[("430921", "省级")] == D("72.8")
    assert per[("430923", "中央")] == 416 and per[("430923", "省级")] == D("83.2")
    assert per[("430922", "县级")] == D("62.4") and per[("430923", "县级")] == D("20.8")
    assert per[("430921", "市级")] is None  # a lump sum, not per person
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[r.level] += r.due
    assert {lv: wan(v) for lv, v in totals.items()} == {
        "中央": D("150698.91"),
        "省级": D("40023.66"),
        "市级": D("6973.77"),
        "县级": D("15396.64"),
    }
    assert wan(sum(totals.values())) == D("213092.98")
    assert sum(totals.values()) == 4_097_942 * 520
    assert wan_note("应补助", list(totals.values()), sum(totals.values())) is None
    assert sum("市级按原基数定额补助" in n for n in notes) == 4


def test_wan_note_says_when_rounded_parts_do_not_add_up():
    # 14,950 元 = 1.495 万 → 1.50 twice = 3.00, but 29,900 元 = 2.99 万
    note = wan_note("到位", [D("14950.00"), D("14950.00")], D("29900.00"))
    assert note and "3.00" in note and "2.99" in note and "0.01" in note


@pytest.fixture(scope="module")
def yongqiao():
    return finance_params(load_policy("yongqiao-2021"), 2021)


# Seed 004: premium 80 元 × 100,000 insured = 8,000,000; insurer profit capped at 3% = 240,000.
PREMIUM = D(80) * 100_000


def test_seed004_surplus_above_the_cap_goes_back_to_the_fund(yongqiao):
    """Claims 7,000,000: profit 1,000,000 (12.5%); the insurer keeps 240,000 and returns 760,000."""
    assert yongqiao.ci_premium_per_person == 80 and yongqiao.ci_profit_cap == D("0.03")
    s = settle_insurer(PREMIUM, D("7000000.00"), yongqiao.ci_profit_cap)
    assert (s.profit, s.profit_rate, s.cap_amount) == (D("1000000.00"), D("0.1250"), D(240000))
    assert (s.returned_to_fund, s.insurer_result) == (D("760000.00"), D("240000.00"))


def test_seed004_profit_under_or_at_the_cap_is_kept(yongqiao):
    """Claims 7,900,000: profit 100,000 (1.25%) — nothing returned; 7,760,000: exactly 3%."""
    under = settle_insurer(PREMIUM, D("7900000.00"), yongqiao.ci_profit_cap)
    assert (under.returned_to_fund, under.insurer_result) == (0, D("100000.00"))
    at = settle_insurer(PREMIUM, D("7760000.00"), yongqiao.ci_profit_cap)
    assert (at.profit_rate, at.returned_to_fund) == (D("0.0300"), 0)


def test_seed004_loss_is_the_insurers_unless_shared(yongqiao):
    """Claims 8,500,000: loss 500,000. Seed 004 configures no sharing: the insurer bears it.
    With a 50% fund share the fund pays 250,000 and the insurer keeps a 250,000 loss."""
    alone = settle_insurer(PREMIUM, D("8500000.00"), yongqiao.ci_profit_cap)
    assert yongqiao.ci_loss_fund_share is None
    assert (alone.profit, alone.fund_loss_share, alone.insurer_result) == (
        D("-500000.00"),
        0,
        D("-500000.00"),
    )
    shared = settle_insurer(PREMIUM, D("8500000.00"), yongqiao.ci_profit_cap, D("0.5"))
    assert (shared.fund_loss_share, shared.insurer_result) == (D("250000.00"), D("-250000.00"))


def test_seed001_execution_rate_includes_carry_over():
    """587 万 new + 24.344 万 carried over = 611.344 万; 323.05 万 spent: 52.84% (the seed: 53%)."""
    budgets = [
        {
            "year": 2023,
            "region_code": "460100",
            "project": "医疗服务与保障能力提升补助",
            "item": "医疗服务与保障能力提升补助",
            "amount": D("5870000.00"),
            "carry_over": D("243440.00"),
        }
    ]
    ledger = [
        {
            "year": 2023,
            "region_code": "460105",
            "fund": "居民医保",
            "direction": "支出",
            "category": "医疗服务与保障能力提升补助",
            "line": "other_expense",
            "amount": D("3230500.00"),
        }
    ]
    (r,) = budget_execution(budgets, ledger, 2023)
    assert (r["budget_total"], r["actual"], r["execution_rate"]) == (
        D("6113440.00"),
        D("3230500.00"),
        D("0.5284"),
    )
    assert r["matched_by"] == "科目名称一致"
