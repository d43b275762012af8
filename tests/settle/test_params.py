"""The policy flattened into periods, checked against the YAML by hand (issue 19).

The chain's tests see these numbers only through settled amounts; here every period column of
demo-county is written out from src/yibao/policy/presets/demo-county.yaml (元 × 100 = fen,
rate × 10⁶ = ppm), and each refusal is read as a user reads it.  Pure Python: no engine.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from yibao.policy import Policy, load_policy
from yibao.policy.model import DatedValue
from yibao.settle import params
from yibao.settle.params import (
    FAR,
    NO_CAP,
    ChainSpec,
    SettlePolicyError,
    build_periods,
    chain_periods,
    missing_parameters,
    no_period_message,
)

JAN, JUL = date(2021, 1, 1), date(2021, 7, 1)

#: demo-county's one period, from its YAML.
DEMO = {
    "basic_cap": 15000000,  # 150000 元
    "inp_ded_1": 20000,
    "inp_ded_2": 50000,
    "inp_ded_3": 80000,
    "inp_ratio_1": 900000,
    "inp_ratio_2": 800000,
    "inp_ratio_3": 650000,
    "off_ded": 100000,
    "off_red": 100000,
    "chr_ded": 0,
    "chr_ratio": 700000,
    "gen_ded": 0,
    "gen_ratio": 500000,
    "gen_limit": 40000,
    "ci_ded": 1200000,
    "ci_poor_ded": 600000,
    "ci_bump": 50000,
    "ci_cap": NO_CAP,  # annual_cap: null
    "ci_t0": 0,
    "ci_r0": 600000,
    "ci_t1": 5000000,
    "ci_r1": 650000,
    "ci_t2": 10000000,
    "ci_r2": 750000,
    "ci_t3": 20000000,
    "ci_r3": 850000,
    # maf_categories sorted: 低保对象, 特困人员, 返贫致贫人口
    "maf_r0": 750000,
    "maf_r1": 900000,
    "maf_r2": 600000,
    "maf_limit": 6000000,
    "ret_ratio": 1000000,
    "e_inp_ded_1": 30000,
    "e_inp_ded_2": 60000,
    "e_inp_ded_3": 90000,
    "e_inp_ratio_1": 900000,
    "e_inp_ratio_2": 850000,
    "e_inp_ratio_3": 800000,
    "e_ret_inc": 50000,
    "e_off_ded": 120000,
    "e_off_red": 100000,
    "e_chr_ded": 0,
    "e_chr_ratio": 850000,
    "e_gen_ded": 20000,
    "e_gen_ratio": 600000,
    "e_gen_ret_ratio": 700000,
    "e_gen_limit": 200000,
    "e_cap": 20000000,
    "e_ob_limit": 40000000,
}
DEMO_SPEC = ChainSpec(
    basic_insutypes=("390",),
    retiree_insutypes=("340",),
    inpatient_types=("21",),
    chronic_types=("14",),
    general_types=("11",),
    ci_types=("21", "14"),
    maf_types=("21", "14"),
    poor_categories=("特困人员", "低保对象", "返贫致贫人口"),
    maf_categories=("低保对象", "特困人员", "返贫致贫人口"),
    n_bands=4,
    employee_insutypes=("310",),
    ci_telescopes=True,
)


def _with(changes: dict[str, list[tuple[date, Any]] | None], name: str = "测试政策") -> Policy:
    """demo-county with some parameters' dated values replaced (None: the parameter removed)."""
    base = load_policy("demo-county")
    ps = dict(base.parameters)
    for key, values in changes.items():
        if values is None:
            ps.pop(key)
        else:
            dvs = tuple(DatedValue(d, v, None) for d, v in values)
            ps[key] = dataclasses.replace(ps[key], values=dvs)
    return dataclasses.replace(base, name=name, label=name, parameters=ps)


