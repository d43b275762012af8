"""Issue 12: what staff see is readable: no Python repr, yuan not fen, laid-out xlsx, real
条例 articles, no internal documents, and rules that say when an input column is missing."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from helpers import CLAIM_HEADER_CN, claim_row, write_csv
from yibao.cli import app
from yibao.policy import load_policy, preset_names
from yibao.supervise.catalogue import CATALOGUE
from yibao.supervise.rules import REG, VERIFIED_ARTICLES
from yibao.xlsxsafe import polish_workbook

runner = CliRunner()
INTERNAL = re.compile(r"DOMAIN|seed ?\d{3}|issue ?\d+|docs/")


def test_settle_csv_is_in_yuan_with_ratios_as_fractions_and_keeps_the_exact_columns(tmp_path):
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1)])
    out = tmp_path / "r.csv"
    res = runner.invoke(
        app, ["settle", "--policy", "demo-county", "--claims", str(f), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(row)[:5] == ["setl_id", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt"]
    # 三级: (90,000 − 800) × 65 % = 57,980.00; the trace in 元 and the ratio as 0.65.
    assert row["hifp_pay"] == "57980.00" and row["deductible_yuan"] == "800.00"
    assert Decimal(row["ratio"]) == Decimal("0.65") and row["basic_cap_yuan"] == "150000.00"
    assert row["deductible_fen"] == "80000" and row["ratio_ppm"] == "650000"  # kept for scripts


def test_settle_errors_never_show_a_python_none(tmp_path):
    rows = [claim_row(1), claim_row(2, 符合政策范围金额="")]
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, rows)
    res = runner.invoke(
        app, ["settle", "--policy", "demo-county", "--claims", str(f), "--out", "x.csv"]
    )
    assert res.exit_code == 2
    assert "第 3 行 符合政策范围金额: (空)" in res.output and "None" not in res.output


def test_ingest_exits_2_when_no_row_is_accepted_and_hints_at_near_miss_headers(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    header = [*CLAIM_HEADER_CN, "入院时刻"]
    f = write_csv(tmp_path / "c.csv", header, [[*claim_row(1, 医疗类别="门诊挂号费"), "x"]])
    res = runner.invoke(app, ["ingest", str(ws), str(f), "--table", "claims"])
    assert res.exit_code == 2, res.output
    said = res.output.replace("\n", "")
    assert "没有任何一行被接收" in said and "「入院时刻」是否指 入院时间(adm_time)" in said
    assert "允许的值(代码或括号中的名称)" in said and "21(普通住院)" in said


def test_a_missing_retirees_roster_is_an_error_not_ignored(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    res = runner.invoke(
        app, ["finance", str(ws), "--year", "2021", "--retirees", str(tmp_path / "无.csv")]
    )
    assert res.exit_code == 2 and "离休人员名单文件不存在" in res.output


def test_rules_that_lose_an_input_column_say_so_when_they_run(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    header = [*CLAIM_HEADER_CN, "入院时刻"]
    rows = [[*claim_row(i), "2021-03-01"] for i in range(1, 4)]
    f = write_csv(tmp_path / "c.csv", header, rows)
    assert runner.invoke(app, ["ingest", str(ws), str(f), "--table", "claims"]).exit_code == 0
    res = runner.invoke(app, ["supervise", str(ws), "--year", "2021"])
    said = res.output.replace("\n", "")
    assert res.exit_code == 0, res.output
    lost = "规则「住院时间重叠(不同医院)」缺少输入:2021 年度结算单的入院时间、出院时间全部为空"
    assert lost in said
    assert "「入院时刻」可能就是该列" in said


def test_legal_bases_cite_the_real_instrument_by_checked_article_or_say_to_be_checked():
    for rule in CATALOGUE:
        assert REG in rule.basis
        cited = re.findall(r"第[一二三四五六七八九十]+条", rule.basis)
        unchecked = [a for a in cited if a not in VERIFIED_ARTICLES]
        assert cited and (not unchecked or "待核对" in rule.basis), rule.code
        assert not INTERNAL.search(rule.basis + rule.finds + rule.amount_means), rule.code


def test_no_preset_a_user_sees_mentions_internal_documents():
    for name in preset_names():
        for p in load_policy(name).parameters.values():
            assert not INTERNAL.search(f"{p.description} {p.reference}"), (name, p.name)
    from yibao.synth.preset import load_preset
    from yibao.synth.preset import preset_names as synth_presets

    for name in synth_presets():
        assert not INTERNAL.search(load_preset(name).label), name


def test_polished_sheets_have_widths_frozen_headers_filters_and_numbers(tmp_path):
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["2021年度基金补助明细表"])
    sh.merge_cells("A1:D1")
    sh.append(["定点医药机构名称", "金额(元)", "到位率", "人数"])
    sh.append(["县人民医院(H001)", Decimal("1234.50"), "89.02%", 12])
    sh.append(["乡镇卫生院(H002)", Decimal("10.00"), "100.00%", 3])
    polish_workbook(wb)
    path = tmp_path / "t.xlsx"
    wb.save(path)
    got = openpyxl.load_workbook(path).active
    assert got.freeze_panes == "A3" and got.auto_filter.ref == "A2:D4"
    assert got["C3"].value == Decimal("0.8902") or abs(got["C3"].value - 0.8902) < 1e-12
    assert got["C3"].number_format == "0.00%" and got["B3"].number_format == "#,##0.00"
    assert got.column_dimensions["A"].width >= 18  # CJK characters count double


def test_the_supervision_work_list_is_laid_out(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(i) for i in range(1, 4)])
    assert runner.invoke(app, ["ingest", str(ws), str(f), "--table", "claims"]).exit_code == 0
    assert runner.invoke(app, ["supervise", str(ws), "--year", "2021"]).exit_code == 0
    (xlsx,) = Path(ws / "reports").glob("监管筛查工作清单-2021.xlsx")
    book = openpyxl.load_workbook(xlsx)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.column_dimensions["B"].width >= 8, sheet.title
    assert book["工作清单"].auto_filter.ref.startswith("A1:P")
    rules = list(book["规则说明"].iter_rows(values_only=True))
    params = " ".join(str(r[5]) for r in rules[1:] if r and r[5])
    assert "再入院间隔天数 31 天" in params and "readmission_days" not in params


def test_a_missing_required_column_names_the_header_that_may_be_it_not_a_doc_path(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    header = ["定点医药机构号码" if h == "定点医药机构编号" else h for h in CLAIM_HEADER_CN]
    f = write_csv(tmp_path / "c.csv", header, [claim_row(1)])
    res = runner.invoke(app, ["ingest", str(ws), str(f), "--table", "claims"])
    said = res.output.replace("\n", "")
    assert res.exit_code == 2
    assert "缺少必需的列: 定点医药机构编号(fixmedins_code)" in said
    assert "文件中的「定点医药机构号码」是否就是定点医药机构编号?" in said
    assert "docs/" not in said


def test_a_note_below_the_table_is_skipped_like_a_blank_row(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    header = ["序号", *CLAIM_HEADER_CN]
    rows = [[1, *claim_row(1)], ["制表人:赵六"] + [""] * len(CLAIM_HEADER_CN)]
    f = write_csv(tmp_path / "c.csv", header, rows)
    res = runner.invoke(app, ["ingest", str(ws), str(f), "--table", "claims"])
    assert res.exit_code == 0, res.output
    assert "已跳过 1 个空行(或表尾说明行)" in res.output.replace("\n", "")
