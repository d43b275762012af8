"""Each expression of ``ingest.validate`` against values worked out by hand, on DuckDB in memory.

The loader tests go through a workspace (about 3 s each) and the fast-path test only holds two
paths of ``prepare`` to each other, so neither pins what a cell *becomes*.  These tests do, in
milliseconds: cleaned text, typed value, every reason ``check`` gives with its row and column,
the row rules, the duplicate and already-loaded keys, and the accepted rows.  They are the
tests ``make mutate`` runs over ``ingest/validate.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from helpers import valid_id
from yibao.ingest import validate as V
from yibao.schema import get_table
from yibao.schema.model import Column, Table

TODAY = date(2026, 11, 23)
AREAS = ("430000", "430900", "430921", "110101")


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _one_column(con, cells: list[str | None], fn: Callable[[ir.StringValue], ir.Value]) -> list:
    t = ibis.memtable(pa.table({"c": pa.array(cells, pa.string())}))
    return con.to_pyarrow(t.select(out=fn(t.c))).column("out").to_pylist()


def _col(dtype: str, **kw) -> Column:
    return Column("x", dtype, "某列", **kw)


# ---------------------------------------------------------------- cell-level expressions


def test_clean_text_trims_and_reads_only_empty_and_null_spellings_as_missing(con):
    cells = [" a ", "", "   ", "NULL", " null ", "Null", "None", "NaN", "-", None]
    assert _one_column(con, cells, V.clean_text) == [
        "a", None, None, None, None, "Null", "None", "NaN", "-", None
    ]


def test_one_of_short_and_long_lists_are_membership(con):
    short = ["a", "b", "c"]
    long = [f"v{i}" for i in range(40)]
    cells = ["a", "c", "d", "v0", "v39", "v40", None]
    assert _one_column(con, cells, lambda s: V.one_of(s, short)) == [
        True, True, False, False, False, False, None
    ]
    assert _one_column(con, cells, lambda s: V.one_of(s, long)) == [
        False, False, False, True, True, False, None
    ]
    assert _one_column(con, ["a", "b"], lambda s: V.one_of(s, ["b"])) == [False, True]


def test_number_expr_drops_currency_and_only_grouping_commas(con):
    cells = ["¥1,234.50", "￥37", "1，234.00", "64,41", " 37 ", "1,234,567.8", "12,34,567", "7"]
    assert _one_column(con, cells, V.number_expr) == [
        "1234.50", "37", "1234.00", "64,41", "37", "1234567.8", "12,34,567", "7"
    ]


def test_date_expr_rewrites_the_date_part_only(con):
    cells = ["2021.3.4", "2021/3/4 08:00:00.0", "2021年3月4日", "2021年3月4日 08:00",
             "44260.5", "44260", "2021-03-04T08:00:00.5"]
    assert _one_column(con, cells, V.date_expr) == [
        "2021-3-4", "2021-3-4 08:00:00.0", "2021-3-4", "2021-3-4 08:00",
        "44260.5", "44260", "2021-03-04T08:00:00.5"
    ]


def test_excel_serials_are_days_since_1899_12_30_to_the_second(con):
    cells = ["44260", "44260.5", "44260.25", "44260.0000115741", "10000"]
    assert _one_column(con, cells, V.excel_serial) == [
        datetime(2021, 3, 5), datetime(2021, 3, 5, 12), datetime(2021, 3, 5, 6),
        datetime(2021, 3, 5, 0, 0, 1), datetime(1927, 5, 18),
    ]


def test_normalise_shape_of_dates_and_timestamps(con):
    d, ts = _col("date"), _col("timestamp")
    cells = ["20210304", "20210304081502", "44260", "2021-3-4", "2021030", "44260.5"]
    assert _one_column(con, cells, lambda s: V.normalise_shape(d, s)) == [
        "2021-03-04", "2021-03-04 08:15:02", "2021-03-05", "2021-3-4", "2021030", "2021-03-05"
    ]
    assert _one_column(con, cells, lambda s: V.normalise_shape(ts, s)) == [
        "2021-03-04", "2021-03-04 08:15:02", "2021-03-05 00:00:00", "2021-3-4", "2021030",
        "2021-03-05 12:00:00",
    ]


def test_normalise_shape_of_excel_float_codes_and_areas(con):
    code = get_table("claims").column("insutype")
    area = get_table("persons").column("region_code")
    cells = ["390.0", "390.00", "390", "390.5", "x.0", "430921.0", "43092.0"]
    assert _one_column(con, cells, lambda s: V.normalise_shape(code, s)) == [
        "390", "390", "390", "390.5", "x.0", "430921", "43092"
    ]
    assert _one_column(con, cells, lambda s: V.normalise_shape(area, s)) == [
        "390.0", "390.00", "390", "390.5", "x.0", "430921", "43092.0"
    ]
    # Codes with letters keep their ".0": it cannot be Excel's float of a number.
    gend = get_table("persons").column("gend")
    assert all(k.isdigit() for k in gend.codes)
    label = _col("string", codes={"A": "甲", "1": "乙"})
    assert _one_column(con, ["1.0"], lambda s: V.normalise_shape(label, s)) == ["1.0"]


def test_normalise_text_per_kind_of_column(con):
    insutype = get_table("claims").column("insutype")
    certno = get_table("claims").column("certno")
    key = get_table("claims").column("setl_id")
    free = get_table("persons").column("psn_name")
    assert _one_column(con, ["居民医保", "390", "x"], lambda s: V.normalise_text(insutype, s))[
        1:
    ] == ["390", "x"]
    assert _one_column(con, ["43092119800517001x"], lambda s: V.normalise_text(certno, s)) == [
        "43092119800517001X"
    ]
    assert _one_column(con, ["ｓ００１"], lambda s: V.normalise_text(key, s)) == ["S001"]
    assert _one_column(con, ["张 三x"], lambda s: V.normalise_text(free, s)) == ["张 三x"]
    assert _one_column(con, ["¥1,000.00"], lambda s: V.normalise_text(_col("money"), s)) == [
        "1000.00"
    ]
    assert _one_column(con, ["2021/3/4"], lambda s: V.normalise_text(_col("date"), s)) == [
        "2021-3-4"
    ]


def test_insutype_spellings_map_to_codes(con):
    insutype = get_table("claims").column("insutype")
    spellings = insutype.value_map()
    name, code = next((k, v) for k, v in spellings.items() if k != v)
    assert _one_column(con, [name], lambda s: V.normalise_text(insutype, s)) == [code]


def test_parse_accepts_only_the_canonical_shapes(con):
    money = ["37.5", "37", "-0.01", "37.001", "1e5", "37.", ".5", "abc", None]
    assert _one_column(con, money, lambda s: V.parse(_col("money"), s)) == [
        Decimal("37.50"), Decimal("37.00"), Decimal("-0.01"), None, None, None, None, None, None
    ]
    ints = ["7", "-7", "007", "7.0", "1e3", "+7", "x"]
    assert _one_column(con, ints, lambda s: V.parse(_col("int"), s)) == [
        7, -7, 7, None, None, None, None
    ]
    dates = ["2021-3-5", "2021-03-05", "2021-02-30", "2021-03-05 08:00", "20210305", "x"]
    assert _one_column(con, dates, lambda s: V.parse(_col("date"), s)) == [
        date(2021, 3, 5), date(2021, 3, 5), None, date(2021, 3, 5), None, None
    ]
    stamps = ["2021-03-05 08:00", "2021-3-5T08:00:09", "2021-03-05 08:00:00.0", "2021-03-05",
              "2021-03-05 8:00", "2021-03-05 08:00:0", "20210305 08:00"]
    assert _one_column(con, stamps, lambda s: V.parse(_col("timestamp"), s)) == [
        datetime(2021, 3, 5, 8), datetime(2021, 3, 5, 8, 0, 9), datetime(2021, 3, 5, 8),
        datetime(2021, 3, 5), datetime(2021, 3, 5, 8), None, None,
    ]
    assert _one_column(con, ["a", None], lambda s: V.parse(_col("string"), s)) == ["a", None]
    with pytest.raises(ValueError):
        V.parse(_col("blob"), ibis.literal("x"))


def test_rates_parse_as_decimals(con):
    got = _one_column(con, ["0.5", "x", "1", "0.1234567"], lambda s: V.parse(_col("rate"), s))
    assert got == [Decimal("0.500000"), None, Decimal("1.000000"), Decimal("0.123457")]


def test_fast_path_recognises_exactly_the_canonical_cells(con):
    def ok(col: Column, cells: list[str]) -> list[bool]:
        return _one_column(con, cells, lambda s: V.fast_path(col, s)[0])

    assert ok(_col("money"), ["37.00", "37", "37.5", " 37.00", "-37.00"]) == [
        True, False, False, False, True
    ]
    assert ok(_col("int"), ["7", "007", "-7", "+7"]) == [True, False, True, False]
    assert ok(_col("date"), ["2021-03-05", "2021-3-5", "infinity", "2021-03-05 "]) == [
        True, False, False, False
    ]
    assert ok(_col("timestamp"), ["2021-03-05 08:00:00", "2021-03-05 08:00", "infinity"]) == [
        True, False, False
    ]
    certno = get_table("claims").column("certno")
    assert ok(certno, ["43092119800517001X", "43092119800517001x", "4309211980051700"]) == [
        True, False, False
    ]
    key = get_table("claims").column("setl_id")
    assert ok(key, ["S001", "s001", "S 001", "NULL", "null", "Ｓ001"]) == [
        True, True, False, False, False, False
    ]
    assert _one_column(con, ["s001"], lambda s: V.fast_path(key, s)[1]) == ["S001"]
    assert _one_column(con, ["s001"], lambda s: V.fast_path(key, s)[2]) == ["S001"]
    insutype = get_table("claims").column("insutype")
    assert ok(insutype, ["390", "390 ", "居民医保"]) == [True, False, False]
    assert V.fast_path(get_table("persons").column("psn_name"), ibis.literal("x")) is None
    assert V.fast_path(_col("rate"), ibis.literal("x")) is None
    assert V.fast_path(_col("string", codes={" a": "甲"}), ibis.literal("x")) is None


def test_bounds_and_how_they_are_shown():
    claims, funds = get_table("claims"), get_table("subsidy_receipts")
    assert V.plausible_bounds(claims, claims.column("medfee_sumamt")) == (
        Decimal("0"), Decimal("100000000.00")
    )
    money = next(c for c in funds.columns if c.dtype == "money")
    lo, hi = V.plausible_bounds(funds, money)
    assert hi == Decimal("1000000000000.00") and lo in (Decimal("0"), -hi)
    assert V.plausible_bounds(claims, claims.column("act_ipt_days")) == (0, 36_600)
    assert V.plausible_bounds(claims, _col("int", unit="人")) == (-2_000_000_000, 2_000_000_000)
    assert V.plausible_bounds(claims, _col("int")) == (-(10**12), 10**12)
    assert V.plausible_bounds(claims, _col("int", max_value=5)) == (-(10**12), 5)
    assert V.plausible_bounds(claims, _col("date")) == (None, None)
    assert V.plausible_bounds(claims, _col("rate", min_value=Decimal(0))) == (Decimal(0), None)
    assert V._fmt(Decimal("100000000")) == "100,000,000.00"
    assert V._fmt(36_600) == "36,600"
    assert V._fmt(-5) == "-5"


def test_key_columns_are_the_identifiers():
    assert {"setl_id", "psn_no", "fixmedins_code", "mdtrt_id"} <= V.KEY_COLUMNS
    assert "certno" not in V.KEY_COLUMNS and "insutype" not in V.KEY_COLUMNS


# ---------------------------------------------------------------- checks over a prepared table

COMMA_REASON = "中的逗号位置不对:逗号只能用作千位分隔(如 6,441.00);若是小数点请改为“.”"
AREA_T = pa.table({"code": pa.array(AREAS, pa.string())})
GOOD_ID = valid_id(1)  # 430921198005171376


def _refs(con) -> V.Refs:
    return V.Refs(
        area_codes=con.create_table("areas", AREA_T, overwrite=True),
        procedure_codes=con.create_table(
            "procs", pa.table({"code": pa.array(["51.2300"], pa.string())}), overwrite=True
        ),
        diagnosis_codes=con.create_table(
            "diags", pa.table({"code": pa.array(["K80.000"], pa.string())}), overwrite=True
        ),
    )


def _claim(**over: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {c.name: None for c in get_table("claims").columns}
    row.update(
        setl_id="S1", psn_no="P1", certno=GOOD_ID, insutype="390", med_type="21",
        fixmedins_code="H1", setl_time="2021-03-05 08:00:00", medfee_sumamt="100.00",
        inscp_scp_amt="90.00",
    )
    row.update(over)
    return row


def _person(**over: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {c.name: None for c in get_table("persons").columns}
    row.update(psn_no="P1", certno=GOOD_ID, region_code="430921", brdy="1980-05-17")
    row.update(over)
    return row


def _loaded(con, table: str, rows: list[dict]) -> ir.Table:
    """Rows already in the workspace, typed: every column absent from ``rows`` is NULL."""
    t = get_table(table)
    full = [{c.name: None for c in t.columns} | r for r in rows]
    return con.create_table(
        f"loaded_{table}", pa.Table.from_pylist(full, schema=t.arrow_schema()), overwrite=True
    )


def _staged(con, table: str, rows: list[dict]) -> ir.Table:
    cols = get_table(table).columns
    data = {c.name: pa.array([r[c.name] for r in rows], pa.string()) for c in cols}
    data[V.ROW] = pa.array(range(2, len(rows) + 2), pa.int64())
    return con.create_table(f"staged_{table}", pa.table(data), overwrite=True)


def _checked(con, table: str, rows: list[dict], existing: ir.Table | None = None, **kw):
    """(errors as (row, column, value, reason), accepted rows) the way the loader gets them."""
    t = get_table(table)
    prepared = con.create_table(
        "prepared", V.prepare(_staged(con, table, rows), t, TODAY, **kw), overwrite=True
    )
    v = V.check(prepared, t, _refs(con), today=TODAY, existing=existing)
    errs = con.create_table("errs", v.errors, overwrite=True)
    errors = sorted(
        (r["_row"], r["column_name"], r["value"], r["reason"])
        for r in con.to_pyarrow(errs).to_pylist()
    )
    typed = con.to_pyarrow(V.accepted_rows(prepared, t, errs).order_by(V.ROW)).to_pylist()
    return errors, typed


def _batched(con, table: str, cases: dict[str, list[dict]], **kw) -> dict[str, tuple]:
    """Every case of one table checked in one file (a check costs seconds to compile, the rows
    nothing), split back into (errors, accepted rows) per case with rows numbered from 2."""
    rows = [r for case in cases.values() for r in case]
    errors, typed = _checked(con, table, rows, **kw)
    out, first = {}, 2
    for name, case in cases.items():
        last = first + len(case)
        out[name] = (
            [(r - first + 2, *rest) for r, *rest in errors if first <= r < last],
            [dict(x, _row=x[V.ROW] - first + 2) for x in typed if first <= x[V.ROW] < last],
        )
        first = last
    return out


CLAIM_CASES = {
    # First: a duplicate's reason names the row of the file it repeats.
    "dups": [
        _claim(setl_id="D1"), _claim(setl_id="D2"), _claim(setl_id="ｄ1 "),
        _claim(setl_id="D1"), _claim(setl_id=None),
    ],
    "clean": [
        _claim(setl_id=" a1 ", act_ipt_days="3", adm_time="2021/3/1", dise_codg="K80.000",
               oprn_oprt_code="51.2300", hifp_pay="¥57.98"),
    ],
    "cells": [
        _claim(setl_id="S1"),  # row 2: clean
        _claim(setl_id="S2", psn_no="  "),  # 3: required
        _claim(setl_id="S3", medfee_sumamt="12x"),  # 4: not a number
        _claim(setl_id="S4", insutype="999"),  # 5: unknown code
        _claim(setl_id="S5", medfee_sumamt="64,41"),  # 6: misplaced comma
        _claim(setl_id="S6", hifp_pay="-0.01"),  # 7: below 0
        _claim(setl_id="S7", medfee_sumamt="100000000.01", inscp_scp_amt="1"),  # 8: above 1 亿
        _claim(setl_id="S8", act_ipt_days="36601"),  # 9: above the days bound
        _claim(setl_id="S9", setl_time="2026-11-24 00:00:00"),  # 10: after today
        _claim(setl_id="S10", adm_time="1899-12-31"),  # 11: before 1900
        _claim(setl_id="S11", certno="43092119800517001"),  # 12: ID length
        _claim(setl_id="S12", certno=valid_id(2, area="439999")),  # 13: never an area
        _claim(setl_id="S13", dise_codg="X99"),  # 14: not a diagnosis
        _claim(setl_id="S14", oprn_oprt_code="99.9999"),  # 15: not a procedure
        _claim(setl_id="S15", act_ipt_days="1.5"),  # 16: not an integer
        _claim(setl_id="S16", setl_time="2021-02-30 08:00:00"),  # 17: not a date
        _claim(setl_id="S17", setl_time="2026-11-23 23:59:59", act_ipt_days="36600",
               medfee_sumamt="100000000.00", inscp_scp_amt="0"),  # 18: at the bounds: clean
        _claim(setl_id="S18", adm_time="1900-01-01 00:00:00", act_ipt_days="0",
               hifp_pay="0.00"),  # 19: at the lower bounds: clean
        _claim(setl_id="S19", psn_idet_type="贫困户"),  # 20: codes that are names
        _claim(setl_id="S20", hifp_pay="64,41"),  # 21: a comma in an optional amount
        _claim(setl_id="S21", act_ipt_days="1,5"),  # 22: a comma in an integer
        _claim(setl_id="S22", act_ipt_days="1,000"),  # 23: a thousands comma: 1000, clean
        _claim(setl_id="S23", certno="430921198005171370"),  # 24: canonical, wrong check digit
        _claim(setl_id="S24", certno=" 430921202611242436"),  # 25: padded, born tomorrow
    ],
    "first": [
        _claim(setl_id="F1", medfee_sumamt="-1,5"),  # comma first, before type and bound
        _claim(setl_id="F2", medfee_sumamt=None, inscp_scp_amt=None),  # required, not type
    ],
    "rules": [
        _claim(setl_id="R1", inscp_scp_amt="100.01"),
        _claim(setl_id="R2", adm_time="2021-03-05 08:00:01", dscg_time="2021-03-05 08:00:00"),
        _claim(setl_id="R3", hifp_pay="60.00", maf_pay="40.01"),
        _claim(setl_id="R4", hifp_pay="60.00", maf_pay="40.00", inscp_scp_amt="100.00",
               adm_time="2021-03-05 08:00:00", dscg_time="2021-03-05 08:00:00"),  # equal: ok
        _claim(setl_id="R5", hifob_pay="50", cvlserv_pay="50", hifmi_pay="0.01"),
        _claim(setl_id="R6", hifp_pay=None, maf_pay="100.01"),  # a missing fund counts as 0
    ],
}


def test_claims_are_checked_case_by_case(con):
    """One check of every case (the fast path of ``prepare``; tests/ingest/test_fast_path.py
    holds the other to it).  One test, not a module fixture: ``make mutate`` runs only the
    tests that called the mutated function, and a cached fixture calls it for the first only."""
    out = _batched(con, "claims", CLAIM_CASES)
    _a_clean_claim_is_accepted_with_its_typed_values(out["clean"])
    _every_cell_reason_names_its_row_and_column(out["cells"])
    _the_first_failing_check_of_a_cell_is_its_reason(out["first"])
    _row_rules_of_claims(out["rules"])
    _duplicate_keys_point_at_the_first_row_as_the_file_wrote_it(out["dups"])


def _a_clean_claim_is_accepted_with_its_typed_values(case):
    errors, typed = case
    assert errors == []
    [row] = typed
    assert row["_row"] == 2 and row["setl_id"] == "A1" and row["act_ipt_days"] == 3
    assert row["medfee_sumamt"] == Decimal("100.00") and row["hifp_pay"] == Decimal("57.98")
    assert row["adm_time"] == datetime(2021, 3, 1) and row["setl_time"] == datetime(2021, 3, 5, 8)
    assert row["mdtrt_id"] is None and row["maf_pay"] is None
    assert row["dise_codg"] == "K80.000" and row["insutype"] == "390"
    assert set(row) == {V.ROW, *get_table("claims").column_names}


def _every_cell_reason_names_its_row_and_column(case):
    errors, typed = case
    assert errors == [
        (3, "psn_no", None, "人员编号为必填项,不能为空"),
        (4, "medfee_sumamt", "12x", "医疗费总额不是有效的金额(元,最多两位小数)"),
        (5, "insutype", "999",
         "险种类型代码不存在,允许的值(代码或括号中的名称): 310(职工基本医疗保险)、"
         "320(公务员医疗补助)、330(大额医疗费用补助)、340(离休人员医疗保障)、"
         "390(城乡居民基本医疗保险)、392(城乡居民大病医疗保险)、510(生育保险)"),
        (6, "medfee_sumamt", "64,41",
         "医疗费总额" + COMMA_REASON),
        (7, "hifp_pay", "-0.01", "基本医疗保险统筹基金支出不能小于0.00"),
        (8, "medfee_sumamt", "100000000.01", "医疗费总额不能大于100,000,000.00"),
        (9, "act_ipt_days", "36601", "实际住院天数不能大于36,600"),
        (10, "setl_time", "2026-11-24 00:00:00", "结算时间晚于今天"),
        (11, "adm_time", "1899-12-31", "入院时间早于1900年"),
        (12, "certno", "43092119800517001", "身份证号长度应为18位"),
        (13, "certno", valid_id(2, area="439999"), V.AREA_UNKNOWN_REASON),
        (14, "dise_codg", "X99", "主诊断编码不是有效的诊断编码(ICD-10 医保版)"),
        (15, "oprn_oprt_code", "99.9999",
         "主要手术操作编码不是有效的手术操作编码(ICD-9-CM-3 医保版)"),
        (16, "act_ipt_days", "1.5", "实际住院天数不是有效的整数"),
        (17, "setl_time", "2021-02-30 08:00:00", "结算时间不是有效的日期时间"),
        # A code of 4 characters or more is its own name; so is one equal to its name.
        (20, "psn_idet_type", "贫困户",
         "人员身份类别代码不存在,允许的值(代码或括号中的名称): 普通人员、特困人员、低保对象、"
         "返贫致贫人口、低保边缘、孤儿(孤儿及事实无人抚养儿童)、重度残疾人"),
        # The comma's reason comes first for optional columns too, before the type's.
        (21, "hifp_pay", "64,41", "基本医疗保险统筹基金支出" + COMMA_REASON),
        (22, "act_ipt_days", "1,5", "实际住院天数" + COMMA_REASON),
        (24, "certno", "430921198005171370", "身份证号校验码错误,应为 6"),
        (25, "certno", "430921202611242436", "身份证号出生日期晚于今天"),
    ]
    assert [r["setl_id"] for r in typed] == ["S1", "S17", "S18", "S22"]
    assert typed[-1]["act_ipt_days"] == 1000



def test_a_rate_column_gets_the_number_checks(con):
    """No imported table has a rate today; a policy table may, and check() serves any table."""
    table = Table(
        "rates", "比率", "test", key=("k",),
        columns=(Column("k", "string", "编号", required=True),
                 Column("r", "rate", "报销比例", min_value=Decimal(0), max_value=Decimal(1))),
    )
    data = {"k": pa.array(["a", "b", "c", "d"]), "r": pa.array(["0,5", "1.5", "0.5", "x"]),
            V.ROW: pa.array([2, 3, 4, 5], pa.int64())}
    staged = con.create_table("rates_staged", pa.table(data), overwrite=True)
    prepared = con.create_table("rates_prep", V.prepare(staged, table, TODAY), overwrite=True)
    v = V.check(prepared, table, _refs(con), today=TODAY)
    errors = sorted((e["_row"], e["reason"]) for e in con.to_pyarrow(v.errors).to_pylist())
    assert errors == [(2, "报销比例" + COMMA_REASON), (3, "报销比例不能大于1.00"),
                      (5, "报销比例不是有效的比率")]


def _the_first_failing_check_of_a_cell_is_its_reason(case):
    errors, _ = case
    assert errors == [
        (2, "medfee_sumamt", "-1,5",
         "医疗费总额" + COMMA_REASON),
        (3, "inscp_scp_amt", None, "符合政策范围金额为必填项,不能为空"),
        (3, "medfee_sumamt", None, "医疗费总额为必填项,不能为空"),
    ]


def _row_rules_of_claims(case):
    errors, typed = case
    assert errors == [
        (2, "inscp_scp_amt", "100.01 > 100.00", "符合政策范围金额大于医疗费总额"),
        (3, "dscg_time", "2021-03-05 08:00:01 > 2021-03-05 08:00:00", "入院时间晚于出院时间"),
        (4, "medfee_sumamt", "100.00", "基金支付合计大于医疗费总额"),
        (6, "medfee_sumamt", "100.00", "基金支付合计大于医疗费总额"),
        (7, "medfee_sumamt", "100.00", "基金支付合计大于医疗费总额"),
    ]
    assert [r["setl_id"] for r in typed] == ["R4"]


def _duplicate_keys_point_at_the_first_row_as_the_file_wrote_it(case):
    errors, typed = case
    assert errors == [
        (4, "setl_id", "ｄ1", "结算ID重复(忽略全角/半角、大小写和首尾空白后为 D1),与文件第2行相同"),
        (5, "setl_id", "D1", "结算ID重复,与文件第2行相同"),
        (6, "setl_id", None, "结算ID为必填项,不能为空"),
    ]
    assert [r["setl_id"] for r in typed] == ["D1", "D2"]


PERSON_CASES = {
    # First, as the claims' duplicates.
    "null_keys": [_person(psn_no=None), _person(psn_no="")],
    "areas": [
        _person(psn_no="A1"), _person(psn_no="A2", region_code="439999"),
        _person(psn_no="A3", region_code="430900.0"),
    ],
    "rules": [
        _person(psn_no="B1", brdy="1980-05-18"),
        _person(psn_no="B2", death_date="1980-05-16"),
        _person(psn_no="B3", death_date="1980-05-17"),  # born and died the same day: ok
        _person(psn_no="B4", certno="43092119800517001", brdy="1999-01-01"),  # ID wrong: 1 reason
        _person(psn_no="B5", brdy=None),
    ],
}


def test_persons_are_checked_case_by_case(con):
    out = _batched(con, "persons", PERSON_CASES)
    _area_codes_of_a_region_column_are_checked_against_the_reference(out["areas"])
    _row_rules_of_persons(out["rules"])
    _two_missing_keys_repeat_each_other(out["null_keys"])


def _area_codes_of_a_region_column_are_checked_against_the_reference(case):
    errors, typed = case
    assert errors == [(3, "region_code", "439999", "户籍区划代码不是有效的行政区划代码(GB/T 2260)")]
    assert [r["region_code"] for r in typed] == ["430921", "430900"]


def _row_rules_of_persons(case):
    errors, typed = case
    assert errors == [
        (2, "brdy", "1980-05-18 ≠ 19800517", "出生日期与身份证号中的出生日期不一致"),
        (3, "death_date", "1980-05-16", "出生日期晚于死亡日期"),
        (5, "certno", "43092119800517001", "身份证号长度应为18位"),
    ]
    assert [r["psn_no"] for r in typed] == ["B3", "B5"]


def _two_missing_keys_repeat_each_other(case):
    errors, typed = case
    assert errors == [
        (2, "psn_no", None, "人员编号为必填项,不能为空"),
        (3, "psn_no", None, "人员编号为必填项,不能为空"),
        (3, "psn_no", None, "人员编号重复,与文件第2行相同"),
    ]
    assert typed == []


def _enrolment(**over: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {c.name: None for c in get_table("enrolments").columns}
    row.update(psn_no="P1", year="2021", insutype="390", region_code="430921")
    return row | over


def test_composite_keys_are_shown_joined(con):
    """And compared with the rows already loaded."""
    existing = _loaded(con, "enrolments", [
        {"psn_no": p, "year": 2021, "insutype": "390", "region_code": "430921",
         "contribution": Decimal("380.00")}
        for p in ("P1", "P2")
    ])  # fmt: skip
    rows = [
        _enrolment(psn_no="p1", contribution="380"),  # 2: the loaded row, spelt differently
        _enrolment(year="2022"),  # 3: new
        _enrolment(year="2022"),  # 4: a repeat of row 3
        _enrolment(psn_no="P2", contribution="400.00"),  # 5: the loaded key, other values
        _enrolment(psn_no="P2", year="2021", insutype="310"),  # 6: another scheme: new
        _enrolment(psn_no="P3", region_code=None),  # 7: a part of the key missing
        _enrolment(psn_no="P3", region_code=None),  # 8: and repeated
    ]
    errors, typed = _checked(con, "enrolments", rows, existing=existing)
    assert errors == [
        (2, V.ALREADY, "p1|2021|390|430921", "此前已导入(与工作区中的记录相同)"),
        (4, "psn_no", "P1|2022|390|430921",
         "人员编号+参保年度+险种类型+参保区划代码重复,与文件第3行相同"),
        (5, "psn_no", "P2|2021|390|430921",
         "人员编号+参保年度+险种类型+参保区划代码已存在于工作区(此前已从其他文件导入),"
         "但本行其他内容与已导入的不同"),
        (7, "region_code", None, "参保区划代码为必填项,不能为空"),
        (8, "psn_no", "P3|2021|390|",
         "人员编号+参保年度+险种类型+参保区划代码重复,与文件第7行相同"),
        (8, "region_code", None, "参保区划代码为必填项,不能为空"),
    ]
    assert [(r["psn_no"], r["year"], r["insutype"]) for r in typed] == [
        ("P1", 2022, "390"), ("P2", 2021, "310")
    ]


def test_rows_already_loaded_are_told_apart_from_conflicts(con):
    existing = _loaded(con, "claims", [
        {"setl_id": i, "psn_no": "P1", "certno": GOOD_ID, "insutype": "390", "med_type": "21",
         "fixmedins_code": "H1", "setl_time": datetime(2021, 3, 5, 8),
         "medfee_sumamt": Decimal("100.00"), "inscp_scp_amt": Decimal("90.00")}
        for i in ("S1", "S2")
    ])  # fmt: skip
    errors, typed = _checked(
        con, "claims",
        [_claim(setl_id="s1"), _claim(setl_id="S2", medfee_sumamt="100.01"),
         _claim(setl_id="S3")],
        existing=existing,
    )
    assert errors == [
        (2, V.ALREADY, "s1", "此前已导入(与工作区中的记录相同)"),
        (3, "setl_id", "S2",
         "结算ID已存在于工作区(此前已从其他文件导入),但本行其他内容与已导入的不同"),
    ]
    assert [r["setl_id"] for r in typed] == ["S3"]


def test_validate_is_prepare_then_check(con):
    t = get_table("persons")
    existing = _loaded(con, "persons", [
        {"psn_no": "P4", "certno": GOOD_ID, "region_code": "430921", "brdy": date(1980, 5, 17)}
    ])  # fmt: skip
    future = valid_id(3, birth=date(2026, 11, 24))
    rows = [
        _person(), _person(psn_no="P2", gend="9x"), _person(psn_no="P3", death_date="2026-11-24"),
        _person(psn_no="P4"), _person(psn_no="P5", certno=future, brdy="2026-11-24"),
    ]
    v = V.validate(_staged(con, "persons", rows), t, _refs(con), today=TODAY, existing=existing)
    errors = con.to_pyarrow(v.errors).to_pylist()
    assert sorted((e["_row"], e["column_name"], e["reason"]) for e in errors) == [
        (3, "gend", "性别代码不存在,允许的值(代码或括号中的名称): 1(男)、2(女)、9(未说明)"),
        (4, "death_date", "死亡日期晚于今天"),
        (5, V.ALREADY, "此前已导入(与工作区中的记录相同)"),
        (6, "brdy", "出生日期晚于今天"),
        (6, "certno", "身份证号出生日期晚于今天"),
    ]
    assert [r["psn_no"] for r in con.to_pyarrow(v.typed).to_pylist()] == ["P1"]


def test_prepare_of_a_file_without_optional_columns(con):
    t = get_table("claims")
    cols = ["setl_id", "psn_no", "insutype", "med_type", "fixmedins_code", "setl_time",
            "medfee_sumamt", "inscp_scp_amt"]
    row = _claim()
    data = {c: pa.array([row[c]], pa.string()) for c in cols} | {V.ROW: pa.array([2], pa.int64())}
    staged = con.create_table("narrow", pa.table(data), overwrite=True)
    got = con.to_pyarrow(V.prepare(staged, t, TODAY)).to_pylist()[0]
    assert got["s__certno"] is None and got["v__hifp_pay"] is None and got["o__setl_id"] == "S1"
    assert "p__certno" not in got  # no ID column in the file: no problem column
    assert got["v__medfee_sumamt"] == Decimal("100.00")


def test_a_canonical_typed_cell_stores_no_text_and_shows_it_back(con):
    """The prepared table keeps one copy of a canonical amount or time (its value); the text
    the checks show is the cell as the file wrote it, canonical or not."""
    t = get_table("claims")
    rows = [_claim(), _claim(setl_id="S2", medfee_sumamt="100", setl_time="2021-3-5 08:00:00")]
    p = con.create_table("canon", V.prepare(_staged(con, "claims", rows), t, TODAY), overwrite=True)
    shown = p.select(
        V.ROW, *(V.cell_text(p, t.column(c)).name(c) for c in ("medfee_sumamt", "setl_time"))
    )
    got = {r[V.ROW]: r for r in con.to_pyarrow(p).to_pylist()}
    text = {r[V.ROW]: r for r in con.to_pyarrow(shown).to_pylist()}
    assert got[2]["s__medfee_sumamt"] is None and got[2]["s__setl_time"] is None
    assert got[2]["v__medfee_sumamt"] == Decimal("100.00")
    assert text[2]["medfee_sumamt"] == "100.00"
    assert text[2]["setl_time"] == _claim()["setl_time"]
    assert got[3]["s__medfee_sumamt"] == "100" and got[3]["v__medfee_sumamt"] == Decimal("100.00")
    assert text[3]["medfee_sumamt"] == "100" and text[3]["setl_time"] == "2021-3-5 08:00:00"


def test_problem_columns_are_added_once(con):
    t = get_table("persons")
    prepared = con.create_table(
        "prep_p", V.prepare(_staged(con, "persons", [_person()]), t, None), overwrite=True
    )
    assert "p__certno" not in prepared.columns
    cols = V.problem_columns(prepared, t, TODAY)
    assert list(cols) == ["p__certno"]
    bad = con.create_table(
        "prep_bad", V.prepare(_staged(con, "persons", [_person(certno="1")]), t, None),
        overwrite=True,
    )
    assert con.to_pyarrow(bad.select(p=V.id_problem(bad, "certno", TODAY))).to_pylist() == [
        {"p": "身份证号长度应为18位"}
    ]
    future = valid_id(3, birth=date(2026, 11, 24))
    late = con.create_table(
        "prep_late", V.prepare(_staged(con, "persons", [_person(certno=future)]), t, None),
        overwrite=True,
    )
    assert con.to_pyarrow(late.select(**V.problem_columns(late, t, TODAY))).to_pylist() == [
        {"p__certno": "身份证号出生日期晚于今天"}
    ]
    assert con.to_pyarrow(late.select(p=V.id_problem(late, "certno", TODAY))).to_pylist() == [
        {"p": "身份证号出生日期晚于今天"}
    ]
    done = prepared.mutate(**cols)
    assert V.problem_columns(done, t, TODAY) == {}
    assert V.id_problem(done, "certno", TODAY).get_name() == "p__certno"


@pytest.mark.parametrize("required", [True, False])
def test_a_table_of_one_key_column(con, required):
    """One or two kinds of error (the key's own checks, its repeats): both are reported."""
    table = Table("codes", "代码", "test", key=("k",),
                  columns=(Column("k", "string", "编号", required=required),))
    data = {"k": pa.array(["a", "a", None]), V.ROW: pa.array([2, 3, 4], pa.int64())}
    staged = con.create_table("one_key", pa.table(data), overwrite=True)
    prepared = con.create_table("one_key_p", V.prepare(staged, table, TODAY), overwrite=True)
    v = V.check(prepared, table, _refs(con), today=TODAY)
    errors = sorted((e["_row"], e["reason"]) for e in con.to_pyarrow(v.errors).to_pylist())
    assert errors == [(3, "编号重复,与文件第2行相同")] + [(4, "编号为必填项,不能为空")] * required
