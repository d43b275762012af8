"""What `yibao settle` prints and writes, as a bureau clerk reads it (issue 19).

The CLI tests look for pieces; these pin whole messages, table rows and the output CSV,
through ``run_settle`` with a plain console (no terminal, no colour).
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from rich.console import Console

from yibao.engine import Workspace
from yibao.policy.loader import PRESET_DIR
from yibao.settle import cli
from yibao.settle.cli import _print_errors, column_label, readable_columns, run_settle

HEADER = "结算ID,人员编号,险种类型,医疗类别,医保结算等级,结算时间,医疗费总额,符合政策范围金额\n"
GOOD = "A1,P1,390,21,3,2021-03-01 10:00:00,100000.00,90000.00\n"


def _console() -> Console:
    return Console(file=io.StringIO(), width=200, color_system=None, highlight=False)


def _text(c: Console) -> str:
    return c.file.getvalue()  # type: ignore[attr-defined]


def _settle(**kw) -> tuple[int, str, str]:
    out, err = _console(), _console()
    args = dict(
        workspace=None, year=None, policy=None, claims=None, out_file=None, engine="duckdb",
        explain=None,
    )  # fmt: skip
    code = run_settle(**(args | kw), out=out, err=err)
    return code, _text(out), _text(err)


def _cells(text: str) -> list[list[str]]:
    """A rich table's body rows as lists of cells."""
    return [
        [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]
        for line in text.splitlines()
        if line.startswith(("│", "┃"))
    ]


def test_errors_name_the_row_or_the_claim_the_column_and_an_empty_value():
    err = _console()
    errors = [
        {"row": 3, "column": "med_type", "label": "医疗类别", "value": "390/13", "reason": "甲"},
        {"row": None, "setl_id": "S9", "column": "hi_setl_lv", "value": "", "reason": "乙"},
        {"row": 5, "column": "no_such", "value": None, "reason": "丙"},
    ]
    _print_errors(errors, 3, err, "c.csv")
    assert _text(err).splitlines() == [
        "错误: c.csv 有 3 处问题,未做结算(不静默地算错):",
        "  第 3 行 医疗类别: 390/13 — 甲",
        "  结算ID S9 医保结算等级: (空) — 乙",
        "  第 5 行 no_such: (空) — 丙",
    ]


def test_only_the_first_fifty_errors_are_shown_with_the_rest_counted():
    err = _console()
    errors = [{"row": i, "column": "med_type", "value": "x", "reason": "r"} for i in range(1, 61)]
    _print_errors(errors, 1234, err, "c.csv")
    lines = _text(err).splitlines()
    assert len(lines) == 1 + 50 + 1
    assert lines[50] == "  第 50 行 医疗类别: x — r"
    assert lines[-1] == "  …… 另有 1184 处"
    err = _console()
    _print_errors(errors[:50], 50, err, "c.csv")
    assert "另有" not in _text(err)


def test_column_labels_are_the_schemas_chinese_names():
    assert column_label("inscp_scp_amt") == "符合政策范围金额"
    assert column_label("setl_time") == "结算时间"
    assert column_label("no_such") == "no_such"


def test_readable_columns_put_payments_first_then_yuan_and_fractions_then_the_exact_trace():
    t = ibis.memtable(
        pa.table(
            {
                "kind": ["I"],
                "psn_part_amt": pa.array([Decimal("1.00")], pa.decimal128(18, 2)),
                "setl_id": ["A1"],
                "hifp_pay": pa.array([Decimal("2.00")], pa.decimal128(18, 2)),
                "deductible_fen": pa.array([80000], pa.int64()),
                "ratio_ppm": pa.array([650000], pa.int64()),
                "year": pa.array([2021], pa.int64()),
            }
        )
    )
    r = readable_columns(t)
    assert r.columns == (
        "setl_id", "hifp_pay", "psn_part_amt", "kind", "year", "deductible_yuan", "ratio",
        "deductible_fen", "ratio_ppm",
    )  # fmt: skip
    row = ibis.duckdb.connect().to_pyarrow(r).to_pylist()[0]
    assert (row["deductible_yuan"], row["ratio"]) == (Decimal("800.00"), Decimal("0.65"))


def test_file_mode_explain_shows_the_claim_as_the_workspace_mode_does(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text(HEADER + GOOD + "A2,P1,390,11,,2021-04-01 09:00:00,300.00,300.00\n", "utf-8")
    code, out, err = _settle(policy="demo-county", claims=f, explain="A2")
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "结算单 A2(人员 P1,2021 年度;政策时期自 2021-01-01 起)",
        "  医疗费总额 300.00,符合政策范围金额 300.00;险种 390,医疗类别 11,结算等级 -,异地 0",
    ]


