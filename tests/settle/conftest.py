"""A small workspace of hand-made claims for settle's tests (no ingest: a second, not ten)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.engine import Workspace

COLS = (
    "setl_id, psn_no, insutype, med_type, fixmedins_code, hi_setl_lv, psn_idet_type, setl_time, "
    "medfee_sumamt, inscp_scp_amt, hifp_pay, hifmi_pay, maf_pay, psn_part_amt, hifob_pay, "
    "acct_pay, emp_retired"
)
CLAIMS = [
    # S1: DOMAIN's inpatient claim; recorded as the chain pays it.
    "('S1','P1','390','21','H001','3','普通人员','2021-03-01 10:00:00',100000,90000,"
    "57980,12012,0,30008,NULL,NULL,NULL)",
    # S2: 300 at 50 % is 150; recorded 160.
    "('S2','P1','390','11','H002',NULL,NULL,'2021-04-01 09:00:00',300,300,160,0,0,140,NULL,"
    "NULL,NULL)",
    # S3: nothing recorded; P2's identity comes from the person register.
    "('S3','P2','390','11','H002',NULL,NULL,'2021-05-01 09:00:00',200,200,NULL,NULL,NULL,"
    "NULL,NULL,NULL,NULL)",
    # S4: an employee (the CLI test's E1) whose account paid 80,000 of a 76,720 part.
    "('S4','Q1','310','21','H001','3','普通人员','2021-06-01 09:00:00',300000,280000,200000,0,"
    "0,76720,23280,80000,'在职')",
    # S5: next year's claim, not settled with 2021.
    "('S5','P1','390','11','H001',NULL,NULL,'2022-01-05 09:00:00',100,100,50,0,0,50,NULL,"
    "NULL,NULL)",
]


@pytest.fixture
def wsd(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws")
    con = w.con
    con.execute(
        f"INSERT INTO claims ({COLS}, _load_id, _row) SELECT *, 1, row_number() OVER () "
        f"FROM (VALUES {', '.join(CLAIMS)})"
    )
    con.execute(
        "INSERT INTO institutions (fixmedins_code, fixmedins_name, _load_id, _row) "
        "VALUES ('H001', '县人民医院', 2, 1), ('H002', NULL, 2, 2)"
    )
    con.execute(
        "INSERT INTO persons (psn_no, psn_idet_type, _load_id, _row) "
        "VALUES ('P2', '低保对象', 3, 1)"
    )
    yield w
    w.close()
