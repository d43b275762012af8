"""`yibao evaluate` on a workspace: every data-backed line from data, stored with who/when/file,
drafted deviations that name what drove the shortfall, and the run recorded."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from evaluate.conftest import YEAR, yibao
from yibao.engine import Workspace
from yibao.indicators.docs import render_indicators_md

ROOT = Path(__file__).resolve().parents[2]
LINE_FIELDS = {
    "code",
    "name",
    "unit",
    "direction",
    "target",
    "actual",
    "completion",
    "weight",
    "score",
    "source",
    "deviation",
}


def evaluate_json(*args: str) -> tuple[list[dict], dict]:
    res = yibao("evaluate", *args, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    rows = [json.loads(x, parse_float=Decimal) for x in res.stdout.splitlines()]
    return rows[:-1], rows[-1]


@pytest.mark.parametrize("framework", ["self-2020", "generic-2020"])
def test_framework_on_the_generated_county(gen_ws: Path, framework: str):
    lines, last = evaluate_json(str(gen_ws), "--framework", framework, "--year", str(YEAR))
    assert all(set(x) >= LINE_FIELDS for x in lines)
    assert {"framework", "year", "total", "grade"} <= set(last)
    assert last["framework"] == framework and last["year"] == YEAR
    assert last["total"] == sum(x["score"] for x in lines)
    expected_grade = next(
        g for g, low in (("优", 90), ("良", 80), ("中", 60), ("差", 0)) if last["total"] >= low
    )
    assert last["grade"] == expected_grade
    with Workspace.open(gen_ws, read_only=True) as ws:
        data = {
            r[0]
            for r in ws.con.execute(
                "SELECT DISTINCT code FROM indicator_values WHERE year = ?", [YEAR]
            ).fetchall()
        }
        stored = ws.con.execute(
            "SELECT total, grade, entered_by, input_file FROM evaluate_results "
            "WHERE year = ? AND framework = ?",
            [YEAR, framework],
        ).fetchone()
    for x in lines:
        assert x["source"] == ("query" if x["code"] in data else "missing"), x["code"]
        assert Decimal(0) <= x["score"] <= x["weight"]
        below = x["actual"] is None or x["score"] < x["weight"]
        assert bool(x["deviation"]) == below, x["code"]
    assert stored[0] == last["total"] and stored[1] == last["grade"]
    assert stored[2] and stored[3] is None
    if framework == "self-2020":
        assert all(x["source"] == "query" for x in lines)


def test_drafts_name_the_short_county_level_and_the_hospitals(gen_ws: Path):
    lines, _ = evaluate_json(str(gen_ws), "--framework", "self-2020", "--year", str(YEAR))
    by = {x["code"]: x for x in lines}
    with Workspace.open(gen_ws, read_only=True) as ws:
        short = ws.con.execute(
            "SELECT r.region_name, s.budget_level, s.shortfall FROM finance_subsidy s "
            "JOIN regions r USING (region_code) WHERE s.year = ? AND s.shortfall > 0 "
            "ORDER BY s.shortfall DESC LIMIT 1",
            [YEAR],
        ).fetchone()
        worst = ws.con.execute(
            "SELECT i.fixmedins_name FROM claims c JOIN institutions i USING (fixmedins_code) "
            "WHERE year(c.setl_time) = ? AND c.insutype IN ('390','392') "
            "AND c.med_type IN ('21','22','23','24','52') GROUP BY 1 "
            "ORDER BY sum(c.inscp_scp_amt) * 0.70 - sum(coalesce(c.hifp_pay,0) + "
            "coalesce(c.hifmi_pay,0)) DESC LIMIT 1",
            [YEAR],
        ).fetchone()
    assert short is not None, "the generator plants a short-paid level"
    dev = by["subsidy_arrival_rate"]["deviation"]
    assert f"{short[0]}{short[1]}" in dev and str(short[2]) in dev
    ratio = by["inpatient_policy_ratio"]
    if ratio["score"] < ratio["weight"]:
        assert worst[0] in ratio["deviation"]
    assert by["subsidy_arrival_rate"]["remedy"]


def test_inputs_override_and_confirm_and_are_stored_with_who_and_file(gen_ws: Path, tmp_path: Path):
    p = tmp_path / "自评录入.yaml"
    p.write_text(
        "entered_by: 规财科 李四\nentered_at: 2022-01-15\nvalues:\n"
        "  project_basis: {value: 充分, quote: 立项文件齐全}\n"
        "  goal_reasonable: {value: 基本合理, quote: 目标偏低}\n"
        "  budget_scientific: {value: 科学, quote: 经过论证}\n"
        "  fund_compliance: {value: 合规, quote: 审计无问题}\n"
        "  awareness_level: {value: 普遍知晓, quote: 问卷}\n"
        "deviations:\n  goal_reasonable: {cause: 目标值定得偏低, remedy: 下年按上年实际值定目标}\n",
        encoding="utf-8",
    )
    lines, last = evaluate_json(
        str(gen_ws), "--framework", "generic-2020", "--year", str(YEAR), "--inputs", str(p)
    )
    by = {x["code"]: x for x in lines}
    assert by["goal_reasonable"]["source"] == "input" and by["goal_reasonable"]["score"] == 4
    assert by["goal_reasonable"]["deviation"] == "目标值定得偏低"
    assert by["project_basis"]["score"] == 5 and by["inpatient_policy_ratio"]["source"] == "query"
    with Workspace.open(gen_ws, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT status, entered_by, CAST(entered_at AS DATE), input_file, evidence "
            "FROM evaluate_lines WHERE year = ? AND framework = 'generic-2020' "
            "AND code = 'goal_reasonable'",
            [YEAR],
        ).fetchone()
        runs = ws.con.execute(
            "SELECT r.status, count(q.seq) FROM _runs r LEFT JOIN _run_queries q USING (run_id) "
            "WHERE r.step = 'evaluate' GROUP BY r.run_id, r.status ORDER BY r.run_id DESC LIMIT 1"
        ).fetchone()
    assert row[0] == "已确认" and row[1] == "规财科 李四" and str(row[2]) == "2022-01-15"
    assert row[3].endswith("自评录入.yaml") and row[4] == "目标偏低"
    assert runs[0] == "ok" and runs[1] >= 20  # each indicator's query text is kept
    assert last["total"] == sum(x["score"] for x in lines)


def test_check_passes_on_the_evaluate_tables(gen_ws: Path):
    res = yibao("check", str(gen_ws), "--json")
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    mine = [r for r in rows if r.get("table", "").startswith(("evaluate_", "indicator_"))]
    assert {r["table"] for r in mine} == {"indicator_values", "evaluate_lines", "evaluate_results"}
    assert all(r["status"] == "pass" for r in mine), mine


def test_docs_indicators_md_is_generated_from_the_registry():
    on_disk = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert on_disk == render_indicators_md(), "docs/indicators.md drifted: run `make schema-docs`"


def test_unscored_indicators_that_cannot_run_are_not_warnings(gen_ws: Path):
    """self-2020 does not score DIP: a workspace without `yibao payment` gets no warning for it
    (the note is kept as info), while a framework that scores it is told what to run."""
    from yibao.evaluate.frameworks import load_framework
    from yibao.evaluate.run import evaluate

    with Workspace.open(gen_ws, read_only=True) as ws:
        ev = evaluate(load_framework("self-2020"), YEAR, ws=ws)
        dip = [n for n in ev.notes if n.scope_key == "dip_case_coverage"]
        assert dip and all(n.severity == "info" for n in dip)
        ev = evaluate(load_framework("haikou-2023"), YEAR, ws=ws)
        dip = [n for n in ev.notes if n.scope_key == "dip_case_coverage"]
        assert dip and dip[0].severity == "warning" and "yibao payment" in dip[0].text