def test_file_mode_writes_the_csv_and_says_how_many(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text(HEADER + GOOD, encoding="utf-8")
    target = tmp_path / "it's out.csv"  # a quote in the name
    code, out, err = _settle(claims=f, out_file=target)
    assert (code, err) == (0, "")
    assert out == f"已结算 1 张结算单(示范县医保待遇政策(居民与职工)),结果写入 {target}\n"
    head, row = target.read_text(encoding="utf-8").splitlines()
    assert head.split(",")[:6] == [
        "setl_id", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt", "hifob_pay",
    ]  # fmt: skip
    assert row.split(",")[:6] == ["A1", "57980.00", "12012.00", "0.00", "30008.00", "0.00"]
    values = dict(zip(head.split(","), row.split(","), strict=True))
    assert (values["deductible_yuan"], values["ratio"], values["ratio_ppm"]) == (
        "800.00",
        "0.650000",
        "650000",
    )


def test_file_mode_refusals(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text(HEADER + GOOD, encoding="utf-8")
    assert _settle(claims=f) == (
        2,
        "",
        "错误: 请用 --out 指定输出 CSV,或用 --explain 查看某张结算单\n",
    )
    assert _settle(claims=f, explain="Z9") == (2, "", "错误: c.csv 中没有结算ID Z9\n")
    code, out, _ = _settle(claims=f, explain="A1")
    assert code == 0 and out.startswith("结算单 A1(人员 P1,2021 年度;政策时期自 2021-01-01 起)")
    missing = tmp_path / "none.csv"
    assert _settle(claims=missing) == (2, "", f"错误: 文件不存在: {missing}\n")
    assert _settle(claims=f, engine="spark") == (
        2,
        "",
        "错误: 未知的计算引擎「spark」;可选 duckdb、pyspark\n",
    )
    assert _settle() == (
        2,
        "",
        "错误: 请给出工作区(yibao settle WORKSPACE --year Y)"
        "或结算单文件(--policy P --claims F --out F.csv)\n",
    )
    code, _, err = _settle(claims=f, policy="no-such-policy", out_file=tmp_path / "o.csv")
    assert code == 2 and err.startswith("错误: ") and "no-such-policy" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("甲,乙\n1,2\n", encoding="utf-8")
    code, _, err = _settle(claims=bad, out_file=tmp_path / "o.csv")
    assert code == 2 and err.startswith("错误: bad.csv")
    body = "X1,P1,390,13,,2021-04-01 09:00:00,300.00,300.00\n"
    (tmp_path / "x.csv").write_text(HEADER + body, encoding="utf-8")
    assert _settle(claims=tmp_path / "x.csv", out_file=tmp_path / "o.csv") == (
        2,
        "",
        "错误: x.csv 有 1 处问题,未做结算(不静默地算错):\n"
        "  第 2 行 医疗类别: 390/13 — 险种 390 的医疗类别 13(急诊)"
        "在政策「示范县医保待遇政策(居民与职工)」中没有待遇规定\n",
    )
    assert not (tmp_path / "o.csv").exists()


def test_workspace_mode_prints_the_year_by_fund_and_by_hospital(wsd: Workspace):
    path = wsd.path
    wsd.close()
    code, out, err = _settle(workspace=path, year=2021)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        "已复核 2021 年度 4 张结算单(示范县医保待遇政策(居民与职工));"
        "记录的基金支付与复核结果不一致的 2 张(见表 settle_discrepancies)"
    )
    assert _cells(out) == [
        ["基金", "不一致张数", "不一致单记录合计", "不一致单复核合计", "差额(记录−复核)"],
        ["基本医保统筹基金", "1", "200,160.00", "200,150.00", "10.00"],
        ["职工大额医疗费用补助", "0", "23,280.00", "23,280.00", "0.00"],
        ["大病保险", "0", "0.00", "0.00", "0.00"],
        ["医疗救助", "0", "0.00", "0.00", "0.00"],
        ["定点机构", "不一致张数", "统筹差额", "大额补助差额", "大病差额", "救助差额"],
        ["H002", "1", "10.00", "0.00", "0.00", "0.00"],
        ["县人民医院(H001)", "1", "0.00", "0.00", "0.00", "0.00"],
    ]
    titles = [line.strip() for line in out.splitlines() if line.strip().startswith("按")]
    assert titles == ["按基金", "按定点医药机构"]
    code, out, _ = _settle(workspace=path, explain="S3")
    assert code == 0
    assert "  人员身份类别 低保对象(来源:人员登记(persons))" in out.splitlines()
    assert "  医疗费总额 200.00,符合政策范围金额 200.00;险种 390,医疗类别 11," in out
    assert _settle(workspace=path, explain="Z9") == (2, "", "错误: 没有结算ID Z9 的结算结果\n")


def test_workspace_mode_refusals(wsd: Workspace):
    path = wsd.path
    wsd.con.execute("UPDATE claims SET med_type = '13' WHERE setl_id = 'S3'")
    wsd.close()
    assert _settle(workspace=path, explain="S1") == (
        2,
        "",
        "错误: 工作区还没有结算结果,请先运行 yibao settle WORKSPACE --year Y\n",
    )
    assert _settle(workspace=path) == (2, "", "错误: 工作区模式需要 --year\n")
    code, _, err = _settle(workspace=path, year=2021)
    assert code == 2
    assert err == (
        f"错误: {path} 的 2021 年度结算单 有 1 处问题,未做结算(不静默地算错):\n"
        "  结算ID S3 医疗类别: 390/13 — 险种 390 的医疗类别 13(急诊)"
        "在政策「示范县医保待遇政策(居民与职工)」中没有待遇规定\n"
    )


def test_a_year_without_discrepancies_prints_no_hospital_table(wsd: Workspace, monkeypatch):
    wsd.con.execute("UPDATE claims SET hifp_pay = 150 WHERE setl_id = 'S2'")
    wsd.con.execute("UPDATE claims SET acct_pay = 0 WHERE setl_id = 'S4'")
    path = wsd.path
    wsd.close()
    monkeypatch.setattr(cli, "MAX_ERRORS_SHOWN", 50)
    code, out, _ = _settle(workspace=path, year=2021)
    assert code == 0 and "不一致的 0 张" in out and "按定点医药机构" not in out


@pytest.mark.parametrize(("extra", "hidden"), [(31, 3), (28, 0)])
def test_more_hospitals_than_the_table_shows_are_counted_not_dropped(
    wsd: Workspace, extra: int, hidden: int
):
    """2 + 31 hospitals differ: the table shows the 30 largest and says where the other 3 are;
    with exactly 30 it shows them all and says nothing more."""
    rows = ", ".join(
        f"('T{k:02d}', 'P9', '390', '11', 'H{100 + k}', '2021-08-01 09:00:00', 100, 100, "
        f"{60 + k + 31 - extra})"
        for k in range(extra)
    )
    wsd.con.execute(
        "INSERT INTO claims (setl_id, psn_no, insutype, med_type, fixmedins_code, setl_time, "
        f"medfee_sumamt, inscp_scp_amt, hifp_pay, _load_id, _row) SELECT *, 1, 100 + "
        f"row_number() OVER () FROM (VALUES {rows})"
    )
    path = wsd.path
    wsd.close()
    code, out, _ = _settle(workspace=path, year=2021)
    assert code == 0
    hospitals = [r[0] for r in _cells(out)[6:]]
    assert len(hospitals) == 2 + extra - hidden and hospitals[0] == f"H{99 + extra}"
    last = out.splitlines()[-1]
    if hidden:
        assert hospitals[-1] == "H101"
        more = f"另有 {hidden} 家定点医药机构存在不一致,未列出;全部见表 settle_discrepancies"
        assert last == more
    else:
        assert hospitals[-1] == "县人民医院(H001)" and last.startswith("└")


def test_the_policy_named_on_the_command_line_is_the_one_used(wsd: Workspace, tmp_path: Path):
    text = (PRESET_DIR / "demo-county.yaml").read_text(encoding="utf-8")
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        text.replace("label: 示范县医保待遇政策(居民与职工)", "label: 本地政策"), "utf-8"
    )
    path = wsd.path
    wsd.close()
    code, out, _ = _settle(workspace=path, year=2021, policy=str(mine))
    assert code == 0 and out.startswith("已复核 2021 年度 4 张结算单(本地政策);")


