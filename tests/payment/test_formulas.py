"""Hand-worked cases for the payment formulas (RW 1:2:7, point values, bands, outliers)."""

from __future__ import annotations

from decimal import Decimal as D

import duckdb
import ibis
import pyarrow as pa

from yibao.payment.budget import band_settlement, reserve_payback, split_fen
from yibao.payment.catalogue import GroupYear, cutoff, scores
from yibao.payment.dip import CAT_TABLE, point_values, scored_cases, settle_hospitals
from yibao.payment.inputs import SEVERITY_TABLE
from yibao.payment.params import BudgetParams, DipParams


def test_rw_weighted_1_2_7() -> None:
    # Group A: means 1000, 1200, 1500 元 over 2017..2019; group B: 3000 each year.
    rows = [
        GroupYear("A", 2017, 2, 2000_00),
        GroupYear("A", 2018, 1, 1200_00),
        GroupYear("A", 2019, 2, 3000_00),
        GroupYear("B", 2017, 1, 3000_00),
        GroupYear("B", 2018, 1, 3000_00),
        GroupYear("B", 2019, 2, 6000_00),
    ]
    weights = {2017: 1, 2018: 2, 2019: 7}
    out, mean_all = scores(rows, weights, 1000)
    # A: (1×1000 + 2×1200 + 7×1500) ÷ 10 = 1390 元
    # all cases per year: 2017 5000/3, 2018 4200/2 = 2100, 2019 9000/4 = 2250
    # weighted all: (5000/3 + 4200 + 15750) ÷ 10 = 2161.6666…
    assert out["A"][0] == D("1390.00")
    assert out["B"][0] == D("3000.00")
    assert mean_all == D("2161.67")
    assert out["A"][1] == D("0.6430")  # 1390 ÷ 2161.666… = 0.643022…
    assert out["A"][2] == D("643.02")
    assert out["B"][2] == D("1387.82")  # 3000 ÷ 2161.666… × 1000 = 1387.8181…


def test_rw_year_missing_reweights() -> None:
    out, _ = scores(
        [GroupYear("A", 2019, 1, 100_00), GroupYear("B", 2018, 1, 300_00)], {2018: 2, 2019: 7}, 100
    )
    # all: (2×300 + 7×100) ÷ 9 = 144.44…; A = 100 → RW 0.6923
    assert out["A"][1] == D("0.6923")


def test_cutoff_covers_share() -> None:
    counts = [50, 30, 10, 5, 3, 1, 1]  # 100 cases
    assert cutoff(counts, D("0.85")) == 10  # ≥10 covers 90 %, ≥30 only 80 %
    assert cutoff(counts, D("0.80")) == 30
    assert cutoff([1, 1, 1], D("0.85")) == 1


def test_budget_point_value_weighted() -> None:
    # history: 2017 cost 100万 over 1000 points ... (fen, score in hundredths)
    hist = {
        2017: (100_000_000, 100_000),
        2018: (120_000_000, 110_000),
        2019: (150_000_000, 125_000),
    }
    pv = point_values(hist, [1, 2, 7])
    # (1×1,000,000 + 2×1,200,000 + 7×1,500,000) ÷ (1×1000 + 2×1100 + 7×1250) = 13,900,000 ÷ 11,950
    assert pv == D(13_900_000) / D(11_950)


def test_settlement_point_value_and_conservation() -> None:
    rows = [
        {
            "fixmedins_code": "H1",
            "points_e2": 100_000,
            "medfee_fen": 50_000_00,
            "hifp_fen": 30_000_00,
            "months": [(100_000, 20_000_00)],
        },
        {
            "fixmedins_code": "H2",
            "points_e2": 200_000,
            "medfee_fen": 90_000_00,
            "hifp_fen": 60_000_00,
            "months": [(200_000, 30_000_00)],
        },
    ]
    # DIP budget 90,000 元 over 3,000 points: settlement PV 30 元/分
    out, pv, residual = settle_hospitals(rows, D("90000.00"), D("25"), D("0.90"))
    assert pv == D(30)
    assert [r["credit"] for r in out] == [D("30000.00"), D("60000.00")]
    assert [r["settlement"] for r in out] == [D("10000.00"), D("30000.00")]
    # advances: (1000 × 25 − 20000) × 0.9 = 4500; (2000 × 25 − 30000) × 0.9 = 18000
    assert [r["advances"] for r in out] == [D("4500.00"), D("18000.00")]
    total = sum(r["settlement"] + r["personal_share"] for r in out) + residual
    assert total == D("90000.00") and residual == 0


