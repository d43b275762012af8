"""Policy presets for the five seed regions: they load, show, and reproduce the seeds' figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from yibao.cli import app
from yibao.money import wan
from yibao.policy import Scale, load_policy, preset_names
from yibao.refdata import area_codes

D = Decimal

# preset → (GB/T 2260 region code, a date inside the year the seed covers)
SEED_PRESETS = {
    "yiyang-2019": ("430900", dt.date(2019, 6, 30)),
    "haikou-2023": ("460100", dt.date(2023, 12, 31)),
    "fengdu-2021": ("500230", dt.date(2021, 6, 30)),
    "suining-2013": ("510900", dt.date(2013, 12, 31)),
    "yongqiao-2021": ("341302", dt.date(2021, 6, 30)),
}

YIYANG_COUNTIES = {
    "430902": "资阳区",
    "430903": "赫山区",
    "430921": "南县",
    "430922": "桃江县",
    "430923": "安化县",
    "430981": "沅江市",
}


@pytest.mark.parametrize("name", sorted(SEED_PRESETS))
def test_preset_loads(name: str) -> None:
    pol = load_policy(name)
    region, when = SEED_PRESETS[name]
    assert name in preset_names()
    assert pol.name == name
    assert pol.meta["extends"] == "national"
    assert pol.meta["region"] == region
    assert pol.files[-1].endswith(f"{name}.yaml")
    # every parameter this preset defines is in force in the seed's year, or from the start of
    # the next one (suining-2013: the unified resident scheme starts on 2014-01-01)
    own = [p for p in pol.parameters.values() if p.source.endswith(f"{name}.yaml")]
    assert own
    next_year = dt.date(when.year + 1, 1, 1)
    for p in own:
        assert p.at(when) is not None or p.at(next_year) is not None, p.name
        assert p.reference or all(v.reference for v in p.values)


@pytest.mark.parametrize("name", sorted(SEED_PRESETS))
def test_region_code_exists(name: str) -> None:
    # Through the reference-data module: without the code list this fails, it never skips.
    known = area_codes()
    assert SEED_PRESETS[name][0] in known
    if name == "yiyang-2019":
        assert set(YIYANG_COUNTIES) <= set(known)
        assert {known[c] for c in YIYANG_COUNTIES} == set(YIYANG_COUNTIES.values())


@pytest.mark.parametrize("name", sorted(SEED_PRESETS))
@pytest.mark.parametrize("as_json", [False, True])
def test_cli_policy_show(name: str, as_json: bool) -> None:
    when = SEED_PRESETS[name][1].isoformat()
    args = ["policy", "show", name, "--date", when] + (["--json"] if as_json else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    if as_json:
        assert f'"preset": "{name}"' in result.output


# --- seed 000: 益阳市 2019 -------------------------------------------------------------------


def yiyang_shares(code: str) -> dict[str, Decimal]:
    """Per-person subsidy by budget level for one county, from the preset's parameters."""
    pol = load_policy("yiyang-2019")
    when = dt.date(2019, 1, 1)
    total = pol.value("financing.resident.subsidy_per_person", when)
    cls = pol.value("financing.subsidy_sharing.county_class", when)[code]
    central = total * pol.value("financing.subsidy_sharing.central_share_by_class", when)[cls]
    province = (total - central) * pol.value(
        "financing.subsidy_sharing.province_share_of_remainder_by_class", when
    )[cls]
    city = pol.value("financing.subsidy_sharing.city_amount_per_person", when).get(code, D(0))
    county = total - central - province - city
    return {"central": central, "province": province, "city": city, "county": county}


