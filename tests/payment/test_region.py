"""Budget control and DIP on a generated three-year region: planted hospitals are found,
money is conserved, the data tests hold, the workbook has Chinese headers and values only."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest

from yibao.engine import Workspace
from yibao.indicators.compute import compute
from yibao.payment.step import CatalogueStep, PaymentStep
from yibao.pipeline.checks import run_checks
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step
from yibao.refdata import procedures

from .conftest import YEARS

#: Module fixtures built once, on one worker: the region and its payment run (`ran`).
pytestmark = pytest.mark.xdist_group("payment-region")


def _truth(gen: Path, kind: str) -> set[str]:
    with (gen / "truth" / "anomalies.csv").open(encoding="utf-8") as f:
        return {r["key"] for r in csv.DictReader(f) if r["kind"] == kind}


@pytest.fixture(scope="module")
def ran(region: tuple[Path, Workspace]) -> dict:
    gen, ws = region
    out = {}
    out["catalogue"] = run_step(build_context(ws, YEARS[-1]), CatalogueStep(list(YEARS))).detail
    out["dip"] = run_step(build_context(ws, YEARS[-1]), PaymentStep("dip"))
    out["budget"] = run_step(build_context(ws, YEARS[-1]), PaymentStep("budget"))
    return out


def test_catalogue_cutoff_covers_85_percent(ran: dict) -> None:
    info = ran["catalogue"]
    assert info["core_coverage"] >= Decimal("0.85")
    assert info["cutoff"] >= 2 and info["core_groups"] > 20 and info["integrated_groups"] > 0


def test_upcoding_hospital_is_found(region: tuple[Path, Workspace], ran: dict) -> None:
    gen, ws = region
    planted = _truth(gen, "upcoding_hospital")
    assert len(planted) == 1
    flagged = {
        r[0]
        for r in ws.con.execute(
            "SELECT fixmedins_code FROM payment_dip_hospitals WHERE upcoding_suspect"
        ).fetchall()
    }
    assert planted <= flagged and len(flagged) <= 2


def test_over_budget_hospital_is_found(region: tuple[Path, Workspace], ran: dict) -> None:
    gen, ws = region
    planted = _truth(gen, "over_budget_hospital")
    top = ws.con.execute(
        "SELECT fixmedins_code, band FROM payment_budget_hospitals WHERE year = 2021 "
        "ORDER BY use_rate DESC LIMIT 1"
    ).fetchone()
    assert {top[0]} == planted and top[1] == "超支自负"


def test_money_is_conserved(region: tuple[Path, Workspace], ran: dict) -> None:
    _, ws = region
    budget, settle, personal, diff = ws.con.execute(
        "SELECT dip_budget, settlement, personal_share, difference FROM payment_dip_summary "
        "WHERE year = 2021"
    ).fetchone()
    assert settle + personal + diff == budget and abs(diff) < Decimal("1.00")
    hs = ws.con.execute(
        "SELECT sum(settlement) + sum(personal_share) FROM payment_dip_hospitals WHERE year = 2021"
    ).fetchone()[0]
    assert hs + diff == budget
    total, paid_back, retained, band, st = ws.con.execute(
        "SELECT budget_total, reserve_paid, reserve_retained, band_difference, settlement "
        "FROM payment_budget_summary WHERE year = 2021"
    ).fetchone()
    assert st + paid_back + retained + band == total
    per_h = ws.con.execute(
        "SELECT sum(settlement + reserve_paid) + sum(reserve - reserve_paid) "
        "+ sum(budget_advance - settlement) FROM payment_budget_hospitals WHERE year = 2021"
    ).fetchone()[0]
    assert per_h == total


def test_data_tests_pass(region: tuple[Path, Workspace], ran: dict) -> None:
    _, ws = region
    results = [r for r in run_checks(ws) if r.table.startswith("payment_")]
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]


CODES = ["dip_case_coverage", "dip_fund_share", "budget_use_progress"]


def test_indicators(region: tuple[Path, Workspace], ran: dict) -> None:
    _, ws = region
    values, notes = compute(ws, 2021, CODES)
    assert not notes
    got = {(v.code, v.region_code): v for v in values}
    cov, share = got["dip_case_coverage", None], got["dip_fund_share", None]
    # the total rows are the figures the settlement stored (ratios there, percentages here)
    n, d, f, fd = ws.con.execute(
        "SELECT dip_cases, inpatient_cases, dip_fund, inpatient_fund FROM payment_dip_summary "
        "WHERE year = 2021"
    ).fetchone()
    assert (cov.numerator, cov.denominator, share.numerator, share.denominator) == (n, d, f, fd)
    assert Decimal(80) < cov.value < 100 and Decimal(80) < share.value < 100  # off-site outside
    counties = {r for c, r in got if c == "dip_case_coverage" and r is not None}
    ours = {r[0] for r in ws.con.execute("SELECT region_code FROM regions").fetchall()}
    assert counties and counties <= ours  # off-site hospitals' counties are not rows
    assert {r for c, r in got if c == "budget_use_progress" and r} <= counties
    # the counties add up to the local part of the total (off-site hospitals have no county)
    local = sum(got["dip_case_coverage", r].denominator for r in counties)
    assert 0 < local < cov.denominator
    prog = got["budget_use_progress", None]
    actual, advance = ws.con.execute(
        "SELECT sum(actual), sum(budget_advance) FROM payment_budget_hospitals WHERE year = 2021"
    ).fetchone()
    assert (prog.numerator, prog.denominator) == (actual, advance) and prog.unit == "%"


LOC = (
    "loc AS (SELECT i.fixmedins_code, i.region_code AS r FROM institutions i JOIN regions g "
    "ON i.region_code = g.region_code WHERE g.level IS NULL OR g.level = '县级')"
)
NUM_DEN = {
    # (numerator rows, denominator rows): each a source with r, summed per county and in total
    "dip_case_coverage": (
        "SELECT r, 1 AS v FROM payment_dip_cases LEFT JOIN loc USING (fixmedins_code) "
        "WHERE year = 2021 AND group_code IS NOT NULL",
        "SELECT r, 1 AS v FROM claims LEFT JOIN loc USING (fixmedins_code) "
        "WHERE year(setl_time) = 2021 AND med_type IN ('21', '22', '23', '24', '52')",
    ),
    "dip_fund_share": (
        "SELECT r, hifp AS v FROM payment_dip_cases LEFT JOIN loc USING (fixmedins_code) "
        "WHERE year = 2021 AND group_code IS NOT NULL",
        "SELECT r, coalesce(hifp_pay, 0) AS v FROM claims LEFT JOIN loc USING (fixmedins_code) "
        "WHERE year(setl_time) = 2021 AND med_type IN ('21', '22', '23', '24', '52')",
    ),
}


def test_indicators_equal_plain_sql(region: tuple[Path, Workspace], ran: dict) -> None:
    """Written from the formulas in words (docs/indicators.md), not from the Ibis queries."""
    _, ws = region
    values, _ = compute(ws, 2021, CODES)
    got = {(v.code, v.region_code): (v.numerator, v.denominator, v.value) for v in values}
    for code, (num, den) in NUM_DEN.items():
        for r, n, d in ws.con.execute(
            f"WITH {LOC}, a AS ({num}), b AS ({den}) "
            "SELECT r, (SELECT coalesce(sum(v), 0) FROM a WHERE a.r IS NOT DISTINCT FROM k.r), "
            "(SELECT sum(v) FROM b WHERE b.r IS NOT DISTINCT FROM k.r) FROM "
            "(SELECT DISTINCT r FROM b WHERE r IS NOT NULL) k "
            "UNION ALL SELECT NULL, (SELECT sum(v) FROM a), (SELECT sum(v) FROM b)"
        ).fetchall():
            value = (Decimal(n) / Decimal(d) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert got[code, r] == (n, d, value), (code, r)
    for r, n, d in ws.con.execute(
        f"WITH {LOC} SELECT r, sum(actual), sum(budget_advance) FROM payment_budget_hospitals "
        "LEFT JOIN loc USING (fixmedins_code) WHERE year = 2021 AND r IS NOT NULL GROUP BY r "
        "UNION ALL SELECT NULL, sum(actual), sum(budget_advance) FROM payment_budget_hospitals "
        "WHERE year = 2021"
    ).fetchall():
        value = (n / d * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert got["budget_use_progress", r] == (n, d, value), r
    assert len(got) == sum(1 for _ in values) and len(got) >= 2 * len(CODES)


def test_indicators_say_when_payment_has_not_run_for_the_year(
    region: tuple[Path, Workspace], ran: dict
) -> None:
    _, ws = region
    values, notes = compute(ws, 2020, CODES)
    assert values == []
    assert {n.scope_key for n in notes} == set(CODES)
    text = " ".join(n.text for n in notes)
    assert "没有 2020 年度的数据" in text and "--year 2020 --method dip" in text
    assert "--method budget" in text


def test_month_table_adds_up_to_the_year(region: tuple[Path, Workspace], ran: dict) -> None:
    _, ws = region
    diff = ws.con.execute(
        "SELECT count(*) FROM payment_dip_hospitals h JOIN (SELECT fixmedins_code, "
        "sum(advance) a, sum(settlement) s, sum(balance) b, count(*) n FROM payment_dip_months "
        "WHERE year = 2021 GROUP BY 1) m USING (fixmedins_code) WHERE h.year = 2021 AND "
        "(m.a <> h.advances OR m.s <> h.settlement OR m.b <> h.balance)"
    ).fetchone()[0]
    months, with_advance = ws.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE advance > 0) FROM payment_dip_months "
        "WHERE year = 2021"
    ).fetchone()
    assert diff == 0 and months > 12 and with_advance > 0


def test_workbook_chinese_headers_values_only(ran: dict) -> None:
    assert openpyxl.load_workbook(ran["dip"].outputs[0]).sheetnames[1] == "月度预结算"
    for step in ("dip", "budget"):
        path = Path(ran[step].outputs[0])
        wb = openpyxl.load_workbook(path)
        sheet = wb.worksheets[0]
        header = [c.value for c in sheet[1]]
        assert "定点医疗机构编号" in header and all(isinstance(h, str) for h in header)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert not (isinstance(cell.value, str) and cell.value.startswith("="))
        assert sheet.max_row > 5


def test_procedures_are_real_and_fit_sex(region: tuple[Path, Workspace]) -> None:
    gen, ws = region
    codes = {
        r[0]
        for r in ws.con.execute(
            "SELECT DISTINCT oprn_oprt_code FROM claims WHERE oprn_oprt_code IS NOT NULL"
        ).fetchall()
    }
    assert codes and codes <= set(procedures())
    # Obstetric and gynaecological operations (ICD-9-CM-3 65–75) only for women; prostate (60)
    # only for men (sex from the 17th digit of the resident ID).
    wrong = ws.con.execute(
        "SELECT count(*) FROM claims WHERE oprn_oprt_code IS NOT NULL AND ("
        "(substr(oprn_oprt_code, 1, 2) BETWEEN '65' AND '75' "
        "AND CAST(substr(certno, 17, 1) AS INT) % 2 = 1) OR "
        "(substr(oprn_oprt_code, 1, 2) = '60' AND CAST(substr(certno, 17, 1) AS INT) % 2 = 0))"
    ).fetchone()[0]
    assert wrong == 0
    operated = ws.con.execute(
        "SELECT avg(CASE WHEN oprn_oprt_code IS NOT NULL THEN 1 ELSE 0 END) FROM claims "
        "WHERE med_type = '21' AND substr(dise_codg, 1, 3) IN ('K80', 'K35', 'H25')"
    ).fetchone()[0]
    medical = ws.con.execute(
        "SELECT avg(CASE WHEN oprn_oprt_code IS NOT NULL THEN 1 ELSE 0 END) FROM claims "
        "WHERE med_type = '21' AND substr(dise_codg, 1, 3) IN ('J18', 'I63', 'E11') "
        "AND fixmedins_code NOT IN (SELECT key FROM read_csv_auto(?) WHERE kind = "
        "'upcoding_hospital')",
        [str(gen / "truth" / "anomalies.csv")],
    ).fetchone()[0]
    assert operated > 0.8 and medical < 0.15


def test_three_years_with_growth(region: tuple[Path, Workspace]) -> None:
    _, ws = region
    rows = ws.con.execute(
        "SELECT year(setl_time), count(*), sum(medfee_sumamt) FROM claims "
        "WHERE med_type = '21' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in rows] == list(YEARS)
    assert rows[0][1] < rows[1][1] < rows[2][1]  # admissions grow 2 % a year
    assert rows[0][2] < rows[2][2]