def test_settlement_rounding_residual_reported() -> None:
    rows = [
        {"fixmedins_code": h, "points_e2": 100, "medfee_fen": 0, "hifp_fen": 0, "months": []}
        for h in ("A", "B", "C")
    ]
    out, _, residual = settle_hospitals(rows, D("100.00"), None, D("0.9"))
    assert [r["credit"] for r in out] == [D("33.33")] * 3
    assert residual == D("0.01")


def _month(month: int, pts_e2: int, medfee_fen: int, hifp_fen: int, cases: int = 1) -> dict:
    return {
        "month": month,
        "cases": cases,
        "points_e2": pts_e2,
        "medfee_fen": medfee_fen,
        "hifp_fen": hifp_fen,
    }


def _hospital(code: str, months: list[dict]) -> dict:
    return {
        "fixmedins_code": code,
        "points_e2": sum(m["points_e2"] for m in months),
        "medfee_fen": sum(m["medfee_fen"] for m in months),
        "hifp_fen": sum(m["hifp_fen"] for m in months),
        "months": [(m["points_e2"], m["medfee_fen"] - m["hifp_fen"]) for m in months],
        "month_detail": months,
    }


def test_monthly_pre_settlement_by_hand() -> None:
    # H1: February 600 points (personal 12,000), January 400 points (personal 8,000), given out
    # of order; H2: 2,000 points in January (personal 30,000).  DIP budget 90,000 元 over 3,000
    # points: settlement PV 30; budget PV 25, advance share 90 %.
    feb, jan = (
        _month(2, 60_000, 30_000_00, 18_000_00, 3),
        _month(1, 40_000, 20_000_00, 12_000_00, 2),
    )
    h1 = _hospital("H1", [feb, jan])
    h2 = _hospital("H2", [_month(1, 200_000, 90_000_00, 60_000_00, 4)])
    out, pv, _ = settle_hospitals([h1, h2], D("90000.00"), D("25"), D("0.90"))
    jan, feb = out[0]["month_rows"]
    assert (jan["month"], feb["month"]) == (1, 2) and (jan["cases"], feb["cases"]) == (2, 3)
    # advances: (400 × 25 − 8,000) × 0.9 = 1,800; (600 × 25 − 12,000) × 0.9 = 2,700
    assert (jan["advance"], feb["advance"]) == (D("1800.00"), D("2700.00"))
    assert (jan["cum_advances"], feb["cum_advances"]) == (D("1800.00"), D("4500.00"))
    # year end at 30 元/分: 400 × 30 = 12,000 and 600 × 30 = 18,000; less the personal shares
    assert (jan["credit"], feb["credit"]) == (D("12000.00"), D("18000.00"))
    assert (jan["settlement"], feb["settlement"]) == (D("4000.00"), D("6000.00"))
    assert (jan["balance"], feb["balance"]) == (D("2200.00"), D("3300.00"))
    for h in out:  # the months add up to the year, to the fen
        ms = h["month_rows"]
        assert sum(m["advance"] for m in ms) == h["advances"]
        assert sum(m["settlement"] for m in ms) == h["settlement"]
        assert sum(m["balance"] for m in ms) == h["balance"]
        assert sum(m["points"] for m in ms) == h["points"]
    assert out[0]["balance"] == D("5500.00")  # 10,000 − 4,500


def test_monthly_credits_round_cumulatively() -> None:
    # A: 1 point in each of three months, B: 3 points; budget 100 元 → A's year is 50.00.
    # Rounding each month (16.67 × 3 = 50.01) would not add up; cumulative rounding gives
    # 16.67, 33.33 − 16.67 = 16.66, 50.00 − 33.33 = 16.67.
    a = _hospital("A", [_month(m, 100, 0, 0) for m in (1, 2, 3)])
    b = _hospital("B", [_month(1, 300, 0, 0)])
    out, _, residual = settle_hospitals([a, b], D("100.00"), None, D("0.9"))
    credits = [m["credit"] for m in out[0]["month_rows"]]
    assert credits == [D("16.67"), D("16.66"), D("16.67")] and sum(credits) == out[0]["credit"]
    assert all(m["advance"] == 0 for m in out[0]["month_rows"])  # no budget point value
    assert residual == 0


