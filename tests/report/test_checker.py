"""yibao check-report on the published seeds and on reports made by hand (issue 14, part 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared_build import demo_quick
from yibao.report.checker import check_report, check_text
from yibao.report.checker.check import Checker
from yibao.report.checker.extract import ReportUnreadable, rejoin
from yibao.report.checker.numbers import quantities

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def seed(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert found, f"seed {prefix} not found in {SEEDS}"  # a missing seed fails, never skips
    return found[0]


def checked(path: Path) -> tuple[list, list]:
    from yibao.report.checker.extract import read_lines

    c = Checker(rejoin(read_lines(path)))
    return c.run(), c.checked


def test_seed_000_received_total_is_an_error_and_the_due_total_holds():
    findings, rel = checked(seed("000"))
    assert [(f.line, f.stated, f.expected, f.severity) for f in findings] == [
        (40, "211661.42万元", "211660.84万元", "error")
    ]
    assert ("per_person", "213092.98万元", True) in rel  # 4,097,942 人 × 520 元
    assert ("label_parts", "213092.98万元", True) in rel  # 中央 + 省 + 市 + 区县
    assert ("total_parts", "317385.76万元", True) in rel  # 住院 + 门诊 + 大病 + 其他


def test_seed_001_rates_hold():
    findings, rel = checked(seed("001"))
    assert findings == []
    assert ("rate", "53%", True) in rel and ("rate", "37%", True) in rel
    assert ("total_parts", "611.344万元", True) in rel


def test_seed_002_arrival_rate_and_visits_are_warnings():
    findings, _ = checked(seed("002"))
    got = [(f.line, f.stated, f.severity, f.kind) for f in findings]
    assert got == [(37, "100%", "warning", "rate"), (47, "1451人次", "warning", "count_parts")]
    assert findings[0].expected == "115.67%" and "人次" in findings[1].message


def test_seed_003_truncation_is_a_warning_and_the_split_holds():
    findings, rel = checked(seed("003"))
    assert [(f.stated, f.expected, f.severity) for f in findings] == [
        ("110.65%", "110.66%", "warning")
    ]
    assert "截断" in findings[0].message
    assert ("rate", "119.61%", True) in rel and ("total_parts", "46530万元", True) in rel


def test_seed_004_has_no_findings():
    assert check_report(seed("004")) == []


def test_page_chunk_breaks_are_rejoined_and_lines_kept():
    long = "甲" * 70
    lines = [
        f"{long}应补助资金合计3",
        "",
        "5、00万元,其中中央资金100万元,省级资金150万元,市级资金60万元。",
    ]
    t = rejoin(lines)
    assert "应补助资金合计300万元" in t.text
    (f,) = check_text(lines)
    assert (f.line, f.stated, f.expected, f.severity) == (1, "300万元", "310万元", "error")
    # A short heading before a numbered item is not a chunk break.
    assert "1、" in rejoin(["(二)资金使用情况", "1、到位情况"]).text


def test_rates_growth_grades_and_numerals():
    text = [
        "全年执行90万元,预算100万元,预算执行率95%。",  # 90/100 = 90%
        "统筹基金支出13322万元,比上年12045万元增长10.6%。",  # holds
        "本项目自评得分85分,评价等级为优。",
        "全县住院二十五人。",
    ]
    findings = check_text(text)
    rate = next(f for f in findings if f.kind == "rate")
    assert (rate.stated, rate.expected) == ("95%", "90.00%")  # 执行 90 ÷ 预算 100, in any order
    assert not any(f.kind == "growth" for f in findings)  # (13322 − 12045) ÷ 12045 = 10.60 %
    assert any(f.kind == "grade" and f.expected == "良" for f in findings)
    q = [x for x in quantities("全县住院二十五人") if x.unit == "人"]
    assert q and q[0].value == 25
    assert check_text(["统筹基金支出13322万元,比上年12045万元增长12.6%。"])[0].kind == "growth"


def test_execution_rate_against_its_budget():
    (f,) = check_text(["预算资金100万元,全年执行90万元,预算执行率95%。"])
    assert (f.stated, f.expected, f.severity) == ("95%", "90.00%", "warning")


def test_table_total_row_in_markdown_and_docx(tmp_path: Path):
    md = tmp_path / "r.md"
    md.write_text(
        "| 项目 | 金额(万元) | 到位率 |\n|---|---|---|\n| 中央 | 1,000.50 | 90% |\n"
        "| 省级 | 200.25 | 80% |\n| 合计 | 1,200.70 | 88% |\n",
        encoding="utf-8",
    )
    (f,) = check_report(md)
    assert (f.line, f.stated, f.expected, f.kind) == (5, "1,200.70", "1200.75", "table_total")
    from docx import Document

    doc = Document()
    doc.add_paragraph("实际到位资金300万元,其中中央资金100万元,省级资金150万元,市级资金60万元。")
    table = doc.add_table(rows=4, cols=2)
    for r, (a, b) in enumerate([("级次", "金额"), ("中央", "10"), ("省级", "20"), ("合计", "31")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    path = tmp_path / "r.docx"
    doc.save(str(path))
    findings = check_report(path)
    assert {(f.kind, f.stated) for f in findings} == {
        ("total_parts", "300万元"),
        ("table_total", "31"),
    }


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yibao.cli", "check-report", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_json_and_exit_codes(tmp_path: Path):
    res = _cli(str(seed("000")), "--json")
    assert res.returncode == 1
    (line,) = [json.loads(x) for x in res.stdout.splitlines()]
    assert {"line", "stated", "expected", "severity", "message"} <= set(line)
    assert line["line"] == 40 and line["severity"] == "error"
    assert _cli(str(seed("004"))).returncode == 0
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"not a zip")
    res = _cli(str(bad))
    assert res.returncode == 2 and "无法读取" in res.stderr and "Traceback" not in res.stderr
    assert _cli(str(tmp_path / "missing.pdf")).returncode == 2
    with pytest.raises(ReportUnreadable):
        check_report(tmp_path / "a.xls")


def test_a_report_yibao_wrote_has_no_findings(tmp_path_factory: pytest.TempPathFactory):
    out = demo_quick(tmp_path_factory)  # `yibao demo --quick`, built once per test run
    report = out / "reports" / "导入与数据质量报告.md"
    c = Checker(rejoin(report.read_text(encoding="utf-8").splitlines()))
    assert c.run() == []
    assert len(c.checked) >= 3  # it did find relations to check (table totals, rates)
