"""The fast path of ``prepare`` (canonical cells skip the clean-up chain) changes nothing.

Every cell is prepared twice, with and without the fast path, and every prepared column
(cleaned text as :func:`cell_text` gives it, typed value, original key text, ID problem) must
be identical.  The cells are
skewed to the borders of the fast path's tests: canonical forms next to their near misses
(padding, signs, one decimal, ``infinity``, five-digit years, lower-case ``x``, full-width
keys, code labels, Excel serials).
"""

from __future__ import annotations

import functools
from datetime import date

import duckdb
import ibis
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.ingest.validate import ROW, cell_text, prepare
from yibao.schema import get_table

TODAY = date(2026, 12, 1)

NEAR = {
    "timestamp": [
        "2021-03-05 08:00:00", "2021-3-5 08:00:00", " 2021-03-05 08:00:00", "2021-03-05 08:00",
        "2021-03-05T08:00:00", "2021/03/05 08:00:00", "20210305080000", "44260.5", "infinity",
        "20211-03-05 08:00:0", "2021-02-30 08:00:00", "2021-03-05 08:00:00.0",
        "0021-01-01 00:00:00",
        "2021年3月5日 08:00:00", "NULL", "", "2021-03-05 24:00:00",
    ],
    "date": ["2021-03-05", "2021-3-5", "20210305", "44260", "infinity", "2021-02-29", " 2021-03-05",
             "0021-01-01", "2021.03.05", "-2021-03-05"],
    "money": ["37.00", "37", "37.5", "-0.00", "-37.00", "1,234.50", "¥37.00", " 37.00", "1e5",
              "37.001", "99999999999999999.00", "100000000.01", "0.00", "NaN", "null", "64,41"],
    "int": ["7", "007", "-7", "7.0", " 7", "1,000", "99999999999999999999", "36601", "+7"],
}


def _base(col) -> list[str]:
    if col.codes is not None:
        return [*col.codes, *col.value_map(), " 390", "390.0", "3 ", "x"]
    if col.check == "certno":
        return ["430921195001010010", "43092119500101001x", "43092119500101001X",
                "430921195001010011", " 430921195001010010", "４３0921195001010010",
                "43092119500101001", "990921195001010010", "430921195002300010"]
    if col.dtype == "string":
        return ["S001", "s001", " S001", "Ｓ００１", "S 001", "NULL", "null", "", "S\u200b001",
                "H430921001", "内科"]
    return NEAR.get(col.dtype, ["0.5", "1", " 1", "x"])


def _cells(col) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(_base(col)), st.text(max_size=12))


def _rows(table):
    return st.lists(
        st.fixed_dictionaries({c.name: _cells(c) for c in table.columns}), min_size=1, max_size=150
    )


@functools.cache
def _sql(table_name: str, fast: bool) -> str:
    """Compiled once per table and path: the examples only change the rows."""
    table = get_table(table_name)
    schema = {c.name: "string" for c in table.columns} | {ROW: "int64"}
    t = ibis.table(schema, name="cells")
    p = prepare(t, table, TODAY, fast=fast)
    # The text as the checks see it: the fast path stores none for canonical typed cells.
    p = p.mutate(**{f"s__{c.name}": cell_text(p, c) for c in table.columns})
    return str(ibis.to_sql(p, dialect="duckdb"))


def _prepared(con, table, fast: bool) -> list[dict]:
    cur = con.execute(f"SELECT * FROM ({_sql(table.name, fast)}) ORDER BY {ROW}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _check(table_name: str, rows: list[dict]) -> None:
    table = get_table(table_name)
    data = {c.name: pa.array([r[c.name] for r in rows], pa.string()) for c in table.columns}
    data[ROW] = pa.array(range(2, len(rows) + 2), pa.int64())
    con = duckdb.connect()
    con.register("cells_arrow", pa.table(data))
    con.execute("CREATE TABLE cells AS SELECT * FROM cells_arrow")
    fast, slow = _prepared(con, table, True), _prepared(con, table, False)
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow, strict=True):
        assert f == s, {k: (f[k], s[k]) for k in f if f[k] != s[k]}


def _every_near_value(table_name: str) -> list[dict]:
    """Every border value of every column, each in a row with the others' values cycling."""
    cols = get_table(table_name).columns
    n = max(len(_base(c)) for c in cols)
    return [{c.name: _base(c)[i % len(_base(c))] for c in cols} for i in range(n)]


def test_every_border_value_takes_the_same_path_result():
    _check("claims", _every_near_value("claims"))
    _check("persons", _every_near_value("persons"))
    _check("enrolments", _every_near_value("enrolments"))


# Few examples of many rows: each example costs two plans of a ~100 kB query, the rows are cheap.
@settings(max_examples=8, deadline=None)
@given(st.data())
def test_claims_fast_path_changes_nothing(data):
    _check("claims", data.draw(_rows(get_table("claims"))))


@settings(max_examples=5, deadline=None)
@given(st.data())
def test_persons_fast_path_changes_nothing(data):
    _check("persons", data.draw(_rows(get_table("persons"))))
