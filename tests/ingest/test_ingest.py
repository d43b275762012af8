"""Contract tests for `yibao ingest`: encodings, headers, quarantine, idempotence, atomicity."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import CLAIM_HEADER_CN, TODAY, claim_row, valid_id, write_csv
from yibao.engine import Workspace
from yibao.ingest import ingest_file


def _ingest(ws: Workspace, path: Path, table: str = "claims"):
    return ingest_file(ws, path, table, today=TODAY)


def test_gbk_csv_with_chinese_headers_loads_exactly(ws, tmp_path):
    f = write_csv(
        tmp_path / "结算.csv",
        CLAIM_HEADER_CN,
        [
            claim_row(1),
            claim_row(
                2, 医疗费总额="1,234.50", 符合政策范围金额="1000.1", 基本医疗保险统筹基金支出="500"
            ),
        ],
        encoding="gbk",
    )
    res = _ingest(ws, f)
    assert res.exit_status == 0, res.message
    assert (res.rows_total, res.rows_accepted, res.rows_quarantined) == (2, 2, 0)
    rows = ws.con.execute(
        "SELECT setl_id, medfee_sumamt, inscp_scp_amt, setl_time, "
        "psn_idet_type, _row FROM claims ORDER BY setl_id"
    ).fetchall()
    assert rows[1][1] == Decimal("1234.50") and rows[1][2] == Decimal("1000.10")
    assert rows[0][3].isoformat(sep=" ") == "2021-03-02 10:00:00"
    assert rows[0][4] == "普通人员" and [r[5] for r in rows] == [2, 3]
    enc = ws.con.execute("SELECT encoding FROM _loads").fetchone()[0]
    assert enc == "gb18030"


def test_field_codes_canonical_names_and_unit_suffixes_all_match(ws, tmp_path):
    header = [
        "setl_id",
        "psn_no",
        "insutype",
        "med_type",
        "fixmedins_code",
        "结算时间",
        "医疗费总额(元)",
        "inscp_scp_amt",
    ]
    f = write_csv(
        tmp_path / "codes.csv", header, [["S1", "P1", "390", "11", "H1", "20210304", "10", "8"]]
    )
    res = _ingest(ws, f)
    assert res.exit_status == 0, res.message
    assert ws.con.execute("SELECT setl_time::VARCHAR, medfee_sumamt FROM claims").fetchone() == (
        "2021-03-04 00:00:00",
        Decimal("10.00"),
    )


def test_bad_rows_are_quarantined_with_file_row_column_and_chinese_reason(ws, tmp_path):
    rows = [
        claim_row(1),
        claim_row(2, 符合政策范围金额="200000.00"),  # above total
        claim_row(3, 医疗类别="99"),  # unknown code
        claim_row(4, 医疗费总额="-1.00", 符合政策范围金额="0"),  # negative
        claim_row(5, 证件号码=valid_id(5)[:-1] + ("0" if valid_id(5)[-1] != "0" else "1")),
        claim_row(6, 结算时间="2021-02-30 10:00:00"),  # no such date
        claim_row(7, 医疗费总额="12.345"),  # three decimals
        claim_row(1),  # duplicate setl_id of row 2
        claim_row(9, 结算ID=""),  # required
    ]
    f = write_csv(tmp_path / "bad.csv", CLAIM_HEADER_CN, rows, encoding="gbk")
    res = _ingest(ws, f)
    assert res.exit_status == 1
    assert (res.rows_total, res.rows_accepted, res.rows_quarantined) == (9, 1, 8)
    q = ws.con.execute(
        "SELECT file_name, row_no, column_name, header, reason FROM _quarantine "
        "ORDER BY row_no, column_name"
    ).fetchall()
    by_row = {}
    for fname, row, col, header, reason in q:
        assert fname == "bad.csv"
        by_row.setdefault(row, []).append((col, header, reason))
    assert ("inscp_scp_amt", "符合政策范围金额", "符合政策范围金额大于医疗费总额") in by_row[3]
    assert by_row[4][0][:2] == ("med_type", "医疗类别") and "代码不存在" in by_row[4][0][2]
    assert any("不能小于" in r for _, _, r in by_row[5])
    assert any("校验码" in r for _, _, r in by_row[6])
    assert any(c == "setl_time" and "不是有效的日期时间" in r for c, _, r in by_row[7])
    assert any("金额" in r for _, _, r in by_row[8])
    assert any("重复" in r and "第2行" in r for _, _, r in by_row[9])
    assert any("必填" in r for _, _, r in by_row[10])
    # Nothing is lost: the whole original record is kept beside the reason.
    rec = json.loads(
        ws.con.execute("SELECT record FROM _quarantine WHERE row_no = 3").fetchone()[0]
    )
    assert rec["符合政策范围金额"] == "200000.00"
    assert ws.count("claims") == 1


def test_reimport_of_the_same_file_changes_nothing(ws, tmp_path):
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1), claim_row(2, 医疗类别="99")])
    first = _ingest(ws, f)
    snapshot = [ws.count(t) for t in ("claims", "_loads", "_quarantine")]
    second = _ingest(ws, f)
    assert second.already_loaded and second.exit_status == first.exit_status == 1
    assert "未做任何改动" in second.message
    assert [ws.count(t) for t in ("claims", "_loads", "_quarantine")] == snapshot


def test_overlapping_export_skips_identical_rows_and_quarantines_conflicts(ws, tmp_path):
    """Issue 11 §6/§7: an overlapping re-export is not "partly quarantined" and its already
    loaded rows are not stored again in _quarantine; a changed row with a known key is."""
    a = write_csv(tmp_path / "a.csv", CLAIM_HEADER_CN, [claim_row(1), claim_row(2)])
    b = write_csv(
        tmp_path / "b.csv",
        CLAIM_HEADER_CN,
        [claim_row(2), claim_row(3), claim_row(1, 医疗费总额="100001.00")],
    )
    assert _ingest(ws, a).exit_status == 0
    res = _ingest(ws, b)
    assert (res.exit_status, res.rows_accepted, res.rows_quarantined, res.rows_already) == (
        1,
        1,
        1,
        1,
    )
    assert ws.count("claims") == 3
    rows = ws.con.execute("SELECT row_no, reason FROM _quarantine").fetchall()
    assert len(rows) == 1 and rows[0][0] == 4
    assert "已存在于工作区" in rows[0][1] and "不同" in rows[0][1]
    assert "1 行此前已导入" in res.message


def test_missing_required_column_rejects_the_file(ws, tmp_path):
    f = write_csv(tmp_path / "x.csv", ["结算ID", "人员编号"], [["S1", "P1"]])
    res = _ingest(ws, f)
    assert res.exit_status == 2
    assert "缺少必需的列" in res.message and "医疗类别" in res.message and "x.csv" in res.message
    assert ws.count("claims") == 0 and ws.count("_loads") == 0


def test_xlsx_and_parquet_load(ws, tmp_path):
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(CLAIM_HEADER_CN)
    sh.append(claim_row(1))
    sh.append(claim_row(2, 医疗类别=21))  # numbers typed as numbers in Excel
    wb.save(tmp_path / "c.xlsx")
    assert _ingest(ws, tmp_path / "c.xlsx").exit_status == 0
    t = pa.table(
        {h: [str(v) for v in claim_row(3)[i : i + 1]] for i, h in enumerate(CLAIM_HEADER_CN)}
    )
    pq.write_table(t, tmp_path / "c.parquet")
    assert _ingest(ws, tmp_path / "c.parquet").exit_status == 0
    assert ws.count("claims") == 3
    assert ws.con.execute("SELECT DISTINCT med_type FROM claims").fetchall() == [("21",)]


def test_utf8_bom_header_is_recognised(ws, tmp_path):
    f = write_csv(tmp_path / "bom.csv", CLAIM_HEADER_CN, [claim_row(1)], encoding="utf-8-sig")
    assert _ingest(ws, f).exit_status == 0


def test_undecodable_file_is_rejected_with_a_chinese_message(ws, tmp_path):
    f = tmp_path / "garbage.csv"
    f.write_bytes(b"\xff\xfe\x00\x00" + bytes(range(256)) * 10)
    res = _ingest(ws, f)
    assert res.exit_status == 2 and "garbage.csv" in res.message
    assert ws.count("_loads") == 0


def test_an_exception_mid_load_rolls_everything_back(ws, tmp_path, monkeypatch):
    import yibao.ingest.loader as loader

    real = loader._run

    def boom(con, sql, params=None):
        res = real(con, sql, params)
        if sql.startswith("INSERT INTO claims"):  # the rows went in; then the disk is full
            raise RuntimeError("disk full")
        return res

    monkeypatch.setattr(loader, "_run", boom)
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1), claim_row(2)])
    with pytest.raises(RuntimeError):
        _ingest(ws, f)
    assert ws.count("claims") == 0 and ws.count("_loads") == 0
    monkeypatch.setattr(loader, "_run", real)
    assert _ingest(ws, f).exit_status == 0 and ws.count("claims") == 2


def test_a_killed_process_mid_load_leaves_nothing_behind(tmp_path):
    """The process dies (os._exit) after the rows went in but before the load was recorded."""
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(i) for i in range(1, 50)])
    wsdir = tmp_path / "ws"
    script = textwrap.dedent(f"""
        import os
        import yibao.ingest.loader as loader
        from yibao.engine import Workspace
        real = loader._run
        def die(con, sql, params=None):
            res = real(con, sql, params)
            if sql.startswith("INSERT INTO claims"):
                os._exit(9)
            return res
        loader._run = die
        ws = Workspace.create({str(wsdir)!r})
        loader.ingest_file(ws, {str(f)!r}, "claims")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    with Workspace.open(wsdir) as ws:
        assert ws.count("claims") == 0 and ws.count("_loads") == 0
        res = ingest_file(ws, f, "claims", today=TODAY)
        assert res.exit_status == 0 and ws.count("claims") == 49