def test_the_engine_chosen_on_the_command_line_reaches_the_settlement(
    wsd: Workspace, tmp_path: Path, monkeypatch
):
    """`--engine pyspark` is passed on in both modes (spied here, settled on DuckDB: the PySpark
    runs themselves are the spark tests'); the parity tests could not see it dropped."""
    engines: list[str] = []
    settle_file, build_context = cli.settle_file, cli.build_context

    def file_spy(policy, claims, *, engine, today=None):
        engines.append(engine)
        return settle_file(policy, claims, today=today)

    def context_spy(ws, year, *, policy=None, engine):
        engines.append(engine)
        return build_context(ws, year, policy=policy)

    monkeypatch.setattr(cli, "settle_file", file_spy)
    monkeypatch.setattr(cli, "build_context", context_spy)
    f = tmp_path / "c.csv"
    f.write_text(HEADER + GOOD, encoding="utf-8")
    assert _settle(claims=f, out_file=tmp_path / "o.csv", engine="pyspark")[0] == 0
    path = wsd.path
    wsd.close()
    assert _settle(workspace=path, year=2021, engine="pyspark")[0] == 0
    assert engines == ["pyspark", "pyspark"]
    assert _settle(workspace=path, year=2021, engine="spark") == (
        2,
        "",
        "错误: 未知的计算引擎「spark」;可选 duckdb、pyspark\n",
    )
