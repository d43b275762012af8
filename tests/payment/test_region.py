"""Budget control and DIP on a generated three-year region: planted hospitals are found,
money is conserved, the data tests hold, the workbook has Chinese headers and values only."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from yibao.engine import Workspace
from yibao.payment.indicators import budget_use_progress, dip_case_coverage, dip_fund_share
from yibao.payment.step import CatalogueStep, PaymentStep
from yibao.pipeline.checks import run_checks
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step
from yibao.refdata import procedures

from .conftest import YEARS


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


def test_indicators(region: tuple[Path, Workspace], ran: dict) -> None:
    _, ws = region
    cov, share = dip_case_coverage(ws, 2021), dip_fund_share(ws, 2021)
    assert Decimal("0.80") < cov < 1 and Decimal("0.80") < share < 1  # off-site cases are outside
    progress = budget_use_progress(ws, 2021)
    assert {r["month"] for r in progress} == set(range(1, 13))
    dec = [r for r in progress if r["month"] == 12]
    assert all(r["elapsed"] == 1 for r in dec)


def test_workbook_chinese_headers_values_only(ran: dict) -> None:
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
