"""File row numbers on a file the reader splits across both cores (issue 17).

The staged rows are numbered by their rowid, which follows the file only while the read keeps
insertion order; a file of one row group would pass even if it did not.  These files span
several row groups (122,880 rows each), inside the import's transaction, with non-data rows
deleted and, in the second case, a record the CSV reader refuses."""

from __future__ import annotations

import pytest

from helpers import CLAIM_HEADER_CN, TODAY, claim_row, write_csv
from yibao.ingest import ingest_file

N = 300_000
BAD = {0: "2021-02-30 10:00:00", 123_456: "2021-13-01", 250_000: "x", N - 1: "2021-02-29"}


def _rows() -> list[list[object]]:
    template = claim_row(1)
    at = CLAIM_HEADER_CN.index("结算时间")
    rows = []
    for i in range(N):
        r = list(template)
        r[0] = f"S{i:07d}"
        if i in BAD:
            r[at] = BAD[i]
        rows.append(r)
    return rows


@pytest.mark.parametrize("refused", [False, True], ids=["plain", "with-refused-record"])
def test_rows_keep_their_file_numbers_across_row_groups(ws, tmp_path, refused):
    rows = _rows()
    # A blank row and a 合计 row before data row 200,000.
    rows[200_000:200_000] = [[""] * len(CLAIM_HEADER_CN), ["合计", *[""] * (len(rows[0]) - 1)]]
    if refused:  # a record with an extra field at file row 170,002
        rows[170_000:170_000] = [[*rows[0][:-1], "1,2", "3"]]
    f = write_csv(tmp_path / "big.csv", CLAIM_HEADER_CN, rows)

    def file_row(i: int) -> int:  # data row i (from 0) → its row in the file (header = 1)
        return i + 2 + (i >= 170_000 and refused) + 2 * (i >= 200_000)

    res = ingest_file(ws, f, "claims", today=TODAY)
    assert res.rows_accepted == N - len(BAD)
    got = dict(ws.con.execute("SELECT row_no, column_name FROM _quarantine").fetchall())
    want = {file_row(i): "setl_time" for i in BAD}
    if refused:
        want[170_002] = "_record"
    assert got == want
    # The raw record stored with each quarantined row is that row's, across row groups.
    records = ws.con.execute(
        "SELECT row_no, json_extract_string(record, '$.结算ID') FROM _quarantine "
        "WHERE column_name = 'setl_time'"
    ).fetchall()
    assert sorted(records) == sorted((file_row(i), f"S{i:07d}") for i in BAD)
    sample = [1, 122_879, 122_880, 169_999, 170_000, 199_998, 199_999, 200_000, N - 2]
    stored = dict(
        ws.con.execute(
            "SELECT setl_id, _row FROM claims WHERE setl_id IN "
            f"({', '.join(repr(f'S{i:07d}') for i in sample)})"
        ).fetchall()
    )
    assert stored == {f"S{i:07d}": file_row(i) for i in sample}


def test_staging_tables_are_dropped_after_a_rejected_file_and_after_a_load(ws, tmp_path):
    """Staging runs outside the import's transaction, so no rollback removes its tables."""
    bad = write_csv(tmp_path / "bad.csv", ["结算ID", "人员编号"], [["S1", "P1"]])
    good = write_csv(tmp_path / "good.csv", CLAIM_HEADER_CN, [claim_row(1), claim_row(2)])
    assert ingest_file(ws, bad, "claims", today=TODAY).exit_status == 2
    assert ingest_file(ws, good, "claims", today=TODAY).rows_accepted == 2
    left = ws.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE '\\_stage%' "
        "ESCAPE '\\' UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary "
        "AND view_name LIKE '\\_stage%' ESCAPE '\\'"
    ).fetchall()
    assert left == []
    assert list(ws.tmpdir.glob("*.parquet")) == []  # the prepared tables' files too


def test_the_prepared_table_is_a_file_in_tmp_while_the_checks_run(ws, tmp_path, monkeypatch):
    """The prepared table lives in tmp/ as Parquet (compressed), not as a TEMP table that
    DuckDB would evict to disk uncompressed; the import removes it when it ends."""
    from yibao.ingest import loader

    seen: list[list[str]] = []
    real = loader.check

    def spy(t, *a, **k):
        seen.append(sorted(p.name for p in ws.tmpdir.glob("*.parquet")))
        return real(t, *a, **k)

    monkeypatch.setattr(loader, "check", spy)
    good = write_csv(tmp_path / "good.csv", CLAIM_HEADER_CN, [claim_row(1), claim_row(2)])
    assert ingest_file(ws, good, "claims", today=TODAY).rows_accepted == 2
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith("_stage_")
    assert list(ws.tmpdir.glob("*.parquet")) == []
