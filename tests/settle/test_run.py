"""Workspace settlement end to end through its Python entry points (issue 19).

The claims are written straight into a fresh workspace (no ingest: a second, not ten), each
chosen for one branch of settle/run: a recorded payment that agrees, one that differs, one not
recorded, an employee whose account paid more than his part, a claim of another year.  Every
stored row is compared whole with figures worked by hand under demo-county.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from yibao.engine import Workspace
from yibao.pipeline import provenance
from yibao.policy import load_policy
from yibao.policy.loader import PRESET_DIR
from yibao.settle.run import (
    _run_chain,
    discrepancy_summary,
    hospital_label,
    hospital_names,
    settle_file,
    settle_workspace,
)

D = Decimal


def _rows(w: Workspace, sql: str) -> list[tuple]:
    return w.con.execute(sql).fetchall()


def test_a_year_is_settled_stored_and_compared_with_what_was_recorded(wsd: Workspace):
    out = settle_workspace(wsd, 2021, policy_ref="demo-county")
    assert (out.ok, out.error_count, out.errors, out.rows) == (True, 0, [], 4)
    assert _rows(
        wsd,
        "SELECT setl_id, year, hifp_pay, hifob_pay, hifmi_pay, maf_pay, psn_part_amt, "
        "psn_idet_type, psn_idet_source, policy_name, settled_at IS NOT NULL "
        "FROM settlements ORDER BY 1",
    ) == [
        ("S1", 2021, D("57980.00"), D("0.00"), D("12012.00"), D("0.00"), D("30008.00"),
         "普通人员", "结算单", "demo-county", True),
        ("S2", 2021, D("150.00"), D("0.00"), D("0.00"), D("0.00"), D("150.00"),
         None, "未记录,按普通人员", "demo-county", True),
        ("S3", 2021, D("100.00"), D("0.00"), D("0.00"), D("0.00"), D("100.00"),
         "低保对象", "人员登记(persons)", "demo-county", True),
        ("S4", 2021, D("200000.00"), D("23280.00"), D("0.00"), D("0.00"), D("76720.00"),
         "普通人员", "结算单", "demo-county", True),
    ]  # fmt: skip
    assert _rows(wsd, "SELECT * FROM settle_discrepancies ORDER BY 1") == [
        # S2: 统筹 recorded 160, computed 150; the personal part 140 vs 150.
        ("S2", 2021, "H002", "P1", "11",
         D("160.00"), D("150.00"), D("10.00"), None, D("0.00"), D("0.00"),
         D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
         D("140.00"), D("150.00"), D("-10.00"), None, D("0.00")),
        # S4: every fund agrees, but the account paid 3,280.00 more than the personal part.
        ("S4", 2021, "H001", "Q1", "21",
         D("200000.00"), D("200000.00"), D("0.00"), D("23280.00"), D("23280.00"), D("0.00"),
         D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
         D("76720.00"), D("76720.00"), D("0.00"), D("80000.00"), D("3280.00")),
    ]  # fmt: skip
    assert _rows(
        wsd,
        "SELECT year, fixmedins_code, fund, claims, recorded, computed, diff "
        "FROM settle_discrepancy_summary ORDER BY 2, 3",
    ) == [(2021, "H002", "基本医保统筹基金", 1, D("160.00"), D("150.00"), D("10.00"))]
    by_hosp, by_fund = discrepancy_summary(wsd, 2021)
    zero = D("0.00")
    assert by_hosp == [
        ("H002", 1, D("10.00"), zero, zero, zero),
        ("H001", 1, zero, zero, zero, zero),
    ]
    assert by_fund == [
        ("基本医保统筹基金", 1, D("200160.00"), D("200150.00"), D("10.00")),
        ("职工大额医疗费用补助", 0, D("23280.00"), D("23280.00"), zero),
        ("大病保险", 0, zero, zero, zero),
        ("医疗救助", 0, zero, zero, zero),
    ]
    result = out.result
    assert result.column("setl_id").to_pylist() == ["S1", "S2", "S3", "S4"]
    assert "policy_name" not in result.column_names and "settled_at" not in result.column_names
    assert "psn_idet_source" not in result.column_names
    assert result.column("acct_excess_fen").to_pylist() == [0, 0, 0, 328000]


def test_settling_a_year_again_replaces_its_rows_and_keeps_the_others(wsd: Workspace):
    settle_workspace(wsd, 2022, policy_ref="demo-county")
    settle_workspace(wsd, 2021, policy_ref="demo-county")
    settle_workspace(wsd, 2021, policy_ref="demo-county")
    assert _rows(wsd, "SELECT year, count(*) FROM settlements GROUP BY 1 ORDER BY 1") == [
        (2021, 4),
        (2022, 1),
    ]
    assert _rows(wsd, "SELECT count(*) FROM settle_discrepancies") == [(2,)]
    assert discrepancy_summary(wsd, 2022) == (
        [],
        [(label, 0, D("0.00"), D("0.00"), D("0.00")) for label in
         ("基本医保统筹基金", "职工大额医疗费用补助", "大病保险", "医疗救助")],
    )  # fmt: skip


def test_a_claim_the_policy_cannot_settle_stops_the_year_and_stores_nothing(wsd: Workspace):
    wsd.con.execute("UPDATE claims SET med_type = '13' WHERE setl_id = 'S3'")
    wsd.con.execute("UPDATE claims SET hi_setl_lv = NULL WHERE setl_id = 'S1'")
    out = settle_workspace(wsd, 2021, policy_ref="demo-county")
    assert (out.ok, out.error_count, out.rows) == (False, 2, 0)
    assert out.errors == [
        {
            "row": None,
            "setl_id": "S1",
            "column": "hi_setl_lv",
            "value": "",
            "reason": "住院结算须有医保结算等级 1、2 或 3",
        },
        {
            "row": None,
            "setl_id": "S3",
            "column": "med_type",
            "value": "390/13",
            "reason": "险种 390 的医疗类别 13(急诊)在政策「示范县医保待遇政策(居民与职工)」中"
            "没有待遇规定",
        },
    ]
    stored = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'settlements'"
    assert _rows(wsd, stored) == [(0,)]


def test_hospitals_are_shown_by_name_with_their_code(wsd: Workspace):
    names = hospital_names(wsd)
    assert names == {"H001": "县人民医院", "H002": None}
    assert hospital_label("H001", names) == "县人民医院(H001)"
    assert hospital_label("H002", names) == "H002"
    assert hospital_label("H009", names) == "H009"
    assert hospital_label(None, names) == "-" and hospital_label("", names) == "-"


HEADER = "结算ID,人员编号,险种类型,医疗类别,医保结算等级,结算时间,医疗费总额,符合政策范围金额\n"


def test_file_mode_returns_claims_in_the_files_order(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text(
        HEADER
        + "B2,P1,390,11,,2021-04-01 09:00:00,300.00,300.00\n"
        + "A1,P1,390,21,3,2021-03-01 10:00:00,100000.00,90000.00\n"
        + "C3,P1,390,11,,2021-05-01 09:00:00,600.00,600.00\n",
        encoding="utf-8",
    )
    out = settle_file("demo-county", f)
    assert (out.ok, out.rows, out.error_count) == (True, 3, 0)
    r = out.result
    assert r.column("setl_id").to_pylist() == ["B2", "A1", "C3"]
    # 400 a year for general outpatient: 150, then 250 of C3's 300.
    assert r.column("hifp_pay").to_pylist() == [D("150.00"), D("57980.00"), D("250.00")]


def test_file_mode_lists_errors_by_row_then_column_and_counts_them_all(tmp_path: Path, monkeypatch):
    """X2's amounts fail ingest's check, so the policy never sees it; X1 and X3 have no rule."""
    f = tmp_path / "c.csv"
    body = "".join(
        f"X{i},P1,390,13,,2021-04-01 09:00:00,300.00,{'400.00' if i == 2 else '300.00'}\n"
        for i in (3, 2, 1)
    )
    f.write_text(HEADER + body, encoding="utf-8")
    out = settle_file("demo-county", f)
    assert (out.ok, out.error_count, out.result) == (False, 3, None)
    assert [(e["row"], e["column"], e["label"], e["value"]) for e in out.errors] == [
        (2, "med_type", "医疗类别", "390/13"),
        (3, "inscp_scp_amt", "符合政策范围金额", "400.00 > 300.00"),
        (4, "med_type", "医疗类别", "390/13"),
    ]
    monkeypatch.setattr("yibao.settle.run.MAX_ERRORS", 2)
    out = settle_file("demo-county", f)
    assert (out.error_count, len(out.errors)) == (3, 2)


def test_each_stored_table_records_the_query_that_rebuilds_it(wsd: Workspace):
    """The run record's provenance (what a report's appendix cites): each query, run again on
    the same connection, gives the stored rows back."""
    with provenance.capture() as log:
        settle_workspace(wsd, 2021, policy_ref="demo-county")
    assert [(t, label) for t, label, _ in log.entries] == [
        ("settlements", "人员身份类别(结算单,否则参保登记、人员登记)"),
        ("settlements", "一站式结算链"),
        ("settle_discrepancies", "记录支付与复核结果比较"),
    ]
    ident, chain, disc = (sql for _, _, sql in log.entries)
    assert "enrolments" in ident and "persons" in ident
    assert _rows(wsd, f"SELECT setl_id, psn_idet_type FROM ({ident}) ORDER BY 1") == [
        ("S1", "普通人员"),
        ("S2", None),
        ("S3", "低保对象"),
        ("S4", "普通人员"),
    ]
    again = _rows(wsd, f"SELECT setl_id, hifp_pay FROM ({chain}) ORDER BY 1")
    assert again == _rows(wsd, "SELECT setl_id, hifp_pay FROM settlements ORDER BY 1")
    assert _rows(wsd, f"SELECT setl_id FROM ({disc}) ORDER BY 1") == [("S2",), ("S4",)]


def test_settling_one_year_keeps_the_other_years_hospital_summary(wsd: Workspace):
    wsd.con.execute("UPDATE claims SET hifp_pay = 60 WHERE setl_id = 'S5'")  # computed 50
    settle_workspace(wsd, 2022, policy_ref="demo-county")
    settle_workspace(wsd, 2021, policy_ref="demo-county")
    summary = "SELECT year, fixmedins_code, fund, claims, diff FROM settle_discrepancy_summary"
    assert _rows(wsd, summary + " ORDER BY ALL") == [
        (2021, "H002", "基本医保统筹基金", 1, D("10.00")),
        (2022, "H001", "基本医保统筹基金", 1, D("10.00")),
    ]


def test_the_policy_is_the_one_passed_or_a_file_kept_in_the_workspace(
    wsd: Workspace, tmp_path: Path, monkeypatch
):
    """A relative YAML path is the workspace's file, wherever the command runs; a loaded
    Policy is used as it is."""
    shutil.copy(PRESET_DIR / "demo-county.yaml", wsd.path / "local.yaml")
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "local.yaml").exists()
    assert settle_workspace(wsd, 2021, policy_ref="local.yaml").ok
    renamed = dataclasses.replace(load_policy("demo-county"), name="测试政策")
    assert settle_workspace(wsd, 2021, policy_ref=renamed).ok
    assert _rows(wsd, "SELECT DISTINCT policy_name FROM settlements WHERE year = 2021") == [
        ("测试政策",)
    ]


def test_a_file_is_checked_against_the_day_it_is_settled_on(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text(HEADER + "A1,P1,390,11,,2022-01-05 09:00:00,100.00,100.00\n", "utf-8")
    out = settle_file("demo-county", f, today=date(2021, 12, 31))
    assert [(e["row"], e["column"], e["reason"]) for e in out.errors] == [
        (2, "setl_time", "结算时间晚于今天")
    ]
    assert settle_file("demo-county", f, today=date(2022, 1, 5)).ok
    assert settle_file("demo-county", f).ok  # no day given: today's date


def test_the_payments_only_chain_returns_the_payments_alone(tmp_path: Path):
    """What `yibao bench settle` times; the file mode always adds the trace."""
    f = tmp_path / "c.csv"
    f.write_text(HEADER + "A1,P1,390,21,3,2021-03-01 10:00:00,100000.00,90000.00\n", "utf-8")
    typed = settle_file("demo-county", f).claims
    traced = _run_chain(typed, load_policy("demo-county"), "duckdb")
    bare = _run_chain(typed, load_policy("demo-county"), "duckdb", trace=False)
    assert bare.column_names == [
        "setl_id", "psn_no", "year", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay",
        "psn_part_amt",
    ]  # fmt: skip
    assert bare.to_pylist() == traced.select(bare.column_names).to_pylist()


def test_the_claims_are_numbered_without_a_window_so_the_identity_join_uses_every_core(
    wsd: Workspace,
):
    """A window numbering the year's claims (row_number() OVER ()) is a streaming operator
    DuckDB runs on one core: it took the identity join from 8 s to 17 s at 19.7 M claims."""
    settle_workspace(wsd, 2021, policy_ref="demo-county")
    plan = "\n".join(r[1] for r in wsd.con.execute("EXPLAIN SELECT * FROM _settle_in").fetchall())
    base = "\n".join(r[1] for r in wsd.con.execute("EXPLAIN SELECT * FROM _settle_base").fetchall())
    assert "WINDOW" not in base, base
    ids = _rows(wsd, "SELECT count(DISTINCT _row_n), count(*) FROM _settle_in")
    assert ids == [(4, 4)], plan
    # The chain writes straight into settlements: no third copy of every claim in between.
    assert _rows(wsd, "SELECT table_name FROM duckdb_tables() WHERE temporary") == [
        ("_settle_err",),
        ("_settle_in",),
    ]
