"""Issue 12, "Done when": exports as bureaus have them load with no manual edits and settle.

The claims are an XLSX with a merged title row, labels where codes are expected, near-miss
headers, an Excel serial date, text dates, a blank row and a 合计 row; the person list is a
GBK CSV with a title line, text dates, a blank line and a 合计 line.  The claims leave
人员身份类别 blank: settlement takes it from the person register.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from helpers import valid_id
from yibao.cli import app
from yibao.engine import Workspace

runner = CliRunner()

CLAIM_HEADERS = [
    "结算ID",
    "人员编号",
    "险种类型",
    "医疗类别",
    "定点医药机构编号",
    "医保结算等级",
    "异地就医标志",
    "人员身份类别",
    "入院日期",
    "出院日期",
    "结算时间",
    "主要诊断",
    "医疗费总额",
    "符合政策范围金额",
    "基本医疗保险统筹基金支出",
    "大病补充医疗保险基金支出",
    "医疗救助基金支出",
    "住院天数合计",
]


def _claims_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["2021年度住院结算明细"])
    sh.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(CLAIM_HEADERS))
    sh.append(CLAIM_HEADERS)
    sh.append(
        [
            "JS2021001", "P0001", "城乡居民基本医疗保险", "普通住院", "H001", "三级甲等", "否",
            None, 44260, "2021/3/15", datetime(2021, 3, 15, 10, 20), "J18.900",
            12000.00, 10000.00, 5200.00, 0, 0, 10,
        ]
    )  # fmt: skip
    sh.append(
        [
            "JS2021002", "P0002", "城乡居民医保", "21", "H002", "二级乙等", "N",
            None, "2021年4月1日", "2021-04-08", "2021/4/8 9:00", "K35.800",
            8000.5, 7000.5, 4000.00, 0, 0, 7,
        ]
    )  # fmt: skip
    sh.append([None] * len(CLAIM_HEADERS))
    sh.append(["合计", None, None, None, None, None, None, None, None, None, None, None,
               20000.5, 17000.5, 9200.00, 0, 0, 17])  # fmt: skip
    wb.save(path)
    return path


def _persons_gbk(path: Path) -> Path:
    rows = [
        ["2021年城乡居民参保人员花名册(益阳市赫山区)"],
        ["人员编号", "身份证号", "姓名", "性别", "出生日期", "户籍区划代码", "人员身份类别"],
        [
            "P0001",
            valid_id(11, birth=date(1980, 5, 17)),
            "张三",
            "男",
            "1980/5/17",
            "430903",
            "低保对象",
        ],  # fmt: skip
        [
            "P0002",
            valid_id(12, birth=date(1975, 3, 5), male=False),
            "李四",
            "女",
            "1975/3/5",
            "430903",
            "",
        ],  # fmt: skip
        ["", "", "", "", "", "", ""],  # a blank row as Excel saves it
        ["合计", "", "2人", "", "", "", ""],
    ]
    with path.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_hand_shaped_exports_load_unedited_and_settle_with_the_registers_identity(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    persons = runner.invoke(
        app, ["ingest", str(ws), str(_persons_gbk(tmp_path / "花名册.csv")), "--table", "persons"]
    )
    assert persons.exit_code == 0, persons.output
    assert "已跳过表头上方的 1 行(标题): 2021年城乡居民参保人员花名册" in persons.output
    assert "已跳过 1 个空行(或表尾说明行)、1 个合计/小计/总计行" in persons.output
    claims = runner.invoke(
        app, ["ingest", str(ws), str(_claims_xlsx(tmp_path / "结算.xlsx")), "--table", "claims"]
    )
    assert claims.exit_code == 0, claims.output
    assert "2021年度住院结算明细" in claims.output and "1 个合计" in claims.output
    assert "「住院天数合计」是否指 实际住院天数(act_ipt_days)?" in claims.output
    with Workspace.open(ws, read_only=True) as w:
        assert w.count("_quarantine") == 0
        rows = w.con.execute(
            "SELECT setl_id, insutype, med_type, hi_setl_lv, offsite_flag, adm_time, dscg_time, "
            "setl_time, dise_codg, hifmi_pay, _row FROM claims ORDER BY setl_id"
        ).fetchall()
        people = w.con.execute(
            "SELECT psn_no, gend, brdy, psn_idet_type, _row FROM persons ORDER BY 1"
        ).fetchall()
    assert rows[0][1:5] == ("390", "21", "3", "0") and rows[1][1:5] == ("390", "21", "2", "0")
    assert rows[0][5:8] == (
        datetime(2021, 3, 5),
        datetime(2021, 3, 15),
        datetime(2021, 3, 15, 10, 20),
    )
    assert rows[1][5:8] == (datetime(2021, 4, 1), datetime(2021, 4, 8), datetime(2021, 4, 8, 9))
    assert rows[0][8] == "J18.900" and rows[0][9] == Decimal("0.00")
    assert [r[10] for r in rows] == [3, 4]  # the sheet's own row numbers, title included
    assert people == [
        ("P0001", "1", date(1980, 5, 17), "低保对象", 3),
        ("P0002", "2", date(1975, 3, 5), None, 4),
    ]

    settled = runner.invoke(app, ["settle", str(ws), "--year", "2021"])
    assert settled.exit_code == 0, settled.output
    with Workspace.open(ws, read_only=True) as w:
        got = w.con.execute(
            "SELECT setl_id, psn_idet_type, psn_idet_source, maf_pay FROM settlements ORDER BY 1"
        ).fetchall()
    assert got[0][:3] == ("JS2021001", "低保对象", "人员登记(persons)") and got[0][3] > 0
    assert got[1][:3] == ("JS2021002", None, "未记录,按普通人员") and got[1][3] == 0
    explained = runner.invoke(app, ["settle", str(ws), "--explain", "JS2021001"])
    assert explained.exit_code == 0, explained.output
    assert "人员身份类别 低保对象(来源:人员登记(persons))" in explained.output