def test_gbk_text_first_met_after_the_first_megabyte_is_still_detected(ws, tmp_path):
    rows = [
        claim_row(i, 人员身份类别="普通人员" if i < 12000 else "低保对象") for i in range(1, 12100)
    ]
    f = tmp_path / "late.csv"
    header = ",".join(
        [
            "setl_id",
            "psn_no",
            "certno",
            "insutype",
            "med_type",
            "fixmedins_code",
            "hi_setl_lv",
            "offsite_flag",
            "psn_idet_type",
            "setl_time",
            "medfee_sumamt",
            "inscp_scp_amt",
            "hifp_pay",
        ]
    )
    # ASCII header and ASCII rows for well over 1 MB, Chinese (GBK) only near the end.
    body = "\n".join(",".join(str(c) for c in r).replace("普通人员", "") for r in rows)
    f.write_bytes((header + "\n" + body + "\n").encode("gbk"))
    assert f.stat().st_size > 1024 * 1024
    res = _ingest(ws, f)
    assert res.exit_status == 0, res.message
    assert (
        ws.con.execute("SELECT count(*) FROM claims WHERE psn_idet_type = '低保对象'").fetchone()[0]
        == 100
    )


def test_a_path_with_a_quote_is_fine(ws, tmp_path):
    d = tmp_path / "O'Brien"
    d.mkdir()
    f = write_csv(d / "c.csv", CLAIM_HEADER_CN, [claim_row(1)])
    assert _ingest(ws, f).exit_status == 0