def test_demo_county_is_one_period_holding_every_value_of_its_yaml():
    spec, table = build_periods(load_policy("demo-county"))
    assert spec == DEMO_SPEC
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    head = {"pid": 0, "p_start": JAN, "p_end": FAR, "p_valid": True, "p_missing": None}
    assert row == head | DEMO
    assert str(table.schema.field("pid").type) == "int64"
    assert str(table.schema.field("p_start").type) == "date32[day]"
    assert all(str(table.schema.field(c).type) == "int64" for c in DEMO)


def test_a_mid_year_change_opens_a_period_and_stops_the_telescoping():
    pol = _with(
        {
            "basic.annual_cap": [(JAN, Decimal(50000)), (JUL, Decimal(150000))],
            "basic.general_outpatient.ratio": [(JAN, Decimal("0.50")), (JUL, Decimal("0.55"))],
        }
    )
    spec, table = build_periods(pol)
    assert spec == dataclasses.replace(DEMO_SPEC, ci_telescopes=False)
    rows = table.to_pylist()
    assert [(r["pid"], r["p_start"], r["p_end"]) for r in rows] == [(0, JAN, JUL), (1, JUL, FAR)]
    assert rows[0] == rows[0] | {"basic_cap": 5000000, "gen_ratio": 500000}
    assert rows[1] == rows[1] | {"basic_cap": 15000000, "gen_ratio": 550000}
    rest = {k: v for k, v in DEMO.items() if k not in ("basic_cap", "gen_ratio")}
    assert all(r == r | rest for r in rows)


def test_a_cap_that_changes_on_new_years_day_still_telescopes():
    pol = _with({"basic.annual_cap": [(JAN, Decimal(50000)), (date(2022, 1, 1), Decimal(60000))]})
    spec, table = build_periods(pol)
    assert spec.ci_telescopes is True
    assert table.column("basic_cap").to_pylist() == [5000000, 6000000]


def test_no_basic_cap_is_no_cap_and_telescopes():
    spec, table = build_periods(_with({"basic.annual_cap": None}))
    assert spec.ci_telescopes is True
    assert table.column("basic_cap").to_pylist() == [NO_CAP]


def test_a_critical_illness_pool_other_than_the_capped_one_does_not_telescope():
    spec, _ = build_periods(_with({"critical_illness.med_types": [(JAN, ["21"])]}))
    assert (spec.ci_types, spec.ci_telescopes) == (("21",), False)
    spec, _ = build_periods(_with({"critical_illness.med_types": [(JAN, ["14", "21"])]}))
    assert spec.ci_telescopes is True  # the same claims in another order


def test_a_critical_illness_cap_is_stored_in_fen():
    _, table = build_periods(_with({"critical_illness.annual_cap": [(JAN, Decimal(30000))]}))
    assert table.column("ci_cap").to_pylist() == [3000000]


def test_a_resident_only_fund_needs_no_employee_rules_and_stores_zeros():
    employee = [n for n in load_policy("demo-county").parameters if n.startswith("employee.")]
    pol = _with(dict.fromkeys(employee))
    assert missing_parameters(pol, JAN) == []
    spec, table = build_periods(pol)
    assert spec == dataclasses.replace(DEMO_SPEC, employee_insutypes=())
    row = table.to_pylist()[0]
    assert {k: v for k, v in row.items() if k.startswith("e_")} == dict.fromkeys(
        params.EMPLOYEE_VALUES, 0
    )
    assert set(params.EMPLOYEE_VALUES) == {k for k in DEMO if k.startswith("e_")}
    pol = _with({"employee.insutypes": [(JAN, [])]})
    assert build_periods(pol)[0].employee_insutypes == ()


def test_once_employees_are_ruled_every_employee_rule_is_required():
    pol = _with({"employee.annual_cap": None, "employee.general_outpatient.ratio": None})
    assert missing_parameters(pol, JAN) == [
        "employee.annual_cap",
        "employee.general_outpatient.ratio",
    ]


