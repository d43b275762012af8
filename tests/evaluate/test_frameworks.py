"""Frameworks and --inputs files: the shipped ones load; bad ones name the file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluate.conftest import yibao
from yibao.evaluate.frameworks import FRAMEWORK_DIR, framework_names, load_framework
from yibao.evaluate.inputs import load_inputs
from yibao.policy.model import PolicyError

SHIPPED = {
    "generic-2020",
    "self-2020",
    "yiyang-2019",
    "haikou-2023",
    "fengdu-2021",
    "yongqiao-2021",
    "suining-2013",
}


def test_every_listed_framework_ships_and_adds_up_to_100():
    assert set(framework_names()) == SHIPPED
    for name in SHIPPED:
        fw = load_framework(name)
        assert sum(ln.weight for ln in fw.lines) == 100, name
        assert fw.reference and fw.valid_from, name


def test_self_2020_has_the_self_evaluation_weights():
    fw = load_framework("self-2020")
    by_level1: dict[str, int] = {}
    for ln in fw.lines:
        by_level1[ln.path[0]] = by_level1.get(ln.path[0], 0) + ln.weight
    assert by_level1 == {"预算执行": 10, "产出指标": 50, "效益指标": 30, "满意度指标": 10}
    assert all(ln.indicator.data_backed for ln in fw.lines)


def test_generic_2020_and_yongqiao_trees():
    assert [ln.path[0] for ln in load_framework("generic-2020").lines][0] == "决策"
    assert {ln.path[0] for ln in load_framework("generic-2020").lines} == {
        "决策",
        "过程",
        "产出",
        "效益",
    }
    yq = load_framework("yongqiao-2021")
    groups: dict[str, int] = {}
    for ln in yq.lines:
        groups[ln.path[-1]] = groups.get(ln.path[-1], 0) + ln.weight
    assert groups == {
        "项目立项": 10,
        "资金落实": 10,
        "项目管理": 20,
        "财务管理": 10,
        "产出": 25,
        "效果": 25,
    }


def _framework(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(body, encoding="utf-8")
    return p


HEAD = "framework: bad\nlabel: 测试\nreference: 某文件\nvalid_from: 2021-01-01\n"


@pytest.mark.parametrize(
    ("tree", "key", "problem"),
    [
        ("tree:\n  - {code: no_such, weight: 100, target: '≥ 1'}\n", "tree[0].code", "未知指标"),
        ("tree:\n  - {code: insured_count, weight: 90, target: '≥ 1'}\n", "tree", "合计 90"),
        (
            "tree:\n  - {code: insured_count, weight: 100, target: '约 1'}\n",
            "tree[0].target",
            "无法识别",
        ),
        (
            "tree:\n  - {code: awareness_level, weight: 100, target: 很知晓}\n",
            "tree[0].target",
            "不是 awareness_level 的等级",
        ),
        (
            "tree:\n  - name: 产出\n    weight: 50\n    children:\n"
            "      - {code: insured_count, weight: 100, target: '≥ 1'}\n",
            "tree[0].weight",
            "下级合计",
        ),
    ],
)
def test_framework_errors_name_file_key_problem(tmp_path: Path, tree: str, key: str, problem: str):
    with pytest.raises(PolicyError) as exc:
        load_framework(_framework(tmp_path, HEAD + tree))
    assert exc.value.key == key and problem in exc.value.problem
    assert str(tmp_path / "bad.yaml") in str(exc.value)


def test_a_pending_code_says_what_it_waits_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from yibao.indicators import registry

    monkeypatch.setitem(registry.PENDING, "drg_case_coverage", "DRG 入组率:随 DRG 付费功能登记")
    tree = "tree:\n  - {code: drg_case_coverage, weight: 100, target: '≥ 1'}\n"
    with pytest.raises(PolicyError) as exc:
        load_framework(_framework(tmp_path, HEAD + tree))
    assert exc.value.key == "tree[0].code" and "DRG 付费功能" in exc.value.problem


def test_payment_indicators_are_registered_not_pending():
    from yibao.indicators.registry import PENDING, get_indicator

    for code in ("dip_case_coverage", "dip_fund_share", "budget_use_progress"):
        assert get_indicator(code).data_backed and code not in PENDING
    assert "dip_case_coverage" in {ln.code for ln in load_framework("haikou-2023").lines}
    assert "budget_use_progress" in {ln.code for ln in load_framework("suining-2013").lines}


def test_framework_needs_a_date_and_reference(tmp_path: Path):
    tree = "tree:\n  - {code: insured_count, weight: 100, target: '≥ 1'}\n"
    body = "framework: bad\nlabel: x\nvalid_from: 2021-13-40\nreference: r\n" + tree
    with pytest.raises(PolicyError) as exc:
        load_framework(_framework(tmp_path, body))
    assert exc.value.key == "valid_from"
    with pytest.raises(PolicyError) as exc:
        load_framework(_framework(tmp_path, "framework: bad\nlabel: x\nvalid_from: 2021-01-01\n"))
    assert exc.value.key == "reference"


def _inputs(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "录入.yaml"
    p.write_text("entered_by: 张科长\nvalues:\n" + body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ("  no_such_code: {value: 1}\n", "values.no_such_code", "未知指标"),
        ("  satisfaction_rate: {value: 90, unit: 元}\n", "values.satisfaction_rate.unit", "单位"),
        ("  satisfaction_rate: {unit: '%'}\n", "values.satisfaction_rate.value", "缺少取值"),
        ("  satisfaction_rate: {unreadable: true}\n", "values.satisfaction_rate.text", "原文"),
        ("  awareness_level: {value: 很知晓}\n", "values.awareness_level.value", "等级"),
        ("  satisfaction_rate: {value: 九十}\n", "values.satisfaction_rate.value", "数值"),
    ],
)
def test_input_errors_name_file_key_problem(tmp_path: Path, body: str, key: str, problem: str):
    fw = load_framework("self-2020")
    with pytest.raises(PolicyError) as exc:
        load_inputs(_inputs(tmp_path, body), fw)
    assert exc.value.key == key and problem in exc.value.problem
    assert "录入.yaml" in exc.value.file


def test_cli_input_error_exits_2_naming_file_and_key(tmp_path: Path):
    p = _inputs(tmp_path, "  satisfaction_rate: {value: 90, unit: 元}\n")
    res = yibao("evaluate", "--framework", "self-2020", "--year", "2021", "--inputs", str(p))
    assert res.returncode == 2
    assert "录入.yaml" in res.stderr and "values.satisfaction_rate.unit" in res.stderr
    assert "Traceback" not in res.stderr


def test_without_workspace_every_line_must_be_an_input(tmp_path: Path):
    p = _inputs(tmp_path, "  satisfaction_rate: {value: 90}\n")
    res = yibao("evaluate", "--framework", "self-2020", "--year", "2021", "--inputs", str(p))
    assert res.returncode == 2 and "budget_execution_rate" in res.stderr


def test_list_shows_frameworks_and_indicators():
    res = yibao("evaluate", "--list")
    assert res.returncode == 0
    for name in SHIPPED | {"coverage_rate_registered", "dip_case_coverage"}:
        assert name in res.stdout, name


def test_framework_files_are_in_the_package():
    assert {p.stem for p in FRAMEWORK_DIR.glob("*.yaml")} == SHIPPED
