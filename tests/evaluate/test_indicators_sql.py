"""Every data-backed indicator against an independent plain-SQL computation on a generated county.

The SQL below is written from each indicator's formula in words (docs/indicators.md), not from the
Ibis code: region rows plus a total row, numerator and denominator exact, the value rounded half-up.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from evaluate.conftest import YEAR, yibao
from yibao.engine import Workspace
from yibao.indicators.compute import compute, data_codes
from yibao.pipeline.context import resolve_policy
from yibao.policy import load_policy

#: Module fixtures built once, on one worker: the indicators (`computed`).
pytestmark = pytest.mark.xdist_group("evaluate-indicators")

Y = YEAR
PR = (
    f"pr AS (SELECT psn_no, min(region_code) AS r FROM enrolments "
    f"WHERE year = {Y} AND insutype = '390' GROUP BY psn_no)"
)
RC = (
    f"rc AS (SELECT c.*, pr.r FROM claims c LEFT JOIN pr USING (psn_no) "
    f"WHERE year(c.setl_time) = {Y} AND c.insutype IN ('390', '392'))"
)
IP = "ip AS (SELECT * FROM rc WHERE med_type IN ('21', '22', '23', '24', '52'))"
POP = (
    "pop AS (SELECT region_code AS r, registered_pop, resident_pop FROM regions "
    "WHERE level IS NULL OR level = '县级')"
)


def split(src: str, num: str, den: str = "NULL") -> str:
    """Region rows (r known) and the total row of one source."""
    return (
        f"SELECT r, {num} AS n, {den} AS d FROM {src} WHERE r IS NOT NULL GROUP BY r "
        f"UNION ALL SELECT NULL, {num}, {den} FROM {src}"
    )


def paired(num_sql: str, den_sql: str) -> str:
    return (
        f"SELECT a.r, a.n, b.n AS d FROM ({num_sql}) a LEFT JOIN ({den_sql}) b "
        f"ON coalesce(a.r, '*') = coalesce(b.r, '*')"
    )


def persons(types: str) -> str:
    return split(
        f"(SELECT psn_no, region_code AS r FROM enrolments WHERE year = {Y} "
        f"AND insutype IN ({types}))",
        "count(DISTINCT psn_no)",
    )


def findings(rules: str) -> str:
    return split(
        f"(SELECT f.key, pr.r FROM supervise_findings f LEFT JOIN pr USING (psn_no) "
        f"WHERE f.year = {Y} AND f.rule IN ({rules}))",
        "count(DISTINCT key)",
    )


SUP = (
    f"(SELECT f.amount, coalesce(i.region_code, pr.r) AS r FROM supervise_findings f "
    f"LEFT JOIN institutions i USING (fixmedins_code) LEFT JOIN pr USING (psn_no) "
    f"WHERE f.year = {Y})"
)
SURVEY = (
    f"(SELECT max(region_code) AS r, avg(CASE WHEN score <= 5 THEN score * 20 ELSE score END) "
    f">= 80 AS ok FROM survey_responses WHERE year(response_date) = {Y} AND score IS NOT NULL "
    f"GROUP BY survey_id, respondent_id)"
)


def ci_sql(ded: int, poor: int) -> str:
    return split(
        f"(SELECT s.ci_cum_fen, s.ci_base_fen, c.hifmi_pay, pr.r, "
        f"greatest(s.ci_cum_fen - CASE WHEN s.poor THEN {poor} ELSE {ded} END, 0) "
        f"- greatest(s.ci_cum_fen - s.ci_base_fen - CASE WHEN s.poor THEN {poor} ELSE {ded} END, 0)"
        f" AS above FROM settlements s JOIN claims c USING (setl_id) LEFT JOIN pr "
        f"ON pr.psn_no = s.psn_no WHERE s.year = {Y} AND s.ci_base_fen > 0)",
        "sum(coalesce(hifmi_pay, 0))",
        "sum(above) * 0.01::DECIMAL(3, 2)",
    )


SQL = {
    "coverage_rate_registered": paired(
        persons("'310', '340', '390'"), split("pop", "sum(registered_pop)")
    ),
    "coverage_rate_resident": paired(
        persons("'310', '340', '390'"), split("pop", "sum(resident_pop)")
    ),
    "resident_coverage_rate": paired(persons("'390'"), split("pop", "sum(resident_pop)")),
    "insured_count": persons("'390'"),
    "duplicate_enrolment_count": findings(
        "'duplicate_enrolment_region', 'duplicate_enrolment_insutype'"
    ),
    "invalid_enrolment_count": findings("'invalid_id', 'deceased_enrolled'"),
    "subsidy_standard": split(
        f"(SELECT region_code AS r, sum(due) AS due, max(insured) AS ins FROM finance_subsidy_due "
        f"WHERE year = {Y} GROUP BY region_code)",
        "sum(due)",
        "sum(ins)",
    ),
    "subsidy_arrival_rate": split(
        f"(SELECT region_code AS r, * FROM finance_subsidy WHERE year = {Y})",
        "sum(received)",
        "sum(due)",
    ),
    "budget_execution_rate": split(
        f"(SELECT region_code AS r, * FROM finance_budget WHERE year = {Y})",
        "sum(actual)",
        "sum(budget_total)",
    ),
    "reserve_months": (
        f"SELECT NULL AS r, sum(closing) AS n, sum(expense) AS d "
        f"FROM finance_balance WHERE report_year = {Y} AND year = {Y}"
    ),
    "inpatient_policy_ratio": split(
        "ip", "sum(coalesce(hifp_pay, 0) + coalesce(hifmi_pay, 0))", "sum(inscp_scp_amt)"
    ),
    "inpatient_actual_ratio": split(
        "ip", "sum(coalesce(hifp_pay, 0) + coalesce(hifmi_pay, 0))", "sum(medfee_sumamt)"
    ),
    "inpatient_rate": paired(split("ip", "count(*)"), persons("'390'")),
    "cost_per_admission": split("ip", "sum(medfee_sumamt)", "count(*)"),
    "outpatient_inpatient_ratio": split(
        "rc",
        "count(*) FILTER (WHERE med_type IN ('11', '13', '14', '51'))",
        "count(*) FILTER (WHERE med_type IN ('21', '22', '23', '24', '52'))",
    ),
    "avg_length_of_stay": split(
        "(SELECT * FROM ip WHERE act_ipt_days IS NOT NULL)", "sum(act_ipt_days)", "count(*)"
    ),
    "satisfaction_rate": split(SURVEY, "count(*) FILTER (WHERE ok)", "count(*)"),
    "supervision_findings_count": split(SUP, "count(*)"),
    "supervision_amount_at_risk": split(SUP, "sum(coalesce(amount, 0))"),
    "retiree_count": split(
        f"(SELECT region_code AS r, psn_no FROM finance_retirees WHERE year = {Y})",
        "count(DISTINCT psn_no)",
    ),
    "retiree_fund_rate": split(
        f"(SELECT region_code AS r, * FROM fund_ledger WHERE year(entry_date) = {Y} "
        f"AND fund = '离休统筹')",
        "coalesce(sum(amount) FILTER (WHERE direction = '收入'), 0)",  # none arrived: 0 %
        "coalesce(sum(amount) FILTER (WHERE direction = '支出'), 0)",
    ),
}


def _fund(ins: str, year: int = Y) -> str:
    """Claims of one fund in ``year``, with the county of the person's enrolment in that fund."""
    return (
        f"(SELECT c.*, e.r FROM claims c LEFT JOIN (SELECT psn_no, min(region_code) AS r "
        f"FROM enrolments WHERE year = {year} AND insutype = '{ins}' GROUP BY psn_no) e "
        f"USING (psn_no) WHERE year(c.setl_time) = {year} AND c.insutype = '{ins}')"
    )


