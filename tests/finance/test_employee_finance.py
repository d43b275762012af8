"""Employee fund (issue 16): contributions due with 60 %/300 % bounds, collection rates, the
统账结合 split, personal accounts, and seed 003's figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from finance.fin_data import load, write
from helpers import valid_id
from yibao.engine import Workspace
from yibao.finance.employee import collection_task, split
from yibao.finance.run import run_finance
from yibao.money import percent, ratio, truncate_places
from yibao.policy import load_policy

REGION = "430902"
CONTRIB_HEADER = ["单位编号", "单位名称", "人员编号", "参保区划代码", "费款所属期", "缴费基数",
                  "单位缴费金额", "个人缴费金额"]  # fmt: skip
ENROL_HEADER = ["人员编号", "参保年度", "险种类型", "参保区划代码", "单位编号", "在职退休状态",
                "参保终止日期"]  # fmt: skip
PERSON_HEADER = ["人员编号", "证件号码", "出生日期", "户籍区划代码"]
CLAIM_HEADER = ["结算ID", "人员编号", "险种类型", "医疗类别", "定点医药机构编号", "结算时间",
                "医疗费总额", "符合政策范围金额", "个人账户支出"]  # fmt: skip


@pytest.fixture
def ws(tmp_path: Path):
    """demo-county 2021: average wage 6,000/月 → base floor 3,600 and cap 18,000; rates 7 % + 2 %.

    E1 declares 5,000 (paid in full: 350 + 100 a month for 12 months);
    E2 declares 2,000, below the floor: due on 3,600 (252 + 72) but pays on 2,000 (140 + 40);
    E3 declares 20,000, above the cap: due on 18,000 (1,260 + 360), pays exactly that.
    R1 is retired (born 1945, 76 at the end of 2021: 120 元/月); R2 retired aged 61 (80 元/月)
    whose enrolment ended on 2021-06-30 (6 months).
    """
    w = Workspace.create(tmp_path / "ws", policy="demo-county")
    rows = []
    for m in range(1, 13):
        ym = 202100 + m
        rows.append(["U1", "甲公司", "E1", REGION, ym, "5000.00", "350.00", "100.00"])
        rows.append(["U2", "乙公司", "E2", REGION, ym, "2000.00", "140.00", "40.00"])
        rows.append(["U1", "甲公司", "E3", REGION, ym, "20000.00", "1260.00", "360.00"])
    load(w, write(tmp_path / "contrib.csv", CONTRIB_HEADER, rows), "contributions")
    enrol = [
        ["E1", 2021, "310", REGION, "U1", "在职", ""],
        ["E2", 2021, "310", REGION, "U2", "在职", ""],
        ["E3", 2021, "310", REGION, "U1", "在职", ""],
        ["R1", 2021, "310", REGION, "", "退休", ""],
        ["R2", 2021, "310", REGION, "", "退休", "2021-06-30"],
    ]
    load(w, write(tmp_path / "enrol.csv", ENROL_HEADER, enrol), "enrolments")
    people = [
        ["R1", valid_id(1, REGION, date(1945, 3, 1)), "1945-03-01", REGION],
        ["R2", valid_id(2, REGION, date(1960, 3, 1)), "1960-03-01", REGION],
    ]
    load(w, write(tmp_path / "persons.csv", PERSON_HEADER, people), "persons")
    claims = [
        ["C1", "E1", "310", "11", "H1", "2021-03-01 09:00:00", "300.00", "300.00", "300.00"],
        ["C2", "R2", "310", "11", "H1", "2021-09-01 09:00:00", "100.00", "100.00", "100.00"],
    ]
    load(w, write(tmp_path / "claims.csv", CLAIM_HEADER, claims), "claims")
    yield w
    w.close()


def test_due_collected_split_and_rates(ws):
    run_finance(ws, 2021, policy_ref="demo-county")
    row = ws.con.execute("SELECT * FROM finance_employee WHERE year = 2021").fetchone()
    cols = [d[0] for d in ws.con.description]
    r = dict(zip(cols, row, strict=True))
    # due: 12 × (350 + 252 + 1,260) employer, 12 × (100 + 72 + 360) employee
    assert r["due_employer"] == Decimal("22344.00") and r["due_employee"] == Decimal("6384.00")
    assert r["collected_employer"] == Decimal("21000.00")  # 12 × (350 + 140 + 1,260)
    assert r["collected_employee"] == Decimal("6000.00")  # 12 × (100 + 40 + 360)
    # retiree credits from the pool: R1 12 × 120 + R2 6 × 80 = 1,920
    assert r["retiree_credits"] == Decimal("1920.00")
    assert r["pooled"] == Decimal("19080.00") and r["personal"] == Decimal("7920.00")
    assert r["collected"] == r["pooled"] + r["personal"] == Decimal("27000.00")
    assert r["rate_vs_due"] == Decimal("0.9398")  # 27,000 ÷ 28,728 = 0.939849…
    assert r["task"] == Decimal("30000000.00") and r["rate_vs_task"] == Decimal("0.0009")
    assert r["below_floor_months"] == 12
    emp = dict(ws.con.execute("SELECT emp_no, gap FROM finance_employers").fetchall())
    assert emp == {"U1": Decimal("0.00"), "U2": Decimal("-1728.00")}  # 12 × (324 − 180)


def test_personal_accounts_balance_and_carry_forward(ws):
    run_finance(ws, 2021, policy_ref="demo-county")
    acc = {
        r[0]: r[1:]
        for r in ws.con.execute(
            "SELECT psn_no, opening, credits, payments, closing FROM personal_accounts "
            "WHERE year = 2021"
        ).fetchall()
    }
    assert acc["E1"] == (Decimal("0.00"), Decimal("1200.00"), Decimal("300.00"), Decimal("900.00"))
    assert acc["R2"] == (Decimal("0.00"), Decimal("480.00"), Decimal("100.00"), Decimal("380.00"))
    assert set(acc) == {"E1", "E2", "E3", "R1", "R2"}
    # The balance identity is a declared DataTest: yibao check runs it.
    from yibao.schema.derived import DERIVED

    test = next(
        t for t in DERIVED["personal_accounts"].tests if t.name == "personal_account_balances"
    )
    assert ws.con.execute(test.sql.format(t="personal_accounts")).fetchall() == []
    ws.con.execute("UPDATE personal_accounts SET closing = closing + 1 WHERE psn_no = 'E1'")
    assert len(ws.con.execute(test.sql.format(t="personal_accounts")).fetchall()) == 1


def test_seed_003_split_and_collection_task():
    """遂宁 2013: 统筹 28,337 + 个人账户 18,193 = 46,530 万元, 119.61 % of the 38,900 万 task."""
    task = collection_task(load_policy("suining-2013"), 2013)
    assert task == Decimal("389000000")
    fin = split(
        2013, pooled_part=Decimal("283370000"), personal_part=Decimal("181930000"), task=task
    )
    assert fin.collected == Decimal("465300000")
    assert fin.pooled + fin.personal == fin.collected
    assert percent(fin.rate_vs_task) == Decimal("119.61")


def test_seed_003_coverage_is_rounded_not_truncated():
    """74.14 万 ÷ 67 万 = 110.6567 %: the yearbook prints 110.65 % (cut), yibao 110.66 %."""
    exact = Decimal("741400") / Decimal("670000") * 100
    assert truncate_places(exact, 2) == Decimal("110.65")  # what the seed printed
    assert percent(ratio(741400, 670000, 6)) == Decimal("110.66")  # what yibao states


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)])
def test_supervision_finds_the_employee_anomalies(ws, tmp_path, engine):
    """U2 declares below the floor every month; R2's account pays after enrolment ended;
    E4's account pays 5,000 out of 1,200 credited (a negative balance)."""
    from yibao.supervise.run import run_supervision

    rows = [["U3", "丙公司", "E4", REGION, 202100 + m, "5000.00", "350.00", "100.00"]
            for m in range(1, 13)]  # fmt: skip
    load(ws, write(tmp_path / "c4.csv", CONTRIB_HEADER, rows), "contributions")
    load(
        ws,
        write(tmp_path / "e4.csv", ENROL_HEADER, [["E4", 2021, "310", REGION, "U3", "在职", ""]]),
        "enrolments",
    )
    claim = ["C4", "E4", "310", "11", "H1", "2021-10-01 09:00:00", "5000.00", "5000.00", "5000.00"]
    load(ws, write(tmp_path / "c4c.csv", CLAIM_HEADER, [claim]), "claims")
    run_finance(ws, 2021, policy_ref="demo-county", engine=engine)
    codes = ["account_after_enrolment_end", "negative_account", "employer_under_declared"]
    run_supervision(ws, 2021, rules=codes, engine=engine, policy_ref="demo-county")
    found = ws.con.execute(
        "SELECT rule, key, amount FROM supervise_findings WHERE year = 2021 ORDER BY 1, 2"
    ).fetchall()
    assert found == [
        ("account_after_enrolment_end", "C2", Decimal("100.00")),
        ("employer_under_declared", "U2", Decimal("1728.00")),
        ("negative_account", "E4", Decimal("3800.00")),
    ]


