"""Issue 12: a region writes its policy: the template, the worked example of docs/policy.md,
and refusals that name every missing parameter."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import write_csv
from oracle.strategies import resident_only
from yibao.cli import app
from yibao.policy import load_policy
from yibao.settle.params import SettlePolicyError, build_periods, missing_parameters
from yibao.settle.run import settle_file

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def test_policy_new_writes_a_commented_template_that_loads_and_settles(tmp_path):
    out = tmp_path / "赫山区.yaml"
    res = runner.invoke(
        app, ["policy", "new", "赫山区", "--from", "demo-county", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 赫山区 城乡居民医保待遇政策")
    assert "不是 赫山区 的规定" in text and "请按本地规定改写" in text
    assert not re.search(r"DOMAIN|seed ?\d|issue ?\d", text)
    policy = load_policy(str(out))
    assert policy.name == "赫山区"
    assert all(
        p.reference == "待填写:本地实施细则文号及条款"
        for n, p in policy.parameters.items()
        if p.source == str(out)
    )
    build_periods(policy)  # complete: settles as it stands
    again = runner.invoke(app, ["policy", "new", "赫山区", "--out", str(out)])
    assert again.exit_code == 2 and "已存在" in again.output


@pytest.mark.parametrize("preset", ["yiyang-2019", "national", "haikou-2023"])
def test_a_preset_without_benefits_is_refused_naming_every_missing_parameter(preset):
    policy = load_policy(preset)
    with pytest.raises(SettlePolicyError) as exc:
        build_periods(policy)
    msg = str(exc.value)
    starts = sorted({dv.start for p in policy.parameters.values() for dv in p.values})
    missing = missing_parameters(policy, max(d for d in starts if d.year < 2100))
    assert len(missing) > 1
    for name in missing:
        assert name in msg  # every one, not just the first
    assert "yibao policy new" in msg


def test_the_worked_example_of_the_policy_guide_settles_as_it_says(tmp_path):
    doc = DOCS.read_text(encoding="utf-8")
    assert "5,980.00 元" in doc and "6,510.00 元" in doc
    policy = tmp_path / "某县.yaml"
    block = doc.split("写成政策文件(只列住院部分,其余参数同模板):")[1].split("```yaml")[1]
    block = block.split("```")[0]
    policy.write_text(
        "preset: 某县\nlabel: 某县示例\nextends: demo-county\nparameters:\n" + block,
        encoding="utf-8",
    )
    claims = write_csv(
        tmp_path / "c.csv",
        [
            "结算ID",
            "人员编号",
            "险种类型",
            "医疗类别",
            "医保结算等级",
            "结算时间",
            "医疗费总额",
            "符合政策范围金额",
        ],  # fmt: skip
        [
            ["A", "P1", "390", "21", "3", "2021-06-15 10:00:00", "10000", "10000"],
            ["B", "P2", "390", "21", "3", "2022-06-15 10:00:00", "10000", "10000"],
        ],
    )
    out = settle_file(str(policy), claims)
    assert out.ok, out.errors
    paid = {r["setl_id"]: r["hifp_pay"] for r in out.result.to_pylist()}
    assert paid == {"A": Decimal("5980.00"), "B": Decimal("6510.00")}


def test_a_resident_only_policy_settles_without_the_employee_rules():
    """Most county funds publish resident rules only: without ``employee.insutypes`` the
    employee parameters are not required (they were, so no resident-only policy settled)."""
    policy = resident_only(load_policy("demo-county"))
    assert not any(n.startswith("employee.") for n in policy.parameters)
    spec, periods = build_periods(policy)
    assert spec.employee_insutypes == ()
    assert periods.column("p_valid").to_pylist() == [True]
    assert missing_parameters(policy, periods.column("p_start")[0].as_py()) == []


def test_a_policy_that_rules_310_still_needs_every_employee_parameter():
    demo = load_policy("demo-county")
    params = {n: p for n, p in demo.parameters.items() if n != "employee.annual_cap"}
    policy = dataclasses.replace(demo, parameters=params)
    assert missing_parameters(policy, date(2021, 1, 1)) == ["employee.annual_cap"]