def _inp(ins: str, year: int = Y) -> str:
    return f"(SELECT * FROM {_fund(ins, year)} WHERE med_type IN ('21', '22', '23', '24', '52'))"


_COMPLETE = " AND ".join(
    f"{c} IS NOT NULL"
    for c in (
        "setl_id", "psn_no", "certno", "insutype", "med_type", "fixmedins_code", "setl_time",
        "medfee_sumamt", "inscp_scp_amt", "hifp_pay", "dise_codg",
    )
)  # fmt: skip

for _ins, _key in (("310", "employee"), ("390", "resident")):
    _now = split(_inp(_ins), "sum(medfee_sumamt)", "count(*)")
    _before = split(_inp(_ins, Y - 1), "sum(medfee_sumamt)", "count(*)")
    SQL |= {
        f"{_key}_inpatient_per_insured": paired(
            split(_inp(_ins), "count(*)"), persons(f"'{_ins}'")
        ),
        f"{_key}_outpatient_inpatient_ratio": paired(
            split(f"(SELECT * FROM {_fund(_ins)} WHERE med_type IN ('11', '13', '14', '51'))",
                  "count(*)"),
            split(_inp(_ins), "count(*)"),
        ),
        f"{_key}_reimbursed_share": split(
            _fund(_ins), "sum(coalesce(hifp_pay, 0) + coalesce(hifob_pay, 0))",
            "sum(inscp_scp_amt)",
        ),
        f"{_key}_cost_per_admission": _now,
        # (a/b) ÷ (c/d) − 1 = (a·d − b·c) ÷ (b·c)
        f"{_key}_cost_per_admission_growth": (
            f"SELECT x.r, x.n * y.d - x.d * y.n AS n, x.d * y.n AS d FROM ({_now}) x "
            f"LEFT JOIN ({_before}) y ON coalesce(x.r, '*') = coalesce(y.r, '*')"
        ),
        f"{_key}_complete_upload_rate": split(
            _fund(_ins), f"sum(CASE WHEN {_COMPLETE} THEN 1 ELSE 0 END)", "count(*)"
        ),
    }  # fmt: skip
