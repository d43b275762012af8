"""Issue 11: hostile files made by hand.  Nothing may be loaded silently wrong.

Each test names the finding it covers (§1 CSV reading, §2 numbers, §3 keys, §7 XLSX and
duplicates) and the issue-10 item-7 defects (fractional seconds, unknown area codes).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import CLAIM_HEADER_CN, TODAY, claim_row, valid_id, write_csv
from yibao.engine import Workspace
from yibao.ingest import ingest_file

ENGLISH = ("Error", "error", "Line", "sniff", "Exception", "Traceback")


def _ingest(ws: Workspace, path: Path, table: str = "claims"):
    return ingest_file(ws, path, table, today=TODAY)


def _line(cells: list[str]) -> str:
    return ",".join(cells)


def _raw_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _reasons(ws: Workspace) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for row, reason in ws.con.execute("SELECT row_no, reason FROM _quarantine").fetchall():
        out.setdefault(row, []).append(reason)
    return out


def _assert_chinese(message: str) -> None:
    assert not any(w in message for w in ENGLISH), message


# §1 CSV reading -----------------------------------------------------------------------------


def test_unquoted_thousands_comma_in_last_column_is_quarantined_not_truncated(ws, tmp_path):
    good = _line(claim_row(1))
    bad = _line(claim_row(2, 基本医疗保险统筹基金支出="1,235.19"))  # unquoted: 14 fields
    f = _raw_csv(tmp_path / "c.csv", [_line(CLAIM_HEADER_CN), good, bad])
    res = _ingest(ws, f)
    assert res.exit_status == 1, res.message
    assert (res.rows_total, res.rows_accepted, res.rows_quarantined) == (2, 1, 1)
    assert ws.con.execute("SELECT hifp_pay FROM claims").fetchall() == [(Decimal("57980.00"),)]
    reasons = _reasons(ws)
    assert list(reasons) == [3] and "字段数多于表头" in reasons[3][0]
    _assert_chinese(reasons[3][0])


def test_row_with_missing_trailing_fields_is_quarantined_not_padded_with_nulls(ws, tmp_path):
    short = _line(claim_row(2)[:-2])
    f = _raw_csv(tmp_path / "c.csv", [_line(CLAIM_HEADER_CN), _line(claim_row(1)), short])
    res = _ingest(ws, f)
    assert res.exit_status == 1
    assert ws.con.execute("SELECT count(*) FROM claims WHERE hifp_pay IS NULL").fetchone() == (0,)
    assert "字段数少于表头" in _reasons(ws)[3][0]


def test_doubled_quotes_are_read_as_rfc4180(ws, tmp_path):
    header = ["定点医药机构编号", "定点医药机构名称", "医院等级", "所在区划代码"]
    lines = [
        _line(header),
        'H001,"某某医院(""东院"",""西院"")",3,430921',
        'H002,"普通, 带逗号",2,430921',
        'H003,"跨行\n名称",1,430921',
    ]
    f = _raw_csv(tmp_path / "i.csv", lines)
    res = _ingest(ws, f, "institutions")
    assert res.exit_status == 0, (res.message, res.reasons)
    assert res.ignored_headers == []
    names = ws.con.execute(
        "SELECT fixmedins_code, fixmedins_name, _row FROM institutions ORDER BY 1"
    ).fetchall()
    assert names == [
        ("H001", '某某医院("东院","西院")', 2),
        ("H002", "普通, 带逗号", 3),
        ("H003", "跨行\n名称", 4),
    ]


def test_duplicate_csv_header_is_refused_like_xlsx(ws, tmp_path):
    header = [*CLAIM_HEADER_CN, "医疗费总额"]
    f = write_csv(tmp_path / "d.csv", header, [[*claim_row(1), "5.00"]])
    res = _ingest(ws, f)
    assert res.exit_status == 2 and "表头重复" in res.message and "医疗费总额" in res.message
    assert ws.count("claims") == 0


def test_unterminated_quote_is_a_chinese_row_reason_not_an_english_file_error(ws, tmp_path):
    lines = [_line(CLAIM_HEADER_CN)] + [_line(claim_row(i)) for i in range(1, 14)]
    lines.append(_line(claim_row(14)).replace("H001", '"H001'))
    f = _raw_csv(tmp_path / "q.csv", lines)
    res = _ingest(ws, f)
    assert res.exit_status == 1, res.message
    _assert_chinese(res.message)
    assert ws.count("claims") == 13
    reasons = _reasons(ws)
    assert list(reasons) == [15] and "引号" in reasons[15][0]


def test_mixed_encoding_names_the_line_not_a_byte_near_the_start(ws, tmp_path):
    rows = [_line(claim_row(i)) for i in range(1, 12001)]
    rows[0] = _line(claim_row(1, 人员身份类别="低保对象"))  # UTF-8 Chinese at the start
    text = (_line(CLAIM_HEADER_CN) + "\n" + "\n".join(rows) + "\n").encode("utf-8")
    text += (_line(claim_row(12001, 人员身份类别="特困供养人员")) + "\n").encode("gbk")
    assert len(text) > 1024 * 1024
    f = tmp_path / "mixed.csv"
    f.write_bytes(text)
    res = _ingest(ws, f)
    assert res.exit_status == 2
    assert "第 12002 行" in res.message and "GBK" in res.message, res.message
    _assert_chinese(res.message)


def _big_utf8_file(tmp_path: Path, extra: list[str] | None = None) -> Path:
    """More than the 1 MB head, UTF-8 Chinese at the start, valid to the end."""
    rows = [_line(claim_row(i)) for i in range(1, 12001)]
    rows[0] = _line(claim_row(1, 人员身份类别="低保对象"))
    f = _raw_csv(tmp_path / "big.csv", [_line(CLAIM_HEADER_CN), *rows, *(extra or [])])
    assert f.stat().st_size > 1024 * 1024
    return f


def test_a_utf8_file_is_validated_by_the_reader_not_decoded_again_in_python(
    ws, tmp_path, monkeypatch
):
    """The whole-file decode (7.8 s on the city's claims) runs only when the reader refuses a
    record; DuckDB's reader validates every value itself."""
    from yibao.ingest import readers

    def whole_file_decode(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the whole file was decoded in Python")

    monkeypatch.setattr(readers, "_first_bad_utf8", whole_file_decode)
    res = _ingest(ws, _big_utf8_file(tmp_path))
    assert (res.exit_status, res.rows_accepted) == (0, 12000), res.message
    assert ws.con.execute(
        "SELECT count(*) FROM claims WHERE psn_idet_type = '低保对象'"
    ).fetchone() == (1,)


def test_a_refused_record_in_a_utf8_file_is_quarantined_after_the_whole_file_is_checked(
    ws, tmp_path, monkeypatch
):
    from yibao.ingest import readers

    decoded: list[Path] = []
    real = readers._first_bad_utf8
    monkeypatch.setattr(
        readers, "_first_bad_utf8", lambda p, skip=0: decoded.append(p) or real(p, skip)
    )
    bad = _line(claim_row(12001, 基本医疗保险统筹基金支出="1,235.19"))  # unquoted comma
    res = _ingest(ws, _big_utf8_file(tmp_path, [bad]))
    assert (res.exit_status, res.rows_accepted, res.rows_quarantined) == (1, 12000, 1)
    assert list(_reasons(ws)) == [12002] and decoded, res.message


# §2 numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("6,441.00", Decimal("6441.00")),
        ("1,234,567.5", Decimal("1234567.50")),
        ("￥12.30", Decimal("12.30")),
        ("64,41", None),
        ("12,34", None),
        ("1,2345.00", None),
    ],
)
def test_only_thousands_grouping_commas_are_accepted(ws, tmp_path, cell, stored):
    f = write_csv(
        tmp_path / "m.csv",
        CLAIM_HEADER_CN,
        [claim_row(1, 医疗费总额=cell, 符合政策范围金额="1", 基本医疗保险统筹基金支出="1")],
    )
    res = _ingest(ws, f)
    got = ws.con.execute("SELECT medfee_sumamt FROM claims").fetchall()
    if stored is None:
        assert res.exit_status == 2 and got == []  # nothing accepted: exit 2 (issue 12)
        assert "逗号" in _reasons(ws)[2][0]
    else:
        assert res.exit_status == 0, res.reasons
        assert got == [(stored,)]


