"""The report says what the fund paid hospitals through DIP and total budget control when
`yibao payment` ran for the year: every figure computed from the payment tables and traced to
the payment run's query; the checker finds nothing in it."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document

from yibao.engine import Workspace
from yibao.money import percent, wan
from yibao.report.checker import check_report
from yibao.synth.run import synthesize

#: Module fixtures built once, on one worker: the three-year run with payment (`made`).
pytestmark = pytest.mark.xdist_group("report-payment")

YEAR = 2021


def yibao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yibao.cli", *args], capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("gen") / "data"
    synthesize("demo-county", data, scale=0.01, seed=5, years=3)
    ws = tmp_path_factory.mktemp("ws") / "ws"
    assert yibao("init", str(ws), "--policy", str(data / "policy.yaml")).returncode == 0
    res = yibao("run", str(ws), "--year", str(YEAR), "--from", str(data))
    assert res.returncode in (0, 1), res.stdout + res.stderr
    years = ",".join(str(y) for y in (YEAR - 2, YEAR - 1, YEAR))
    for args in (
        ("payment", "build-catalogue", str(ws), "--years", years),
        ("payment", str(ws), "--year", str(YEAR), "--method", "dip"),
        ("payment", str(ws), "--year", str(YEAR), "--method", "budget"),
    ):
        res = yibao(*args)
        assert res.returncode in (0, 1), res.stdout + res.stderr
    out = tmp_path_factory.mktemp("report")
    res = yibao(
        "report", str(ws), "--framework", "self-2020", "--year", str(YEAR), "--out", str(out)
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return ws, next(out.glob("*.docx"))


def _w(x: Decimal) -> str:
    return f"{wan(x):,.2f}万元"


def test_dip_and_budget_paragraphs_from_the_payment_tables(made: tuple[Path, Path]) -> None:
    ws, docx = made
    texts = [p.text for p in Document(str(docx)).paragraphs]
    start = texts.index("(二)资金使用情况")
    end = next(i for i, t in enumerate(texts) if i > start and t.startswith("("))
    section = "".join(texts[start:end])
    with Workspace.open(ws, read_only=True) as w:
        n, cases, fund, ip_fund, pv = w.con.execute(
            "SELECT dip_cases, inpatient_cases, dip_fund, inpatient_fund, "
            "settlement_point_value FROM payment_dip_summary WHERE year = ?",
            [YEAR],
        ).fetchone()
        actual, advance = w.con.execute(
            "SELECT sum(actual), sum(budget_advance) FROM payment_budget_hospitals WHERE year = ?",
            [YEAR],
        ).fetchone()
    cov = f"{percent(Decimal(n) / cases):.2f}%"
    assert f"入组病例{n}例,占住院病例{cases}例的{cov}" in section
    share = f"{percent(fund / ip_fund):.2f}%"
    assert f"统筹基金{_w(fund)},占住院统筹基金支出{_w(ip_fund)}的{share}" in section
    assert f"结算点值{pv}元/分" in section
    use = f"{percent(actual / advance):.2f}%"
    assert f"全年实际统筹支出{_w(actual)},为可预拨总额{_w(advance)}的{use}" in section


def test_payment_figures_are_traced_to_the_payment_run(made: tuple[Path, Path]) -> None:
    _, docx = made
    texts = [p.text for p in Document(str(docx)).paragraphs]
    entries = [t for t in texts if re.match(r"^\[\d+\] ", t) and "表 payment_" in t]
    tables = {re.search(r"表 (payment_\w+)", t).group(1) for t in entries}
    assert tables == {
        "payment_dip_summary",
        "payment_dip_hospitals",
        "payment_budget_summary",
        "payment_budget_hospitals",
    }
    assert all(",查询 Q" in t for t in entries), [t for t in entries if "查询" not in t]
    queries = {t for t in texts if re.match(r"^Q\d+ 表 payment_", t)}
    assert len(queries) == 4


def test_the_checker_finds_nothing(made: tuple[Path, Path]) -> None:
    assert check_report(made[1]) == []
