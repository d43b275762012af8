"""Issue 12: a generated year looks like a real fund.

The resident fund's income and expense are within a few percent of each other, 大病 claims are of
the size of the premium, and costs follow the preset's year.  Figures are read from the generated
ledger and claims files, not from the generator's own summary.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from yibao.synth.preset import COST_PER_ADMISSION_BY_YEAR, cost_index, load_preset
from yibao.synth.run import synthesize

#: Module fixtures built once, on one worker: the scale-0.05 county (`gen`).
pytestmark = pytest.mark.xdist_group("synth-calibration")


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calib") / "demo"
    synthesize("demo-county", out, scale=0.05, seed=1)
    return out


def _ledger(gen: Path) -> dict[tuple[str, str, str], Decimal]:
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT 基金, 收支方向, 收支科目, sum(CAST(金额 AS DECIMAL(18,2))) FROM read_csv("
        f"'{gen / 'fund_ledger.csv'}', header=true, all_varchar=true) GROUP BY ALL"
    ).fetchall()
    return {(f, d, c): v for f, d, c, v in rows}


def test_resident_fund_income_and_expense_are_within_a_few_percent(gen):
    led = _ledger(gen)
    income = sum(
        v for (f, d, c), v in led.items() if f == "居民医保" and d == "收入" and c != "上年结余"
    )
    expense = sum(v for (f, d, _c), v in led.items() if f == "居民医保" and d == "支出")
    assert income > 0 and abs(expense - income) / income <= Decimal("0.06"), (income, expense)


def test_critical_illness_claims_are_of_the_size_of_the_premium(gen):
    led = _ledger(gen)
    premium = led[("居民医保", "支出", "大病保险支出")]
    claims = led[("大病保险", "支出", "大病保险赔付支出")]
    # Before issue 12 the premium was five times the claims (profit rate ≈ 80 %).  The tertiary
    # tail makes one county-year's 大病 claims vary by tens of percent between seeds.
    assert Decimal("0.7") <= claims / premium <= Decimal("1.4"), (premium, claims)


def test_costs_follow_the_presets_year():
    assert cost_index(2021) == 1.0
    assert cost_index(2013) < cost_index(2019) < cost_index(2021)
    assert cost_index(2013) == pytest.approx(
        COST_PER_ADMISSION_BY_YEAR[2013] / COST_PER_ADMISSION_BY_YEAR[2021]
    )
    assert cost_index(2030) == cost_index(max(COST_PER_ADMISSION_BY_YEAR))
    assert load_preset("suining-2013").cost_index < load_preset("demo-county").cost_index


def test_a_2019_preset_generates_2019_cost_levels(tmp_path):
    synthesize("yiyang-2019", tmp_path / "s", scale=0.002, seed=5)
    synthesize("demo-county", tmp_path / "d", scale=0.03, seed=5)
    con = duckdb.connect()

    def mean_cost(out: Path) -> float:
        claims = next(out.glob("claims.*"))
        return con.execute(
            f"SELECT avg(CAST(medfee_sumamt AS DOUBLE)) FROM read_csv('{claims}', header=true, "
            "all_varchar=true) WHERE med_type = '11'"
        ).fetchone()[0]

    # Outpatient visits (many, light-tailed) carry the cost level without the inpatient tail.
    ratio = mean_cost(tmp_path / "s") / mean_cost(tmp_path / "d")
    assert ratio == pytest.approx(cost_index(2019), rel=0.05)