@pytest.mark.parametrize("cell", ["NaN", "None", "-", "nan"])
def test_nan_none_and_dash_in_optional_amounts_are_errors_not_silent_nulls(ws, tmp_path, cell):
    header = [*CLAIM_HEADER_CN, "医疗救助基金支出"]
    f = write_csv(tmp_path / "n.csv", header, [[*claim_row(1), cell]])
    res = _ingest(ws, f)
    assert res.exit_status == 2 and ws.count("claims") == 0  # nothing accepted (issue 12)
    assert any("不是有效的金额" in r for r in _reasons(ws)[2])


def test_implausible_amounts_and_days_are_quarantined(ws, tmp_path):
    header = [*CLAIM_HEADER_CN, "实际住院天数"]
    rows = [
        [*claim_row(1), "12"],
        [*claim_row(2, 医疗费总额="9,999,999,999,999,999.99"), "3"],
        [*claim_row(3), "9223372036854775807"],
    ]
    res = _ingest(ws, write_csv(tmp_path / "b.csv", header, rows))
    assert (res.rows_accepted, res.rows_quarantined) == (1, 2)
    reasons = _reasons(ws)
    # The bound as a user reads it: money with its fen, a count of days without.
    assert any(r.endswith("医疗费总额不能大于100,000,000.00") for r in reasons[3]), reasons[3]
    assert any(r.endswith("实际住院天数不能大于36,600") for r in reasons[4]), reasons[4]