@pytest.mark.parametrize(
    ("code", "central", "province", "city", "county"),
    [
        ("430902", "312", "104", "62.4", "41.6"),  # 资阳区
        ("430903", "312", "104", "62.4", "41.6"),  # 赫山区
        ("430922", "312", "145.6", "0", "62.4"),  # 桃江县
        ("430981", "416", "72.8", "0", "31.2"),  # 沅江市
        ("430921", "416", "72.8", "0", "31.2"),  # 南县
        ("430923", "416", "83.2", "0", "20.8"),  # 安化县
    ],
)
def test_yiyang_subsidy_shares(
    code: str, central: str, province: str, city: str, county: str
) -> None:
    s = yiyang_shares(code)
    assert s["central"] == D(central)
    assert s["province"] == D(province)
    assert s["city"] == D(city)
    assert s["county"] == D(county)
    assert sum(s.values()) == D(520)


def test_yiyang_every_county_classified() -> None:
    pol = load_policy("yiyang-2019")
    when = dt.date(2019, 1, 1)
    classes = pol.value("financing.subsidy_sharing.county_class", when)
    assert set(classes) == set(YIYANG_COUNTIES)
    for table in ("central_share_by_class", "province_share_of_remainder_by_class"):
        assert set(classes.values()) <= set(pol.value(f"financing.subsidy_sharing.{table}", when))
    # the city pays per person only for the two districts; the four counties get a fixed amount
    per_head = set(pol.value("financing.subsidy_sharing.city_amount_per_person", when))
    fixed = set(pol.value("financing.subsidy_sharing.city_fixed_subsidy_counties", when))
    assert per_head == {"430902", "430903"}
    assert per_head | fixed == set(YIYANG_COUNTIES)
    assert not per_head & fixed


def test_yiyang_financing_and_due_amount() -> None:
    pol = load_policy("yiyang-2019")
    when = dt.date(2019, 1, 1)
    subsidy = pol.value("financing.resident.subsidy_per_person", when)
    assert subsidy == D(520)
    assert pol.value("financing.resident.individual_contribution", when) == D(220)
    # seed 000 states 4,097,942 insured and a subsidy due of 213,092.98 万元
    assert wan(4_097_942 * subsidy) == D("213092.98")
    assert pol.value("medical_assistance.fully_subsidised_categories", when) == ("特困人员",)
    assert pol.value("financing.resident.late_enrolment_allowed", when) is False
    assert pol.value("fund.pooling_level", when) == "县级统筹"


def test_yiyang_overrides_national() -> None:
    pol = load_policy("yiyang-2019")
    nat = load_policy("national")
    when = dt.date(2019, 6, 30)
    # the locality's individual contribution (220) is below the national guide (250)
    assert nat.value("financing.resident.individual_contribution", when) == D(250)
    assert pol.value("financing.resident.individual_contribution", when) == D(220)
    assert pol.get("financing.resident.subsidy_per_person").source.endswith("yiyang-2019.yaml")
    # national parameters the preset does not touch are still inherited
    assert pol.get("critical_illness.min_ratio").source.endswith("national.yaml")


# --- seed 001: 海口市 2023 -------------------------------------------------------------------


def test_haikou_dip_and_targets() -> None:
    pol = load_policy("haikou-2023")
    levels = "payment.dip.actual_payment_levels"
    assert pol.value(levels, dt.date(2022, 12, 1)) == ("2", "3")
    assert pol.value(levels, dt.date(2023, 6, 30)) == ("2", "3")
    assert pol.value(levels, dt.date(2023, 7, 1)) == ("1", "2", "3")
    with pytest.raises(LookupError):
        pol.value(levels, dt.date(2022, 11, 30))
    when = dt.date(2023, 12, 31)
    assert pol.value("procurement.volume_based.prepayment_rate", when) == D("0.40")
    assert pol.value("evaluation.targets.drug_online_procurement_rate", when) == D("0.85")
    assert pol.value("evaluation.targets.high_value_consumable_online_procurement_rate", when) == D(
        "0.75"
    )
    assert pol.value("evaluation.targets.village_service_coverage", when) == D("0.60")
    assert pol.value("evaluation.targets.satisfaction", when) == D("0.85")


# --- seed 002: 丰都县 2021 -------------------------------------------------------------------