def test_fund_operation_indicators_on_the_employee_fund(ws):
    """Seed 003's analysis for the employee fund: collection, task rate, 报付比, upload rate."""
    from yibao.indicators.compute import compute

    # recorded payments, as the bureau's system paid them (C1: (300 − 200) × 60 % = 60)
    ws.con.execute("UPDATE claims SET hifp_pay = 60, hifob_pay = 0 WHERE setl_id = 'C1'")
    run_finance(ws, 2021, policy_ref="demo-county")
    codes = [
        "covered_persons",
        "employee_collection",
        "employee_collection_task_rate",
        "employee_outpatient_inpatient_ratio",
        "employee_reimbursed_share",
        "employee_complete_upload_rate",
    ]
    values, notes = compute(ws, 2021, codes)
    total = {v.code: v.value for v in values if v.region_code is None}
    assert total["covered_persons"] == 5
    assert total["employee_collection"] == Decimal("27000.00")
    assert total["employee_collection_task_rate"] == Decimal("0.09")  # 27,000 ÷ 30,000,000
    # no inpatient claims: the ratio has no denominator
    assert total["employee_outpatient_inpatient_ratio"] is None
    # Σ recorded hifp + hifob ÷ Σ policy-range cost = 60 ÷ 400
    assert total["employee_reimbursed_share"] == Decimal("15.00")
    # the claims were loaded without 证件号码 and 诊断: none is complete
    assert total["employee_complete_upload_rate"] == Decimal("0.00")