def test_birth_date_contradicting_the_id_is_quarantined(ws, tmp_path):
    pid = valid_id(1, birth=date(1980, 5, 17))
    rows = [
        ["P1", pid, "1980-05-17", "430921"],
        ["P2", valid_id(2, birth=date(1980, 5, 17)), "1981-05-17", "430921"],
    ]
    header = ["人员编号", "证件号码", "出生日期", "户籍区划代码"]
    res = _ingest(ws, write_csv(tmp_path / "p.csv", header, rows), "persons")
    assert (res.rows_accepted, res.rows_quarantined) == (1, 1)
    assert "出生日期与身份证号" in _reasons(ws)[3][0]


# §3 keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant", ["S000001\u3000", "S000001\u00a0", "\u200bS000001", "Ｓ０００００１", "s000001"]
)
def test_keys_differing_only_by_unicode_spaces_width_or_case_are_one_claim(ws, tmp_path, variant):
    rows = [claim_row(1), claim_row(1, 结算ID=variant, 医疗费总额="99999.00")]
    res = _ingest(ws, write_csv(tmp_path / "k.csv", CLAIM_HEADER_CN, rows))
    assert (res.rows_accepted, res.rows_quarantined) == (1, 1)
    assert ws.con.execute("SELECT setl_id, medfee_sumamt FROM claims").fetchall() == [
        ("S000001", Decimal("100000.00"))
    ]
    value, reason = ws.con.execute("SELECT value, reason FROM _quarantine").fetchone()
    assert value == variant.strip(" ") and "重复" in reason and "第2行" in reason


def test_key_variant_in_a_later_file_is_not_counted_twice(ws, tmp_path):
    a = write_csv(tmp_path / "a.csv", CLAIM_HEADER_CN, [claim_row(1)])
    b = write_csv(tmp_path / "b.csv", CLAIM_HEADER_CN, [claim_row(1, 结算ID="ｓ000001\u3000")])
    assert _ingest(ws, a).exit_status == 0
    res = _ingest(ws, b)
    assert res.rows_accepted == 0 and ws.count("claims") == 1
    assert ws.con.execute("SELECT sum(hifp_pay) FROM claims").fetchone() == (Decimal("57980.00"),)


# §7 XLSX and duplicates ---------------------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


def _xlsx_with_sheet(path: Path, sheet_xml: str) -> Path:
    import openpyxl

    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["结算ID"])
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            out.writestr(item, data)
    return path


def test_entity_bomb_xlsx_is_refused_in_chinese(ws, tmp_path):
    res = _ingest(ws, _xlsx_with_sheet(tmp_path / "bomb.xlsx", BOMB))
    assert res.exit_status == 2 and "XLSX" in res.message and "实体" in res.message
    _assert_chinese(res.message)


