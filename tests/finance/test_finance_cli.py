"""`yibao finance WORKSPACE --year Y` end to end: console summary, stored tables, xlsx annexes."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from yibao.cli import app


def _cells(path: Path, sheet: str | None = None) -> list[list[object]]:
    wb = load_workbook(path, read_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_finance_command_writes_annexes_and_flags_the_short_level(yiyang_ws):
    path = yiyang_ws.path
    yiyang_ws.close()
    res = CliRunner().invoke(app, ["finance", str(path), "--year", "2019"])
    assert res.exit_code == 0, res.output
    assert "应补助 0.52 万元" in res.output  # 10 × 520 = 5,200 元
    assert "[短缺] 桃江县(430922)省级少拨 82.40 元" in res.output
    assert "可支付 14.58 个月" in res.output
    assert "财政补助收入:明细账与业务数据相差 50.40 元" in res.output

    one = path / "reports" / "附件一_2019年医疗保险基金补助资金明细表.xlsx"
    rows = _cells(one)
    assert rows[0][0] == "附件一:2019年医疗保险基金补助资金明细表"
    header = rows[2]
    for h in ("县市区", "财政级次", "参保人数(人)", "应补助(元)", "应补助(万元)", "实际到位(元)"):
        assert h in header
    col = {h: i for i, h in enumerate(header)}
    short = [r for r in rows if r[col["状态"]] == "短缺"]
    assert len(short) == 1 and short[0][col["县市区"]] == "桃江县"
    total = next(r for r in rows if r[col["县市区"]] == "合计")
    assert float(total[col["应补助(元)"]]) == 5200.0
    # 县级 due 249.60 + 249.60 = 499.20 元 = 0.05 万, but 0.02 + 0.02 = 0.04: said, with the gap
    notes = [r[0] for r in rows if r[0] and str(r[0]).startswith("注:")]
    assert any("县级应补助" in n and "相差 -0.01 万元" in n for n in notes), notes
    quarterly = _cells(one, "分季度到位")
    assert quarterly[2][:2] == ["财政级次", "到账季度"]

    two = path / "reports" / "附件二_2019年医疗保险基金补助收入支出明细表.xlsx"
    rows = _cells(two)
    assert rows[2][:6] == [
        "收支方向",
        "项目",
        "明细账金额(元)",
        "明细账金额(万元)",
        "业务数据金额(元)",
        "差额(元)",
    ]
    labels = [r[1] for r in rows if len(r) > 1]
    for label in (
        "个人缴费收入",
        "财政补助收入",
        "住院支出",
        "门诊支出",
        "大病保险支出",
        "支出合计",
    ):
        assert label in labels
    assert [x for x in next(r for r in rows if r[0] == "累计结余可支付月数") if x is not None] == [
        "累计结余可支付月数",
        "14.58 个月",
    ]
    sheets = load_workbook(two, read_only=True).sheetnames
    assert sheets == ["收入支出明细", "预算执行", "大病保险结算", "个人缴费"]


def test_finance_command_refuses_unknown_engine_and_missing_workspace(tmp_path):
    r = CliRunner().invoke(app, ["finance", str(tmp_path), "--year", "2019", "--engine", "x"])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["finance", str(tmp_path / "nope"), "--year", "2019"])
    assert r.exit_code == 2 and "不是 yibao 工作区" in r.output