def test_fengdu_retired_cadre() -> None:
    pol = load_policy("fengdu-2021")
    when = dt.date(2021, 6, 30)
    assert pol.value("retired_cadre.pooling_standard", when) == D(8000)
    assert pol.value("retired_cadre.quota", when) == {"抗日": D(5000), "解放": D(3000)}
    assert pol.value("retired_cadre.quota_cash_topup", when) is True
    assert pol.value("retired_cadre.ratio", when) == D("1.00")
    assert "渝卫（2012）171号" in pol.get("retired_cadre.quota").reference
    # the quota applies from 2018; the pooling standard since 2007
    with pytest.raises(LookupError):
        pol.value("retired_cadre.quota", dt.date(2017, 12, 31))
    assert pol.value("retired_cadre.pooling_standard", dt.date(2010, 1, 1)) == D(8000)


# --- seed 003: 遂宁市 2013 -------------------------------------------------------------------


def test_suining_caps_and_dates() -> None:
    pol = load_policy("suining-2013")
    when = dt.date(2013, 12, 31)
    assert pol.value("basic.annual_cap", when) == D(100000)
    assert pol.value("basic.employee.annual_cap", when) == D(200000)
    assert pol.get("basic.annual_cap").source.endswith("suining-2013.yaml")
    assert pol.value("critical_illness.enabled", dt.date(2013, 10, 1)) is True
    with pytest.raises(LookupError):
        pol.value("critical_illness.enabled", dt.date(2013, 9, 30))
    assert pol.value("fund.pooling_level", dt.date(2014, 1, 1)) == "市级统筹"
    assert "遂人社办发〔2013〕108号" in pol.get("payment.total_budget_control").reference


# --- seed 004: 宿州市埇桥区 2021 -------------------------------------------------------------


def critical_illness_pay(scale: Scale, deductible: Decimal, cumulative: Decimal) -> Decimal:
    """Bands on the cumulative base; the part below the deductible is not paid (DOMAIN §3)."""
    if cumulative <= deductible:
        return D(0)
    return (scale.apply(cumulative) - scale.apply(deductible)).quantize(D("0.01"))


def test_yongqiao_critical_illness() -> None:
    pol = load_policy("yongqiao-2021")
    when = dt.date(2021, 6, 30)
    scale = pol.value("critical_illness.scale", when)
    deductible = pol.value("critical_illness.deductible", when)
    assert pol.value("critical_illness.premium_per_person", when) == D(80)
    assert deductible == D(12000)
    assert [(b.threshold, b.rate) for b in scale.brackets] == [
        (D(0), D("0.60")),
        (D(50000), D("0.65")),
        (D(100000), D("0.75")),
        (D(200000), D("0.85")),
    ]
    assert pol.value("critical_illness.insurer_profit_cap", when) == D("0.03")
    assert pol.value("critical_illness.min_ratio", when) == D("0.60")
    assert "宿医保秘[2021]19号" in pol.get("critical_illness.premium_per_person").reference
    # DOMAIN.md §3 worked examples
    assert scale.apply(D(80000)) - scale.apply(D(12000)) == D("42300.00")
    assert critical_illness_pay(scale, deductible, D(80000)) == D("42300.00")
    first = critical_illness_pay(scale, deductible, D(10000))
    second = critical_illness_pay(scale, deductible, D(40000)) - first
    assert (first, second) == (D("0.00"), D("16800.00"))


def test_yongqiao_evaluation_weights() -> None:
    pol = load_policy("yongqiao-2021")
    when = dt.date(2021, 1, 1)
    top = pol.value("evaluation.self_evaluation_weights", when)
    sub = pol.value("evaluation.self_evaluation_subweights", when)
    assert sum(top.values()) == 100
    for group, weight in top.items():
        assert sum(v for k, v in sub.items() if k.split("/")[0] == group) == weight, group
    assert {k.split("/")[0] for k in sub} == set(top)
