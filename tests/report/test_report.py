"""yibao report: GB/T 9704 format, outline, traceability, PDF fonts; the checker finds nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from report.glyphs import face_forms
from yibao.report.checker import check_report
from yibao.report.fonts import FALLBACK, font_file
from yibao.synth.run import synthesize

#: Module fixtures built once, on one worker: the county run and its report (`ws`, `made`).
pytestmark = pytest.mark.xdist_group("report-county")

YEAR = 2021
OUTLINE = [
    "一、基本情况",
    "二、绩效目标及完成情况",
    "三、项目资金到位和使用情况",
    "四、存在的问题及原因",
    "五、改进措施及建议",
    "六、评价结果应用及公开情况",
    "七、其他需要说明的问题",
]
FW = ("--framework", "self-2020")


def yibao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yibao.cli", *args], capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("gen") / "data"
    synthesize("demo-county", data, scale=0.01, seed=5, encoding="gbk")
    path = tmp_path_factory.mktemp("ws") / "ws"
    assert yibao("init", str(path), "--policy", str(data / "policy.yaml")).returncode == 0
    res = yibao("run", str(path), "--year", str(YEAR), "--from", str(data))
    assert res.returncode in (0, 1), res.stdout + res.stderr
    return path


@pytest.fixture(scope="module")
def made(ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    res = yibao("report", str(ws), *FW, "--year", str(YEAR), "--out", str(out), "--pdf")
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def _one(out: Path, suffix: str) -> Path:
    (path,) = out.glob(f"*{suffix}")
    return path


def _east_asia(run) -> str | None:  # noqa: ANN001
    fonts = run._element.rPr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_docx_page_margins_fonts_and_page_numbers(made: Path):
    doc = Document(str(_one(made, ".docx")))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    margins = (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    title = doc.paragraphs[0]
    assert title.runs[0].font.size == Pt(22) and _east_asia(title.runs[0]) == "方正小标宋简体"
    heads = {p.text: p for p in doc.paragraphs if re.match(r"^[一二三四五六七八九十]、", p.text)}
    assert [h for h in heads if h in OUTLINE] == OUTLINE
    for p in heads.values():
        assert _east_asia(p.runs[0]) == "黑体" and p.runs[0].font.size == Pt(16)
    sub = next(p for p in doc.paragraphs if p.text.startswith("(一)"))
    assert _east_asia(sub.runs[0]) == "楷体_GB2312"
    body = next(p for p in doc.paragraphs if p.text.startswith("城乡居民基本医疗保险是"))
    run = body.runs[0]
    assert _east_asia(run) == "仿宋_GB2312" and run.font.size == Pt(16)
    fmt = body.paragraph_format
    assert fmt.first_line_indent == Pt(32) and fmt.line_spacing == Pt(28)
    footer = sec.footer.paragraphs[0]
    xml = footer._p.xml
    assert "PAGE" in xml and 'fldCharType="begin"' in xml
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert any(p.text == "附录:数据来源" for p in doc.paragraphs)
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "一级指标")
    header = [c.text for c in table.rows[0].cells]
    assert header == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值",
                      "得分", "偏差原因分析及改进措施"]  # fmt: skip
    assert table.rows[-1].cells[0].text == "合计" and table.rows[-1].cells[5].text == "100.00"
    assert (made / f"附件_{YEAR}年度项目支出绩效自评表.xlsx").is_file()
    assert not any("按病种分值付费" in p.text for p in doc.paragraphs)  # no yibao payment run
    assert doc.tables, "the report has tables"


def test_every_run_is_tagged_simplified_chinese(made: Path):
    doc = Document(str(_one(made, ".docx")))
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for c in t._cells for p in c.paragraphs for r in p.runs]
    runs = [r for r in runs if r.text.strip()]  # a picture's run has no text to tag
    assert len(runs) > 50
    for r in runs:
        lang = r._element.rPr.find(qn("w:lang"))
        assert lang is not None and lang.get(qn("w:eastAsia")) == "zh-CN", r.text
        assert lang.get(qn("w:val")) == "zh-CN"
    default = doc.styles.element.find(qn("w:docDefaults")).find(f".//{qn('w:lang')}")
    assert default.get(qn("w:eastAsia")) == "zh-CN"


def test_self_table_funding_block_from_the_finance_tables(ws: Path, made: Path):
    """self-2020 scores budget execution: the 自评表 has its funding block (财预〔2020〕10号)."""
    from yibao.engine import Workspace
    from yibao.money import percent, wan

    doc = Document(str(_one(made, ".docx")))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "项目资金(万元)")
    header = [c.text for c in table.rows[0].cells]
    assert header[1:] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    total = [c.text for c in table.rows[1].cells]
    with Workspace.open(ws, read_only=True) as w:
        budget, carry, avail, actual = w.con.execute(
            "SELECT sum(budget), sum(coalesce(carry_over, 0)), sum(budget_total), sum(actual) "
            "FROM finance_budget WHERE year = ?",
            [YEAR],
        ).fetchone()
        weight, score, shown = w.con.execute(
            "SELECT weight, score, actual FROM evaluate_lines WHERE year = ? AND framework = "
            "'self-2020' AND code = 'budget_execution_rate'",
            [YEAR],
        ).fetchone()
    assert carry > 0 and actual < avail  # the generated county carries a project over
    w2 = [f"{wan(x):,.2f}" for x in (budget, avail, actual)]
    assert total == [
        "年度资金总额",
        *w2,
        f"{weight}",
        f"{percent(actual / avail):.2f}%",
        f"{score}",
    ]
    assert total[5] == shown  # the block's rate is the scored line's actual value
    assert [c.text for c in table.rows[3].cells][:3] == ["上年结转资金", "—", f"{wan(carry):,.2f}"]
    import openpyxl

    sheet = openpyxl.load_workbook(made / f"附件_{YEAR}年度项目支出绩效自评表.xlsx")["项目资金"]
    row = [c.value for c in sheet[2]]
    assert row[:4] == ["年度资金总额", float(wan(budget)), float(wan(avail)), float(wan(actual))]
    # the indicator table follows the funding block, as in the official form
    captions = [p.text for p in doc.paragraphs if p.text.startswith("表 ")]
    i = captions.index(f"表 {YEAR}年度项目支出绩效自评表:项目资金")
    assert captions[i + 1] == f"表 {YEAR}年度项目支出绩效自评表"


def test_every_figure_is_traced(made: Path):
    html = _one(made, ".html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="#src-(\d+)"', html))
    targets = set(re.findall(r'id="src-(\d+)"', html))
    assert links and links <= targets
    queries = re.findall(r'id="q-(\d+)">Q\d+ 表 (\w+)</p><pre>(.*?)</pre>', html, re.S)
    assert {t for _, t, _ in queries} >= {"finance_subsidy_due", "finance_subsidy"}
    assert all("SELECT" in sql for _, _, sql in queries)
    doc = Document(str(_one(made, ".docx")))
    appendix = [p.text for p in doc.paragraphs if re.match(r"^\[\d+\] ", p.text)]
    assert len(appendix) == len(targets)


def test_the_checker_finds_nothing_in_the_generated_report(made: Path):
    assert check_report(_one(made, ".docx")) == []
    assert check_report(_one(made, ".pdf")) == []


def test_pdf_fonts_are_embedded_and_cover_every_character(made: Path):
    pdf = _one(made, ".pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows), fonts.stdout  # emb column
    # Noto CJK is one collection of JP/KR/SC/TC faces sharing a CFF named "…CJKjp…", so pdffonts
    # cannot tell them apart; the glyph forms can (tests/report/glyphs.py): the body text has
    # the Simplified Chinese forms of characters such as 与 and 医, never the Japanese ones.
    forms = face_forms(pdf, subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout)  # fmt: skip
    assert forms["differ"] > 50 and forms["SC"] > 50 and forms["JP"] == 0, forms
    text = subprocess.run(
        ["pdftotext", "-l", "4", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    from fontTools.ttLib import TTCollection

    covered: set[int] = set()
    for family in {fam for fam, _ in FALLBACK.values()}:
        for font in TTCollection(str(font_file(family))).fonts:
            covered |= set(font.getBestCmap())
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in covered}
    assert not missing, f"glyphs missing from the fonts: {sorted(missing)}"
    png = made / "page"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(png)], check=True
    )
    pages = sorted(made.glob("page*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 5000 for p in pages)


def test_kinds_and_refusals(ws: Path, tmp_path: Path):
    res = yibao(
        "report",
        str(ws),
        *FW,
        "--year",
        str(YEAR),
        "--out",
        str(tmp_path / "e"),
        "--kind",
        "evaluation",
    )
    assert res.returncode == 0, res.stdout + res.stderr
    doc = Document(str(_one(tmp_path / "e", ".docx")))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0].endswith("绩效评价报告") and any(t.endswith("财政局:") for t in texts)
    assert "二、评价工作开展情况" in texts and "三、绩效目标及完成情况" in texts
    res = yibao(
        "report",
        str(ws),
        *FW,
        "--year",
        str(YEAR),
        "--out",
        str(tmp_path / "y"),
        "--kind",
        "yearbook",
    )
    assert res.returncode == 0, res.stdout + res.stderr
    yb = _one(tmp_path / "y", ".docx")
    texts = [p.text for p in Document(str(yb)).paragraphs]
    assert texts[0].endswith("医疗保险基金运行情况")
    assert [t for t in texts if t.startswith("【")] == [
        "【概况】",
        "【基金征缴】",
        "【支付控制】",
        "【异地就医】",
        "【基金分析】",
    ]
    assert check_report(yb) == []
    res = yibao("report", str(ws), *FW, "--year", "2019", "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "请先运行" in res.stderr and "Traceback" not in res.stderr
    res = yibao(
        "report",
        str(ws),
        *FW,
        "--year",
        str(YEAR),
        "--out",
        str(tmp_path / "k"),
        "--kind",
        "weekly",
    )
    assert res.returncode == 2
    shutil.rmtree(tmp_path / "e")