def test_a_level_missing_from_a_table_is_named_with_its_level():
    ded = {"1": Decimal(200), "2": Decimal(500)}
    ratio = {"1": Decimal("0.9"), "3": Decimal("0.65")}
    pol = _with(
        {
            "basic.inpatient.deductible": [(JAN, ded)],
            "basic.inpatient.ratio": [(JAN, ratio)],
        }
    )
    assert missing_parameters(pol, JAN) == [
        "basic.inpatient.deductible[3]",
        "basic.inpatient.ratio[2]",
    ]


def test_an_employee_level_missing_from_a_table_is_named_not_a_crash():
    """A 310 deductible table without level 3 used to escape as a bare LookupError."""
    ded = {"1": Decimal(300), "2": Decimal(600)}
    pol = _with({"employee.inpatient.deductible": [(JAN, ded)]})
    assert missing_parameters(pol, JAN) == ["employee.inpatient.deductible[3]"]
    with pytest.raises(SettlePolicyError) as err:
        build_periods(pol)
    assert "employee.inpatient.deductible[3](职工住院起付线(每次住院)" in str(err.value)


def test_a_period_without_every_parameter_is_kept_but_marked_invalid():
    """Valid from January; from July the general-outpatient limit has ended (a null)."""
    pol = _with({"basic.general_outpatient.annual_limit": [(JAN, Decimal(400)), (JUL, None)]})
    _, table = build_periods(pol)
    rows = table.to_pylist()
    assert [(r["p_start"], r["p_end"], r["p_valid"], r["p_missing"]) for r in rows] == [
        (JAN, JUL, True, None),
        (JUL, FAR, False, "basic.general_outpatient.annual_limit"),
    ]
    assert rows[1]["gen_limit"] is None and rows[0]["gen_limit"] == 40000
    chain = chain_periods(table)
    assert chain.num_rows == 1 and chain.column("pid").to_pylist() == [0]
    assert "p_valid" not in chain.column_names and "p_missing" not in chain.column_names
    assert chain.column_names == ["pid", "p_start", "p_end", *sorted(DEMO)]


def test_three_periods_each_end_where_the_next_begins_and_a_gap_does_not_stop_the_rest():
    """Invalid from January (no limit yet), valid from April, changed in October."""
    apr, oct_ = date(2021, 4, 1), date(2021, 10, 1)
    pol = _with(
        {
            "basic.general_outpatient.annual_limit": [
                (JAN, None),
                (apr, Decimal(400)),
                (oct_, Decimal(500)),
            ]
        }
    )
    _, table = build_periods(pol)
    rows = table.to_pylist()
    assert [(r["pid"], r["p_start"], r["p_end"], r["p_valid"], r["gen_limit"]) for r in rows] == [
        (0, JAN, apr, False, None),
        (1, apr, oct_, True, 40000),
        (2, oct_, FAR, True, 50000),
    ]
    assert chain_periods(table).column("pid").to_pylist() == [1, 2]


def test_the_periods_table_has_fixed_types_even_when_every_period_is_valid():
    """An all-NULL p_missing left to inference would be Arrow's null type, which engines read
    differently; every column is typed."""
    _, table = build_periods(load_policy("demo-county"))
    types = {f.name: str(f.type) for f in table.schema}
    assert types.pop("pid") == "int64" and types.pop("p_start") == "date32[day]"
    assert types.pop("p_end") == "date32[day]" and types.pop("p_valid") == "bool"
    assert types.pop("p_missing") == "string"
    assert set(types.values()) == {"int64"}


def test_missing_names_are_joined_in_the_invalid_periods_column():
    pol = _with(
        {
            "basic.general_outpatient.annual_limit": [(JAN, Decimal(400)), (JUL, None)],
            "retired_cadre.ratio": [(JAN, Decimal(1)), (JUL, None)],
        }
    )
    _, table = build_periods(pol)
    assert table.column("p_missing").to_pylist() == [
        None,
        "basic.general_outpatient.annual_limit、retired_cadre.ratio",
    ]


