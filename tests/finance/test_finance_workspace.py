"""Finance on a small hand-made workspace (tests/finance/conftest.py): every figure by hand."""

from __future__ import annotations

from decimal import Decimal

from yibao.finance.run import run_finance

D = Decimal


def _by(rows, *keys):
    return {tuple(getattr(r, k) for k in keys): r for r in rows}


def test_due_received_and_the_short_paid_level(yiyang_ws):
    rep = run_finance(yiyang_ws, 2019)
    assert rep.insured == {"430902": 6, "430922": 4}
    a = _by(rep.arrivals, "region_code", "level")
    # 资阳区 (甲): 6 × 312 / 104 / 62.4 / 41.6, all arrived
    assert [a[("430902", lv)].due for lv in ("中央", "省级", "市级", "县级")] == [
        D("1872.00"),
        D("624.00"),
        D("374.40"),
        D("249.60"),
    ]
    assert all(a[("430902", lv)].status == "足额" for lv in ("中央", "省级", "市级", "县级"))
    # 桃江县 (乙): 4 × 312 = 1248; province 4 × 145.6 = 582.40; city lump sum (0)
    assert a[("430922", "省级")].due == D("582.40")
    assert a[("430922", "省级")].received == D("500.00")
    assert a[("430922", "省级")].shortfall == D("82.40")
    assert a[("430922", "省级")].status == "短缺"
    assert a[("430922", "省级")].rate == D("0.8585")  # 500 / 582.40 = 0.85852…
    assert [(x.region_code, x.level) for x in rep.short_levels()] == [("430922", "省级")]
    # the 2018 settlement (−48) is reported apart, not counted as this year's arrival
    assert a[("430922", "中央")].received == D("1248.00")
    assert a[("430922", "中央")].settlement == D("-48.00")
    assert a[("430922", "中央")].received_net == D("1200.00")
    assert a[("430922", "中央")].status == "足额"
    assert a[("430922", "市级")].status == "无应拨"
    # 县级 arrived in January 2020 for the 2019 year: counted, shown in its quarter
    assert a[("430922", "县级")].status == "足额"
    central = [r for r in rep.quarterly if r["level"] == "中央"]
    assert [(r["quarter"], r["cumulative"], r["cumulative_rate"]) for r in central] == [
        ("2019年第1季度", D("2248.00"), D("0.7205")),  # 2248 / 3120
        ("2019年第3季度", D("3120.00"), D("1.0000")),
    ]
    county = [r for r in rep.quarterly if r["level"] == "县级"]
    assert county[-1]["quarter"] == "2020年第1季度"
    assert any("市级按原基数定额补助" in n for n in rep.notes)


def test_contributions_by_category(yiyang_ws):
    rep = run_finance(yiyang_ws, 2019)
    c = _by(rep.contributions, "region_code", "category")
    tk = c[("430902", "特困人员")]
    assert (tk.due, tk.due_subsidy, tk.due_person) == (D("220.00"), D("220.00"), D("0.00"))
    db = c[("430902", "低保对象")]  # 110 by the preset's (assumed) amount
    assert (db.due_subsidy, db.due_person, db.gap_subsidy) == (D("110.00"), D("110.00"), D(0))
    fp = c[("430922", "返贫致贫人口")]
    assert fp.subsidy_per_person == D("110")
    pt = c[("430922", "普通人员")]
    assert (pt.insured, pt.due, pt.recorded, pt.gap, pt.missing) == (
        3,
        D("660.00"),
        D("440.00"),
        D("-220.00"),
        1,
    )


def test_fund_account_balance_reserve_and_budget(yiyang_ws):
    rep = run_finance(yiyang_ws, 2019)
    b = rep.book
    lines = {ln["line"]: ln for ln in b.lines}
    assert b.income_ledger == D("7112.34")  # 1980 + 5120 + 12.34
    assert b.expense_ledger == D("3888.30")  # 3000 + 400 + 480 + 8.30
    # ledger beside business data: the difference is shown, not hidden
    assert lines["contributions"]["source"] == D("1980.00") and lines["contributions"]["diff"] == 0
    assert lines["subsidies"]["source"] == D("5069.60")  # 5117.60 received − 48 settlement
    assert lines["subsidies"]["diff"] == D("50.40")
    assert lines["inpatient"]["source"] == D("3000.00") and lines["inpatient"]["diff"] == 0
    assert lines["outpatient"]["source"] == D("400.00")
    assert lines["ci_premium"]["source"] == D("480.00")  # 48 × 10 insured
    assert lines["interest"]["source"] is None and lines["interest"]["diff"] is None
    # 2018: 1000 opening + 2000 − 1500 = 1500; 2019: 1500 + 7112.34 − 3888.30 = 4724.04
    assert [(x.year, x.opening, x.closing, x.gap) for x in b.balances] == [
        (2018, D("1000.00"), D("1500.00"), D(0)),
        (2019, D("1500.00"), D("4724.04"), D(0)),
    ]
    assert b.balances[-1].transfers_net == 0  # 转出 600 and 转入 600 are neither income nor expense
    assert b.months_of_reserve == D("14.58")  # 4724.04 ÷ (3888.30 ÷ 12) = 14.579…
    (bud,) = rep.budget
    assert (bud["budget_total"], bud["actual"], bud["execution_rate"]) == (
        D("4000.00"),
        D("3000.00"),
        D("0.7500"),
    )
    # insurer: premium 480, claims 300, profit 180 (37.5%) > 3% cap 14.40 → 165.60 returned
    i = rep.insurer
    assert (i.premium, i.claims, i.cap_amount, i.returned_to_fund, i.insurer_result) == (
        D("480.00"),
        D("300.00"),
        D("14.40"),
        D("165.60"),
        D("14.40"),
    )


def test_results_are_stored_and_replaced(yiyang_ws):
    run_finance(yiyang_ws, 2019)
    run_finance(yiyang_ws, 2019)
    con = yiyang_ws.con
    assert con.execute("SELECT count(*) FROM finance_subsidy WHERE year = 2019").fetchone()[0] == 8
    short = con.execute(
        "SELECT region_code, budget_level, shortfall FROM finance_subsidy WHERE status = '短缺'"
    ).fetchall()
    assert short == [("430922", "省级", D("82.40"))]
    assert con.execute("SELECT count(*) FROM finance_balance").fetchone()[0] == 2
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'finance_accounts'"
        ).fetchall()
    )
    assert types["ledger"] == "DECIMAL(18,2)"
