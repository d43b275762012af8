"""What settle refuses before it settles: the policy's own errors and the file's (issue 19).

Each reason is written out as a user reads it, with the row and the value, so that a changed
code list, boundary or label is seen.  DuckDB in memory; a second or two in all.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import ibis
import pytest

from yibao.ingest.readers import FileRejected
from yibao.policy import load_policy
from yibao.policy.model import DatedValue
from yibao.schema import get_table
from yibao.settle.inputs import (
    ERRORS,
    SETTLE_REQUIRED,
    TYPED,
    policy_errors,
    read_claims_file,
    settle_input_table,
)
from yibao.settle.params import build_periods, policy_title

OUTSIDE = "结算时间不在政策「测试政策」的生效期内(自 2021-01-01 起施行,或该时期缺少结算参数)"
LEVEL = "住院结算须有医保结算等级 1、2 或 3"


def _policy():
    """demo-county whose general-outpatient limit ends on 1 July 2021 (an invalid period)."""
    base = load_policy("demo-county")
    ps = dict(base.parameters)
    key = "basic.general_outpatient.annual_limit"
    dvs = (
        DatedValue(date(2021, 1, 1), Decimal(400), None),
        DatedValue(date(2021, 7, 1), None, None),
    )
    ps[key] = dataclasses.replace(ps[key], values=dvs)
    return dataclasses.replace(base, name="测试政策", label="测试政策", parameters=ps)


CLAIMS = [
    # (row, setl_time, insutype, med_type, hi_setl_lv)
    (1, "2021-03-01 10:00:00", "390", "21", "3"),  # fine
    (2, "2020-12-31 23:59:59", "390", "21", "3"),  # before the policy
    (3, "2021-06-30 23:59:59", "390", "11", None),  # last second of the valid period
    (4, "2021-07-01 00:00:00", "390", "11", None),  # first second of the invalid one
    (5, "2021-03-01 10:00:00", "390", "13", None),  # 急诊: no rule for residents
    (6, "2021-03-01 10:00:00", "340", "13", None),  # 离休: every medical type is ruled
    (7, "2021-03-01 10:00:00", "310", "11", None),  # employee general outpatient
    (8, "2021-03-01 10:00:00", "390", "21", None),  # inpatient without a level
    (9, "2021-03-01 10:00:00", "310", "21", "4"),  # employee inpatient, level 4
    (10, "2021-03-01 10:00:00", "392", "11", None),  # a scheme the policy does not rule
    (11, "2021-03-01 10:00:00", "340", "21", None),  # 离休 inpatient needs no level
    (12, "2021-03-01 10:00:00", "390", "14", None),  # 慢特病 needs no level
    (13, "2021-03-01 10:00:00", "310", "22", "1"),  # 外伤住院 is not in the inpatient list
    (14, "2021-03-01 10:00:00", "390", "21", "1"),  # every level is fine
    (15, "2021-03-01 10:00:00", "310", "21", "2"),
    (16, "2021-03-01 10:00:00", "390", "99", None),  # a code outside the list (not via ingest)
]


def _errors(claims=CLAIMS) -> list[tuple]:
    pol = _policy()
    spec, periods = build_periods(pol)
    starts = periods.column("p_start").to_pylist()
    con = ibis.duckdb.connect()
    t = ibis.memtable(
        {
            "_row": [c[0] for c in claims],
            "setl_time": [datetime.fromisoformat(c[1]) for c in claims],
            "insutype": [c[2] for c in claims],
            "med_type": [c[3] for c in claims],
            "hi_setl_lv": [c[4] for c in claims],
        },
        schema={
            "_row": "int64",
            "setl_time": "timestamp",
            "insutype": "string",
            "med_type": "string",
            "hi_setl_lv": "string",
        },
    )
    errs = policy_errors(t, ibis.memtable(periods), starts, spec, policy_title(pol))
    return sorted(tuple(r.values()) for r in con.to_pyarrow(errs).to_pylist())


def test_every_claim_the_policy_cannot_settle_is_named_with_its_reason():
    assert _errors() == [
        (2, "setl_time", "2020-12-31 23:59:59", OUTSIDE),
        (4, "setl_time", "2021-07-01 00:00:00", OUTSIDE),
        (5, "med_type", "390/13", "险种 390 的医疗类别 13(急诊)在政策「测试政策」中没有待遇规定"),
        (8, "hi_setl_lv", "", LEVEL),
        (9, "hi_setl_lv", "4", LEVEL),
        (
            10,
            "med_type",
            "392/11",
            "险种 392 的医疗类别 11(普通门诊)在政策「测试政策」中没有待遇规定",
        ),
        (
            13,
            "med_type",
            "310/22",
            "险种 310 的医疗类别 22(外伤住院)在政策「测试政策」中没有待遇规定",
        ),
        (16, "med_type", "390/99", "险种 390 的医疗类别 99 在政策「测试政策」中没有待遇规定"),
    ]


def test_one_claim_can_have_several_reasons():
    claims = [(1, "2020-06-01 08:00:00", "390", "21", "9")]
    assert [e[1] for e in _errors(claims)] == ["hi_setl_lv", "setl_time"]


def test_no_errors_is_an_empty_table():
    assert _errors(CLAIMS[:1]) == []


def test_the_settle_input_requires_only_what_a_settlement_reads():
    table = settle_input_table()
    claims = get_table("claims")
    assert [c.name for c in table.columns] == [c.name for c in claims.columns]
    assert {c.name for c in table.columns if c.required} == SETTLE_REQUIRED
    assert {
        "setl_id",
        "psn_no",
        "insutype",
        "med_type",
        "setl_time",
        "medfee_sumamt",
        "inscp_scp_amt",
    } == SETTLE_REQUIRED
    assert table.name == claims.name


HEADER = "结算ID,人员编号,险种类型,医疗类别,医保结算等级,结算时间,医疗费总额,符合政策范围金额\n"


def test_a_claims_file_is_read_into_errors_and_typed_rows(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text(
        HEADER
        + "A1,P1,390,21,3,2021-03-01 10:00:00,100000.00,90000.00\n"
        + "A2,P2,390,21,3,2021-03-01 10:00:00,100.00,200.00\n",
        encoding="gbk",
    )
    con, spec = read_claims_file(f, date(2021, 12, 31))
    assert spec == settle_input_table()
    typed = con.execute(f"SELECT _row, setl_id, inscp_scp_amt FROM {TYPED}").fetchall()
    assert typed == [(2, "A1", Decimal("90000.00"))]
    errors = con.execute(f"SELECT _row, column_name, value FROM {ERRORS}").fetchall()
    assert errors == [(3, "inscp_scp_amt", "200.00 > 100.00")]
    # a table, not a view: settle inserts the policy's errors into it
    con.execute(f"INSERT INTO {ERRORS} VALUES (9, 'x', 'y', 'z')")
    assert con.execute(f"SELECT count(*) FROM {ERRORS}").fetchone() == (2,)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.csv",
            "甲,乙\n1,2\n",
            "bad.csv: 缺少必需的列: 结算ID(setl_id)、人员编号(psn_no)、险种类型(insutype)、"
            "医疗类别(med_type)、结算时间(setl_time)、医疗费总额(medfee_sumamt)、"
            "符合政策范围金额(inscp_scp_amt);可用 yibao schema docs 查看表 claims 的全部列名及别名",
        ),
        ("empty.csv", "", "empty.csv: 文件没有表头行"),
        ("e.xlsx", "notxlsx", "e.xlsx: 不是有效的 XLSX 文件(文件损坏或并非 Excel 格式)"),
    ],
)
def test_a_refused_file_is_named_once(tmp_path: Path, name: str, content: str, message: str):
    f = tmp_path / name
    f.write_text(content, encoding="utf-8")
    with pytest.raises(FileRejected) as err:
        read_claims_file(f, date(2021, 12, 31))
    assert str(err.value) == message


def test_a_claim_settled_after_the_day_of_the_run_is_refused(tmp_path: Path):
    """``today`` reaches ingest's checks: a 2022 claim is in the future on 2021-12-31."""
    f = tmp_path / "c.csv"
    f.write_text(HEADER + "A1,P1,390,21,3,2022-03-01 10:00:00,100000.00,90000.00\n")
    con, _ = read_claims_file(f, date(2021, 12, 31))
    assert con.execute(f"SELECT * FROM {ERRORS}").fetchall() == [
        (2, "setl_time", "2022-03-01 10:00:00", "结算时间晚于今天")
    ]
    con, _ = read_claims_file(f, date(2022, 3, 1))
    assert con.execute(f"SELECT count(*) FROM {ERRORS}").fetchone() == (0,)
