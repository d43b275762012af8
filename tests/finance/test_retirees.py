"""Seed 002 (丰都 2021): retired cadres, pooling 8,000, quota 5,000 / 3,000 with cash top-up."""

from __future__ import annotations

from decimal import Decimal

from finance.fin_data import retiree_claim as _claim
from finance.fin_data import retiree_workspace as _workspace
from finance.fin_data import write
from yibao.finance.run import run_finance

D = Decimal


def test_seed002_budget_134_paid_155(tmp_path):
    """25 retirees: inpatient 88.65 万 (25 stays), outpatient 66.35 万 (1,352 visits), paid 155 万
    against a budget of 134 万 (115.67%); pooling 25 × 8,000 = 20 万, so 135 万 is added at
    year end.  Every retiree spent more than the quota: no cash top-up."""
    claims = [_claim(i, f"L{i:02d}", "21", "35460.00") for i in range(25)]  # 25 × 35,460 = 886,500
    # 1,351 visits × 490 + one of 1,510 = 663,500
    claims += [
        _claim(100 + i, f"L{i % 25:02d}", "11", "490.00" if i < 1351 else "1510.00")
        for i in range(1352)
    ]
    ws = _workspace(tmp_path, 25, claims, "1340000.00")
    roster = tmp_path / "roster.csv"
    periods = [[f"L{i:02d}", "解放战争时期"] for i in range(25)]
    write(roster, ["人员编号", "参加革命工作时期"], periods)
    try:
        rep = run_finance(ws, 2021, roster=roster)
    finally:
        ws.close()
    t = rep.retiree
    assert (t.retirees, t.pooling_total) == (25, D("200000.00"))
    assert (t.inpatient, t.outpatient, t.topup, t.paid) == (
        D("886500.00"),
        D("663500.00"),
        D("0.00"),
        D("1550000.00"),
    )
    assert (t.budget, t.budget_rate, t.over_pooling) == (
        D("1340000.00"),
        D("1.1567"),
        D("1350000.00"),
    )
    assert rep.retiree_people.num_rows == 25


def test_unused_quota_is_paid_in_cash(tmp_path):
    """A (抗日, quota 5,000) spent 1,200 → 3,800 cash; B (解放, 3,000) spent 3,500 → 0;
    C (解放) spent nothing → 3,000.  Paid 4,700 + 6,800 top-up = 11,500 of a 24,000 pooling."""
    claims = [
        _claim(1, "L00", "11", "1200.00"),
        _claim(2, "L01", "21", "3000.00"),
        _claim(3, "L01", "11", "500.00"),
    ]
    ws = _workspace(tmp_path, 3, claims, None)
    roster = tmp_path / "roster.csv"
    periods = [["L00", "抗日"], ["L01", "解放"], ["L02", "解放"]]
    write(roster, ["人员编号", "参加革命工作时期"], periods)
    try:
        rep = run_finance(ws, 2021, roster=roster)
        stored = ws.con.execute(
            "SELECT psn_no, period, quota, topup FROM finance_retirees ORDER BY psn_no"
        ).fetchall()
    finally:
        ws.close()
    assert stored == [
        ("L00", "抗日", D("5000.00"), D("3800.00")),
        ("L01", "解放", D("3000.00"), D("0.00")),
        ("L02", "解放", D("3000.00"), D("3000.00")),
    ]
    t = rep.retiree
    assert (t.topup, t.paid, t.pooling_total, t.over_pooling) == (
        D("6800.00"),
        D("11500.00"),
        D("24000.00"),
        D("-12500.00"),
    )


def test_without_a_roster_the_top_up_is_not_guessed(tmp_path):
    ws = _workspace(tmp_path, 1, [_claim(1, "L00", "11", "100.00")], None)
    try:
        rep = run_finance(ws, 2021)
    finally:
        ws.close()
    assert rep.retiree.topup == 0 and "未提供离休人员参加革命工作时期名单" in rep.retiree.note
