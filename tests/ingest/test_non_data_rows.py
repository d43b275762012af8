"""Issue 12: blank and 合计/小计/总计 rows are skipped and counted; a filled key is no total."""

from __future__ import annotations

import duckdb

from yibao.ingest.loader import drop_non_data_rows


def _stage(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE s (c0 VARCHAR, c1 VARCHAR, c2 VARCHAR, c3 VARCHAR, _row BIGINT)")
    con.executemany("INSERT INTO s VALUES (?, ?, ?, ?, ?)", rows)
    return con


def test_blank_total_and_subtotal_rows_go_and_records_stay():
    con = _stage(
        [
            ("1", "S1", "100.00", "备注", 2),
            (None, " ", "", None, 3),  # blank
            ("", "合  计", "100.00", "", 4),  # total: key empty or the word
            ("小计:", None, "100.00", None, 5),
            ("本页合计", "本页合计", "100.00", None, 6),
            ("2", "S2", "合计", "200.00", 7),  # a record: its key is filled
            ("3", "合计单", "10.00", None, 8),  # a key that merely contains 计
            ("制表人:赵六", None, None, None, 9),  # only an unmapped column: a note, blank
        ]
    )
    skipped = drop_non_data_rows(con, "s", 4, key_positions=[1], mapped=[1, 2, 3])
    assert (skipped.blank, skipped.totals) == (2, 3)
    assert [r[0] for r in con.execute("SELECT _row FROM s ORDER BY 1").fetchall()] == [2, 7, 8]


def test_nothing_to_skip_changes_nothing():
    con = _stage([("1", "S1", "1", "1", 2)])
    skipped = drop_non_data_rows(con, "s", 4, key_positions=[1])
    assert (skipped.blank, skipped.totals) == (0, 0) and con.execute(
        "SELECT count(*) FROM s"
    ).fetchone()[0] == 1
