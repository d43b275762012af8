"""Policy loader contracts: dated values, extends, the exact demo-county preset, clear errors."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yibao.cli import app
from yibao.money import round_fen
from yibao.policy import PolicyError, load_policy, preset_names

D = Decimal
runner = CliRunner()


def test_every_preset_loads_and_the_five_seed_regions_are_shipped():
    names = preset_names()
    for n in names:
        assert load_policy(n).parameters
    assert {
        "national",
        "demo-county",
        "yiyang-2019",
        "haikou-2023",
        "fengdu-2021",
        "suining-2013",
        "yongqiao-2021",
    } <= set(names)


def test_demo_county_is_exactly_the_issue_3_reference():
    p = load_policy("demo-county")
    on = date(2021, 6, 30)
    v = lambda name: p.value(name, on)  # noqa: E731
    assert v("basic.inpatient.deductible") == {"1": D(200), "2": D(500), "3": D(800)}
    assert v("basic.inpatient.ratio") == {"1": D("0.90"), "2": D("0.80"), "3": D("0.65")}
    assert v("basic.inpatient.offsite_deductible") == D(1000)
    assert v("basic.inpatient.offsite_ratio_reduction") == D("0.10")
    assert v("basic.chronic_outpatient.ratio") == D("0.70")
    assert v("basic.chronic_outpatient.deductible") == 0
    assert v("basic.annual_cap") == D(150000)
    assert v("basic.general_outpatient.ratio") == D("0.50")
    assert v("basic.general_outpatient.annual_limit") == D(400)
    assert v("critical_illness.deductible") == D(12000)
    assert v("critical_illness.poor_deductible") == D(6000)
    assert v("critical_illness.poor_rate_increase") == D("0.05")
    assert v("critical_illness.poor_categories") == ("特困人员", "低保对象", "返贫致贫人口")
    assert v("critical_illness.med_types") == ("21", "14")
    assert [(b.threshold, b.rate) for b in v("critical_illness.scale").brackets] == [
        (D(0), D("0.60")),
        (D(50000), D("0.65")),
        (D(100000), D("0.75")),
        (D(200000), D("0.85")),
    ]
    assert v("medical_assistance.ratio") == {
        "特困人员": D("0.90"),
        "低保对象": D("0.75"),
        "返贫致贫人口": D("0.60"),
    }
    assert v("medical_assistance.annual_limit") == D(60000)
    assert v("retired_cadre.insutypes") == ("340",) and v("retired_cadre.ratio") == D(1)
    assert p.get("critical_illness.annual_cap").at(on) is None  # no cap
    # Not in force before 2021-01-01: the demo-county values start then.
    assert p.get("basic.inpatient.offsite_deductible").at(date(2020, 12, 31)) is None


def _ci(p, base_before: Decimal, base_after: Decimal, poor: bool = False) -> Decimal:
    """F(after) − F(before), bands on the cumulative base above the deductible (DOMAIN §3)."""
    on = date(2021, 6, 30)
    scale = p.value("critical_illness.scale", on)
    ded = p.value("critical_illness.poor_deductible" if poor else "critical_illness.deductible", on)

    def f(c: Decimal) -> Decimal:
        return round_fen(scale.apply(c) - scale.apply(min(c, ded)))

    return f(base_after) - f(base_before)


def test_issue_3_worked_examples_follow_from_the_preset():
    p = load_policy("demo-county")
    on = date(2021, 6, 30)
    inscp, medfee = D(90000), D(100000)
    hifp = round_fen(
        (inscp - p.value("basic.inpatient.deductible", on)["3"])
        * p.value("basic.inpatient.ratio", on)["3"]
    )
    assert hifp == D("57980.00")
    hifmi = _ci(p, D(0), inscp - hifp)
    assert hifmi == D("12012.00")
    assert medfee - hifp - hifmi == D("30008.00")
    assert _ci(p, D(0), D(10000)) == D("0.00")
    assert _ci(p, D(10000), D(40000)) == D("16800.00")
    # DOMAIN.md §3: one claim with base 80,000 pays 38,000 × 60% + 30,000 × 65%.
    assert _ci(p, D(0), D(80000)) == D("42300.00")


def test_regional_values_override_the_national_baseline():
    nat, yy = load_policy("national"), load_policy("yiyang-2019")
    on = date(2019, 6, 1)
    assert nat.value("financing.resident.individual_contribution", on) == D(250)
    assert yy.value("financing.resident.individual_contribution", on) == D(220)
    assert yy.value("financing.resident.subsidy_per_person", on) == D(520)
    assert yy.get("financing.resident.subsidy_per_person").source.endswith("yiyang-2019.yaml")
    # Untouched national parameters are inherited.
    assert yy.value("financing.subsidy_sharing.central_share_by_tier", on)["五档"] == D("0.10")


def test_policy_show_prints_the_values_in_force_with_units_and_references():
    res = runner.invoke(app, ["policy", "show", "demo-county", "--date", "2021-06-30", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    ded = doc["parameters"]["critical_illness.deductible"]
    assert ded["value"] == "12000" and ded["unit"] == "元/人/年" and ded["since"] == "2021-01-01"
    assert ded["reference"]
    res = runner.invoke(app, ["policy", "show", "demo-county", "--date", "2021-06-30"])
    assert res.exit_code == 0 and "critical_illness.scale" in res.output
    assert "60%" in res.output


def _write(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "bad.yaml"
    f.write_text(body, encoding="utf-8")
    return f


GOOD_PARAM = """
preset: t
label: 测试
parameters:
  basic:
    cap:
      description: 限额
      type: amount
      unit: 元
      reference: 测试
      values:
        2021-01-01: 100