def test_no_valid_period_names_every_missing_parameter_with_its_description():
    pol = _with({"retired_cadre.ratio": None, "basic.general_outpatient.deductible": None})
    with pytest.raises(SettlePolicyError) as err:
        build_periods(pol)
    assert str(err.value) == (
        "政策「测试政策」没有任何时期具备结算所需的全部参数:自 2021-01-01 起的时期缺少 2 项:"
        "basic.general_outpatient.deductible(普通门诊统筹起付线)、"
        "retired_cadre.ratio(离休干部符合政策范围费用由统筹资金支付的比例);"
        "可用 yibao policy new 地区 --from demo-county 生成带注释的模板后补齐"
    )


def test_the_latest_period_is_the_one_a_refusal_describes():
    pol = _with(
        {
            "retired_cadre.ratio": [(date(2020, 1, 1), None)],
            "basic.general_outpatient.deductible": [(JUL, None)],
        }
    )
    with pytest.raises(SettlePolicyError) as err:
        build_periods(pol)
    assert "自 2021-07-01 起的时期缺少 2 项" in str(err.value)


def test_a_policy_with_no_settlement_parameters_at_all_says_how_to_start():
    assert no_period_message(_with({}), []) == (
        "政策「测试政策」没有任何结算参数;可用 yibao policy new 地区 --from demo-county 生成模板"
    )
    pol = _with({n: None for n in load_policy("demo-county").parameters if "." in n})
    with pytest.raises(SettlePolicyError, match="没有任何结算参数"):
        build_periods(pol)


def test_a_parameter_without_a_template_description_is_named_bare():
    assert params._described("basic.no_such") == "basic.no_such"
    assert params._described("basic.inpatient.ratio[3]") == (
        "basic.inpatient.ratio[3](住院统筹基金支付比例)"
    )


def test_categories_that_change_between_periods_are_refused_with_the_dates():
    pol = _with({"basic.insutypes": [(JAN, ["390"]), (JUL, ["390", "391"])]})
    with pytest.raises(SettlePolicyError) as err:
        build_periods(pol)
    assert str(err.value) == (
        "政策「测试政策」的医疗类别/险种/身份类别划分在 2021-01-01、2021-07-01 之间发生变化;"
        "结算引擎要求这些分类在各时期保持一致"
    )


def test_a_change_of_value_only_keeps_one_spec():
    pol = _with({"basic.general_outpatient.ratio": [(JAN, Decimal("0.5")), (JUL, Decimal("0.6"))]})
    spec, table = build_periods(pol)
    assert spec == DEMO_SPEC and table.num_rows == 2


def test_amounts_below_the_fen_and_rates_below_the_ppm_are_refused():
    pol = _with({"basic.general_outpatient.annual_limit": [(JAN, Decimal("400.005"))]})
    with pytest.raises(SettlePolicyError, match="400.005"):
        build_periods(pol)
    pol = _with({"basic.general_outpatient.ratio": [(JAN, Decimal("0.5000001"))]})
    with pytest.raises(SettlePolicyError, match="0.5000001"):
        build_periods(pol)
    assert params.fen(Decimal("0.01")) == 1 and params.ppm(Decimal("0.000001")) == 1


def test_an_unlisted_parameter_is_a_programming_error():
    with pytest.raises(AssertionError, match="VALUED"):
        params._val(load_policy("demo-county"), "financing.resident.individual", JAN)
    with pytest.raises(LookupError, match=r"^retired_cadre\.ratio$"):
        params._val(_with({"retired_cadre.ratio": None}), "retired_cadre.ratio", JAN)
    assert params._val(_with({"basic.annual_cap": None}), "basic.annual_cap", JAN, True) is None