def test_zip_bomb_xlsx_is_refused_before_parsing(ws, tmp_path, monkeypatch):
    from yibao.ingest import readers

    monkeypatch.setattr(readers, "XLSX_MAX_UNPACKED", 8 * 1024 * 1024)
    big = '<worksheet xmlns="x"><sheetData>' + " " * (10 * 1024 * 1024) + "</sheetData></worksheet>"
    res = _ingest(ws, _xlsx_with_sheet(tmp_path / "zip.xlsx", big))
    assert res.exit_status == 2 and "安全上限" in res.message


def test_a_file_of_rows_all_loaded_before_says_so(ws, tmp_path):
    a = write_csv(tmp_path / "a.csv", CLAIM_HEADER_CN, [claim_row(1), claim_row(2)])
    b = write_csv(tmp_path / "b.csv", CLAIM_HEADER_CN, [claim_row(2), claim_row(1)])
    assert _ingest(ws, a).exit_status == 0
    res = _ingest(ws, b)
    assert res.exit_status == 0 and res.rows_already == 2
    assert "全部 2 行此前均已导入" in res.message
    assert ws.count("_quarantine") == 0  # the personal records are not stored again


def test_reexports_do_not_store_the_raw_record_again(ws, tmp_path):
    rows = [claim_row(i) for i in range(1, 30)] + [claim_row(40, 医疗类别="99")]
    first = write_csv(tmp_path / "1.csv", CLAIM_HEADER_CN, rows)
    _ingest(ws, first)
    size = ws.con.execute("SELECT count(*), sum(length(record)) FROM _quarantine").fetchone()
    for n in (2, 3):  # re-exports: same rows plus one new one, different bytes
        f = write_csv(tmp_path / f"{n}.csv", CLAIM_HEADER_CN, rows + [claim_row(40 + n)])
        _ingest(ws, f)
    after = ws.con.execute("SELECT count(*), sum(length(record)) FROM _quarantine").fetchone()
    # Only the one genuinely bad row is quarantined, once per file that contains it.
    assert after[0] == size[0] * 3
    recs = ws.con.execute("SELECT DISTINCT record FROM _quarantine").fetchall()
    assert len(recs) == 1 and json.loads(recs[0][0])["医疗类别"] == "99"


# issue 10 item 7 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("2021-03-04 08:00:00.0", "2021-03-04 08:00:00"),
        ("2021-03-04 08:00:00.123", "2021-03-04 08:00:00.123"),
        ("2021.3.4 08:00:00.5", "2021-03-04 08:00:00.5"),
        ("2021年3月4日 08:00", "2021-03-04 08:00:00"),
    ],
)
def test_fractional_seconds_from_java_exports_load(ws, tmp_path, cell, stored):
    f = write_csv(tmp_path / "t.csv", CLAIM_HEADER_CN, [claim_row(1, 结算时间=cell)])
    res = _ingest(ws, f)
    assert res.exit_status == 0, res.reasons
    assert ws.con.execute("SELECT setl_time::VARCHAR FROM claims").fetchone()[0] == stored


def test_id_with_an_area_code_that_never_existed_is_quarantined_in_chinese(ws, tmp_path):
    fake = valid_id(3, area="439999")  # valid province, check digit right, no such county
    rows = [["P1", valid_id(1), "430921"], ["P2", fake, "430921"]]
    header = ["人员编号", "证件号码", "户籍区划代码"]
    res = _ingest(ws, write_csv(tmp_path / "p.csv", header, rows), "persons")
    assert (res.rows_accepted, res.rows_quarantined) == (1, 1)
    assert "地址码" in _reasons(ws)[3][0]


def test_consecutive_ragged_rows_keep_every_row_number(ws, tmp_path):
    """Found by the fuzz test: two refused records in a row shifted later rows by one."""
    lines = [_line(CLAIM_HEADER_CN), _line(claim_row(1))]
    lines += [_line(claim_row(2)[:-1]), _line(claim_row(3)) + ",x", _line(claim_row(4)[:-2])]
    lines += [_line(claim_row(5)), _line(claim_row(6)[:-1]), _line(claim_row(7))]
    res = _ingest(ws, _raw_csv(tmp_path / "r.csv", lines))
    assert (res.rows_total, res.rows_accepted, res.rows_quarantined) == (7, 3, 4)
    got = ws.con.execute("SELECT _row, setl_id FROM claims ORDER BY 1").fetchall()
    assert got == [(2, "S000001"), (6, "S000005"), (8, "S000007")]
    assert sorted(_reasons(ws)) == [3, 4, 5, 7]