"""


@pytest.mark.parametrize(
    ("replace", "key", "problem"),
    [
        ("        2021-01-01: 100", "basic.cap.values.2021-13-01", "不是有效日期"),
        ("      unit: 元\n", "basic.cap.unit", "缺少必需的键"),
        ("      type: amount", "basic.cap.type", "未知类型"),
        ("        2021-01-01: 100", "basic.cap.values.2021-01-01", "金额不能为负"),
        ("      reference: 测试\n", "basic.cap.reference", "依据"),
        ("        2021-01-01: 100", "", "YAML 语法错误"),
    ],
)
def test_a_malformed_policy_names_file_key_and_problem(tmp_path, replace, key, problem):
    new = {
        "        2021-01-01: 100": {
            "不是有效日期": "        2021-13-01: 100",
            "金额不能为负": "        2021-01-01: -5",
            "YAML 语法错误": "        2021-01-01: [100",
        },
        "      unit: 元\n": {"缺少必需的键": ""},
        "      type: amount": {"未知类型": "      type: money"},
        "      reference: 测试\n": {"依据": ""},
    }[replace][problem]
    f = _write(tmp_path, GOOD_PARAM.replace(replace, new))
    with pytest.raises(PolicyError) as exc:
        load_policy(f)
    assert str(f) in str(exc.value) and problem in str(exc.value)
    if key:
        assert exc.value.key == key


def test_rates_scales_and_null_values_are_checked(tmp_path):
    rate = GOOD_PARAM.replace("type: amount", "type: rate").replace(": 100", ": 65")
    with pytest.raises(PolicyError, match="0.60"):
        load_policy(_write(tmp_path, rate))
    scale = GOOD_PARAM.replace("type: amount", "type: scale").replace(
        "2021-01-01: 100", "2021-01-01: [{threshold: 0, rate: 0.5}, {threshold: 0, rate: 0.6}]"
    )
    with pytest.raises(PolicyError, match="严格递增"):
        load_policy(_write(tmp_path, scale))
    ended = GOOD_PARAM.replace("2021-01-01: 100", "2021-01-01: 100\n        2022-01-01: null")
    p = load_policy(_write(tmp_path, ended))
    assert p.value("basic.cap", date(2021, 5, 1)) == D(100)
    assert p.get("basic.cap").at(date(2022, 5, 1)) is None
    assert p.get("basic.cap").at(date(2020, 5, 1)) is None


def test_cli_reports_a_malformed_policy_with_exit_2(tmp_path):
    f = _write(tmp_path, GOOD_PARAM.replace("type: amount", "type: money"))
    res = runner.invoke(app, ["policy", "show", str(f), "--date", "2021-06-30"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["policy", "check", str(f)])
    assert res.exit_code == 2
