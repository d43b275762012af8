"""`yibao settle` via the CLI: file mode, bad input, workspace discrepancies, explain."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from yibao.cli import app
from yibao.demo import sample_dir

runner = CliRunner()
HEADER = [
    "结算ID",
    "人员编号",
    "险种类型",
    "医疗类别",
    "医保结算等级",
    "异地就医标志",
    "人员身份类别",
    "结算时间",
    "医疗费总额",
    "符合政策范围金额",
]
GOOD = [
    "A1",
    "P1",
    "390",
    "21",
    "3",
    "0",
    "普通人员",
    "2021-03-01 10:00:00",
    "100000.00",
    "90000.00",
]


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def test_file_mode_writes_two_decimal_amounts_from_a_gbk_file(tmp_path):
    f = _csv(tmp_path / "c.csv", [GOOD], encoding="gbk")
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app, ["settle", "--policy", "demo-county", "--claims", str(f), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[:5] == ["setl_id", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt"]
    assert [rows[0][k] for k in ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt")] == [
        "57980.00",
        "12012.00",
        "0.00",
        "30008.00",
    ]


def test_bad_input_is_refused_with_a_chinese_error_naming_each_row(tmp_path):
    rows = [
        GOOD,
        ["A2", "P2", "390", "21", "3", "0", "普通人员", "2021-03-01 10:00:00", "-5.00", "0.00"],
        ["A3", "P3", "390", "21", "3", "0", "普通人员", "2021-03-01 10:00:00", "10.00", "20.00"],
        ["A4", "P4", "390", "99", "3", "0", "普通人员", "2021-03-01 10:00:00", "10.00", "10.00"],
        ["A5", "P5", "390", "21", "3", "0", "普通人员", "2019-03-01 10:00:00", "10.00", "10.00"],
        ["A6", "P6", "320", "21", "3", "0", "普通人员", "2021-03-01 10:00:00", "10.00", "10.00"],
        ["A7", "P7", "390", "21", "", "0", "普通人员", "2021-03-01 10:00:00", "10.00", "10.00"],
    ]
    f = _csv(tmp_path / "bad.csv", rows)
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app, ["settle", "--policy", "demo-county", "--claims", str(f), "--out", str(out)]
    )
    assert res.exit_code == 2
    text = res.output
    assert "未做结算" in text and not out.exists()
    assert "第 3 行" in text and "不能小于" in text
    assert "第 4 行" in text and "大于医疗费总额" in text
    assert "第 5 行" in text and "代码不存在" in text
    assert "第 6 行" in text and "生效期" in text
    assert "第 7 行" in text and "没有待遇规定" in text
    assert "第 8 行" in text and "结算等级" in text


def test_explain_walks_through_each_fund(tmp_path):
    f = _csv(tmp_path / "c.csv", [GOOD])
    res = runner.invoke(
        app, ["settle", "--policy", "demo-county", "--claims", str(f), "--explain", "A1"]
    )
    assert res.exit_code == 0, res.output
    for piece in ("起付线 800.00", "65%", "57,980.00", "12,012.00", "30,008.00"):
        assert piece in res.output


def test_employee_claims_settle_in_file_mode_with_hifob_and_explain(tmp_path):
    """Issue 16: a 310 claim gains hifob_pay in the output file, and --explain covers it."""
    f = tmp_path / "e.csv"
    f.write_text(
        ",".join(HEADER + ["在职退休状态", "个人账户支出"])
        + "\nE1,Q1,310,21,3,0,普通人员,2021-03-01 10:00:00,300000.00,280000.00,在职,80000.00"
        + "\nE2,Q2,310,11,,0,普通人员,2021-03-01 10:00:00,500.00,500.00,退休,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["settle", "--claims", str(f), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = {r["setl_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    head = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert head[:6] == ["setl_id", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt", "hifob_pay"]
    assert (rows["E1"]["hifp_pay"], rows["E1"]["hifob_pay"]) == ("200000.00", "23280.00")
    assert rows["E1"]["psn_part_amt"] == "76720.00" and rows["E1"]["acct_excess_fen"] == "328000"
    assert rows["E2"]["hifp_pay"] == "210.00"  # (500 − 200) × 70 %, 退休
    res = runner.invoke(app, ["settle", "--claims", str(f), "--explain", "E1"])
    assert res.exit_code == 0, res.output
    for piece in (
        "职工住院",
        "起付线 900.00",
        "80%",
        "223,280.00",
        "大额医疗费用补助",
        "23,280.00",
    ):
        assert piece in res.output
    assert "个人账户支出超过个人负担 3,280.00" in res.output


def test_workspace_mode_finds_exactly_the_claims_whose_recorded_payments_differ(tmp_path):
    ws = tmp_path / "ws"
    src = sample_dir()
    good = tmp_path / "claims.csv"
    lines = (src / "claims_gbk.csv").read_text(encoding="gbk").splitlines()
    # Keep the 80 valid claims; tamper with two recorded 统筹 payments.
    header, body = lines[0], lines[1:81]
    cols = header.split(",")
    i_hifp, i_psn = cols.index("基本医疗保险统筹基金支出"), cols.index("个人负担总金额")
    tampered = []
    for n, line in enumerate(body):
        cells = line.split(",")
        if n in (3, 7):
            cells[i_hifp] = str(Decimal(cells[i_hifp]) + Decimal("10.00"))
            cells[i_psn] = str(Decimal(cells[i_psn]) - Decimal("10.00"))
            tampered.append(cells[0])
        body[n] = ",".join(cells)
    good.write_text("\n".join([header, *body]) + "\n", encoding="gbk")
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    for name, table in (("institutions.csv", "institutions"),):
        assert (
            runner.invoke(app, ["ingest", str(ws), str(src / name), "--table", table]).exit_code
            == 0
        )
    assert runner.invoke(app, ["ingest", str(ws), str(good), "--table", "claims"]).exit_code == 0
    res = runner.invoke(app, ["settle", str(ws), "--year", "2021"])
    assert res.exit_code == 0, res.output
    # The sample itself plants one wrong payment (S2021000011, 统筹 10.00 too high).
    expected = sorted([*tampered, "S2021000011"])
    assert "不一致的 3 张" in res.output and "30.00" in res.output
    from yibao.engine import Workspace

    with Workspace.open(ws) as w:
        got = w.con.execute(
            "SELECT setl_id, diff_hifp_pay FROM settle_discrepancies ORDER BY 1"
        ).fetchall()
        assert got == [(sid, Decimal("10.00")) for sid in expected]
        assert w.count("settlements") == 80
        summary = w.con.execute(
            "SELECT fund, sum(claims), sum(diff) FROM "
            "settle_discrepancy_summary GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert summary == [("基本医保统筹基金", 3, Decimal("30.00"))]
    # Re-running replaces the year's results instead of adding to them.
    assert runner.invoke(app, ["settle", str(ws), "--year", "2021"]).exit_code == 0
    with Workspace.open(ws) as w:
        assert w.count("settlements") == 80 and w.count("settle_discrepancies") == 3
    res = runner.invoke(app, ["settle", str(ws), "--explain", tampered[0]])
    assert res.exit_code == 0 and "基本医保统筹基金" in res.output