SQL["covered_persons"] = persons("'310', '340', '390'")
#: How each value follows from n and d (percent, per, money, count, months).
KIND = {
    "covered_persons": "count",
    **{
        f"{f}_{k}": "per"
        for f in ("employee", "resident")
        for k in ("inpatient_per_insured", "outpatient_inpatient_ratio")
    },
    **{f"{f}_cost_per_admission": "money_per" for f in ("employee", "resident")},
    "insured_count": "count",
    "duplicate_enrolment_count": "count",
    "invalid_enrolment_count": "count",
    "supervision_findings_count": "count",
    "retiree_count": "count",
    "supervision_amount_at_risk": "money",
    "subsidy_standard": "per",
    "cost_per_admission": "per",
    "outpatient_inpatient_ratio": "per",
    "avg_length_of_stay": "per",
    "reserve_months": "months",
}
CENT = Decimal("0.01")


def expected_value(code: str, n, d):  # noqa: ANN001, ANN201
    kind = KIND.get(code, "percent")
    if n is None:
        return None
    n = Decimal(n)
    if kind == "count":
        return n
    if kind == "money":
        return n.quantize(CENT, ROUND_HALF_UP)
    if d is None or Decimal(d) == 0:
        return None
    q = n / Decimal(d)
    if kind == "months":
        q = q * 12
    if kind == "percent":
        q = q * 100
    if kind == "per" and code.startswith(("employee_", "resident_")):
        return q.quantize(Decimal("0.0001"), ROUND_HALF_UP)  # four places (issue 16 ratios)
    return q.quantize(CENT, ROUND_HALF_UP)


@pytest.fixture(scope="module")
def computed(gen_ws: Path):
    with Workspace.open(gen_ws) as ws:
        values, notes = compute(ws, Y, policy=resolve_policy(ws, None))
        policy = resolve_policy(ws, None)
        end = dt.date(Y, 12, 31)
        ded = int(Decimal(policy.value("critical_illness.deductible", end)) * 100)
        poor = int(Decimal(policy.value("critical_illness.poor_deductible", end)) * 100)
        sql = dict(SQL, ci_policy_ratio=ci_sql(ded, poor))
        expected = {}
        for code, q in sql.items():
            rows = ws.con.execute(f"WITH {PR}, {RC}, {IP}, {POP} {q}").fetchall()
            expected[code] = {r[0]: (r[1], r[2]) for r in rows}
    return values, notes, expected


def test_every_data_backed_indicator_has_an_independent_check():
    # Seed 003's collection indicators read finance_employee: hand-worked values in
    # tests/finance/test_employee_finance.py (issue 16).
    hand_checked = {"employee_collection", "employee_collection_task_rate"}
    checked = set(SQL) | {"ci_policy_ratio", "retiree_pooling_standard"} | hand_checked
    # the payment indicators need `yibao payment` on a three-year region: their plain-SQL
    # check is tests/payment/test_region.py::test_indicators_equal_plain_sql
    checked |= {"dip_case_coverage", "dip_fund_share", "budget_use_progress"}
    # The case indicators (issue 18) are checked against hand-computed case records in
    # tests/web/test_control_plane.py::test_closed_cases_feed_the_case_indicators.
    cases = {
        "inspections_count",
        "recovered_amount",
        "penalty_amount",
        "supervision_confirmed_rate",
    }
    checked |= cases
    assert set(data_codes()) == checked