def test_bands() -> None:
    p = BudgetParams(year=2019)
    a = D("1000000.00")
    assert band_settlement(a, D("800000"), p) == (D("975000.00"), "结余留用(低于下限)")
    assert band_settlement(a, D("900000"), p) == (a, "结余留用")
    assert band_settlement(a, D("1060000"), p) == (D("1030000.00"), "超支分担")
    # above 110 %: 1,000,000 + 100,000 × 0.5 + 0 = 1,050,000
    assert band_settlement(a, D("1300000"), p) == (D("1050000.00"), "超支自负")
    assert reserve_payback(D("500.00"), D("95"), p) == D("500.00")
    assert reserve_payback(D("500.00"), D("80"), p) == D("400.00")
    assert reserve_payback(D("500.00"), None, p) == D("0.00")


def test_split_fen_sums() -> None:
    assert split_fen(100, [1] * 12) == [9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8]
    assert sum(split_fen(123_457, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8])) == 123_457


def _case_backend() -> ibis.BaseBackend:
    con = duckdb.connect()
    b = ibis.duckdb.from_connection(con)
    cat = pa.table(
        {
            "group_code": ["G"],
            "group_kind": ["核心病种"],
            "k_dx": ["K80.1"],
            "k_proc": [""],
            "k_chapter": ["K"],
            "k_treatment": ["C"],
            "score_d": pa.array([D("1000.00")], pa.decimal128(18, 2)),
            "std_d": pa.array([D("1000.00")], pa.decimal128(18, 2)),
        }
    )
    con.register("_c", cat)
    con.execute(f"CREATE TEMP TABLE {CAT_TABLE} AS SELECT * FROM _c")
    con.execute(f"CREATE TEMP TABLE {SEVERITY_TABLE} (code VARCHAR, severity VARCHAR)")
    con.execute("CREATE TEMP TABLE persons (psn_no VARCHAR, brdy DATE)")
    con.execute("INSERT INTO persons VALUES ('P', DATE '1980-06-01')")
    return b


def test_outlier_rules() -> None:
    b = _case_backend()
    costs = [400_00, 1000_00, 2500_00, 6000_00, 7000_00]
    cases = ibis.memtable(
        {
            "setl_id": [f"S{i}" for i in range(5)],
            "psn_no": ["P"] * 5,
            "fixmedins_code": ["H"] * 5,
            "setl_time": [pa.scalar(0, pa.timestamp("s")).as_py().replace(year=2019)] * 5,
            "dise_codg": ["K80.100"] * 5,
            "year": [2019] * 5,
            "month": [1] * 5,
            "hi_setl_lv": ["2"] * 5,
            "dx_key": ["K80.1"] * 5,
            "proc_key": [""] * 5,
            "chapter": ["K"] * 5,
            "treatment": ["C"] * 5,
            "medfee_fen": costs,
            "hifp_fen": [0] * 5,
        }
    )
    p = DipParams(year=2019, age_coefficient={"0": D("1.00")})
    out = b.to_pyarrow(scored_cases(b, cases, p).order_by("setl_id")).to_pylist()
    kinds = [r["outlier"] for r in out]
    # 400 < 50 % of 1000: 400 ÷ 1000 × 1000 = 400 points; 2500 > 2×: (2.5 − 2 + 1) × 1000 = 1500
    # 6000 and 7000 > 5×: the dearest is 特病单议 (quota 1), the other is a high case: 5000 pts
    assert kinds == ["低倍率", "正常", "高倍率", "高倍率", "特病单议"]
    assert [r["case_e2"] for r in out] == [40_000, 100_000, 150_000, 500_000, 600_000]
    assert all(r["points_e2"] == r["case_e2"] for r in out)  # level 2, age 1.0, no severity