@pytest.mark.parametrize("code", sorted(set(SQL) | {"ci_policy_ratio"}))
def test_indicator_equals_plain_sql(computed, code: str):
    values, _notes, expected = computed
    got = {v.region_code: v for v in values if v.code == code}
    want = expected[code]
    assert set(got) == set(want), code
    assert None in got, "a total row (region_code null)"
    for region, (n, d) in want.items():
        v = got[region]
        assert v.numerator == (None if n is None else Decimal(n)), (code, region)
        assert v.denominator == (None if d is None else Decimal(d)), (code, region)
        assert v.value == expected_value(code, n, d), (code, region)


def test_the_cited_sql_reads_the_workspace_and_gives_the_same_sums(gen_ws: Path, computed):
    """The queries run on helper tables shared within one evaluation (the year's claims with
    each person's county, computed once); the SQL stored beside each value, which a report
    cites, must read workspace tables only and give exactly the stored sums."""
    values, _notes, _ = computed
    by_code: dict[str, list] = {}
    for v in values:
        by_code.setdefault(v.code, []).append(v)
    assert {"inpatient_policy_ratio", "resident_complete_upload_rate"} <= set(by_code)
    with Workspace.open(gen_ws, read_only=True) as ws:
        for code, vs in by_code.items():
            sql = vs[0].sql
            assert "ibis_cache" not in sql, code
            cur = ws.con.execute(sql)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            got = {r["region_code"]: (_dec(r["numerator"]), _dec(r["denominator"])) for r in rows}
            assert got == {v.region_code: (v.numerator, v.denominator) for v in vs}, code


def _dec(x) -> Decimal | None:
    """Counts come back as integers, sums as Decimal: both compare as exact numbers."""
    return None if x is None else Decimal(x)


def test_the_generated_county_feeds_every_indicator(computed):
    values, notes, _ = computed
    totals = {v.code: v for v in values if v.region_code is None}
    # the county's own facts: planted anomalies are found, the survey and claims are there
    assert totals["duplicate_enrolment_count"].value > 0
    assert totals["inpatient_policy_ratio"].value > 0
    assert (
        totals["satisfaction_rate"].extra["sample_size"] == totals["satisfaction_rate"].denominator
    )
    lo, hi = (
        totals["satisfaction_rate"].extra["ci95_low"],
        totals["satisfaction_rate"].extra["ci95_high"],
    )
    assert lo < totals["satisfaction_rate"].value < hi
    # no such parameter; no `yibao payment` on this workspace (said so, with what to run)
    payment = ["dip_case_coverage", "dip_fund_share", "budget_use_progress"]
    assert sorted(n.scope_key for n in notes) == sorted(["retiree_pooling_standard", *payment])
    assert all("yibao payment" in n.text for n in notes if n.scope_key in payment)


def test_a_policy_parameter_indicator_reads_the_policy(gen_ws: Path):
    with Workspace.open(gen_ws) as ws:
        values, notes = compute(
            ws, Y, ["retiree_pooling_standard"], policy=load_policy("fengdu-2021")
        )
    assert not notes
    assert [(v.region_code, v.value, v.unit) for v in values] == [
        (None, Decimal("8000.00"), "元/人/年")
    ]


def test_indicators_json_contract(gen_ws: Path, computed):
    res = yibao(
        "indicators",
        str(gen_ws),
        "--year",
        str(Y),
        "--codes",
        "inpatient_policy_ratio,insured_count",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x, parse_float=Decimal) for x in res.stdout.splitlines()]
    assert {r["code"] for r in rows} == {"inpatient_policy_ratio", "insured_count"}
    for r in rows:
        assert {"code", "region_code", "value", "unit", "numerator", "denominator"} <= set(r)
    total = next(
        r for r in rows if r["code"] == "inpatient_policy_ratio" and r["region_code"] is None
    )
    n, d = computed[2]["inpatient_policy_ratio"][None]
    assert total["unit"] == "%" and total["value"] == expected_value("inpatient_policy_ratio", n, d)
    assert 0 < total["value"] < 100  # a percentage, not a fraction


def test_indicators_unknown_code_is_an_error(gen_ws: Path):
    res = yibao("indicators", str(gen_ws), "--year", str(Y), "--codes", "no_such_indicator")
    assert res.returncode == 2 and "no_such_indicator" in res.stderr


def test_payment_indicator_without_payment_run_says_so(gen_ws: Path):
    res = yibao("indicators", str(gen_ws), "--year", str(Y), "--codes", "dip_case_coverage")
    assert "dip_case_coverage" in res.stderr + res.stdout
    assert "yibao payment" in res.stderr + res.stdout and "Traceback" not in res.stderr
