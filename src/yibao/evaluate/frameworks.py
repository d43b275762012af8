"""Scoring frameworks as dated YAML (``evaluate/frameworks/*.yaml``), loaded like policies.

A framework is an indicator tree (一级 / 二级 / 三级) whose leaves name an indicator code, a
weight and a target (≥, ≤, =, a range, or a qualitative level), with a source reference and the
dates it applies to.  A framework may declare its own input indicators (``local_indicators``:
the items of a seed's own tree) and override the grades and the qualitative bands.  Errors name
the file, the key and the problem (:class:`yibao.policy.model.PolicyError`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from yibao.indicators.registry import INDICATORS, PENDING, TOTAL_YEAR, Indicator, load_library
from yibao.policy.loader import DecimalLoader
from yibao.policy.model import PolicyError

FRAMEWORK_DIR = Path(__file__).parent / "frameworks"
TOP_KEYS = {
    "framework",
    "label",
    "reference",
    "valid_from",
    "valid_to",
    "description",
    "seed",
    "grades",
    "qualitative_bands",
    "local_indicators",
    "tree",
    "total",
}
LEAF_KEYS = {"code", "weight", "target", "name", "source_text", "rule", "note"}
NODE_KEYS = {"name", "weight", "children", "note"}
#: Grades: the lowest total of each, best first (优 ≥ 90, 良 80–89, 中 60–79, 差 < 60).
DEFAULT_GRADES = (("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal(0)))
#: Share of the weight (upper bound, %) for a level met, one short, two or more short.
DEFAULT_BANDS = ((Decimal(80), Decimal(100)), (Decimal(60), Decimal(80)), (Decimal(0), Decimal(60)))
RULES = ("positive", "negative", "qualitative")


@dataclass(frozen=True)
class Target:
    """``op`` is >=, <=, =, range or level; ``text`` is how the framework wrote it."""

    op: str
    text: str
    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    level: str | None = None


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    path: tuple[str, ...]  # 一级, 二级 (三级 is the line itself)
    weight: Decimal
    target: Target
    rule: str  # positive | negative | qualitative
    indicator: Indicator
    source_text: str = ""


@dataclass
class Framework:
    name: str
    label: str
    reference: str
    valid_from: dt.date
    valid_to: dt.date | None
    lines: list[Line]
    file: str
    description: str = ""
    seed: str = ""
    grades: tuple[tuple[str, Decimal], ...] = DEFAULT_GRADES
    bands: tuple[tuple[Decimal, Decimal], ...] = DEFAULT_BANDS
    local: dict[str, Indicator] = field(default_factory=dict)

    def indicator(self, code: str) -> Indicator | None:
        return self.local.get(code) or INDICATORS.get(code)

    def grade(self, total: Decimal) -> str:
        for name, low in self.grades:
            if total >= low:
                return name
        return self.grades[-1][0]

    def applies(self, year: int) -> bool:
        start = self.valid_from.year
        return year >= start and (self.valid_to is None or year <= self.valid_to.year)


def framework_names() -> list[str]:
    return sorted(p.stem for p in FRAMEWORK_DIR.glob("*.yaml"))


def load_framework(ref: str | Path) -> Framework:
    """A shipped framework by name (``self-2020``) or a YAML file."""
    load_library()
    p = Path(ref)
    if p.suffix not in (".yaml", ".yml"):
        p = FRAMEWORK_DIR / f"{ref}.yaml"
        if not p.exists():
            raise PolicyError(
                str(ref), "", f"没有名为 {ref!r} 的评价框架; 可用: {', '.join(framework_names())}"
            )
    if not p.exists():
        raise PolicyError(str(ref), "", "评价框架文件不存在")
    fname = p.name if p.parent == FRAMEWORK_DIR else str(p)
    try:
        doc = yaml.load(p.read_text(encoding="utf-8"), Loader=DecimalLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise PolicyError(
            fname, "", f"YAML 语法错误 {where}: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(doc, dict):
        raise PolicyError(fname, "", "文件顶层应为映射(framework, label, tree …)")
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise PolicyError(fname, ", ".join(sorted(unknown)), "未知的顶层键")
    for key in ("framework", "label", "reference", "valid_from", "tree"):
        if not doc.get(key):
            raise PolicyError(fname, key, "缺少必需的键")
    fw = Framework(
        name=str(doc["framework"]),
        label=str(doc["label"]),
        reference=str(doc["reference"]),
        valid_from=_date(doc["valid_from"], fname, "valid_from"),
        valid_to=_date(doc["valid_to"], fname, "valid_to") if doc.get("valid_to") else None,
        lines=[],
        file=fname,
        description=str(doc.get("description") or ""),
        seed=str(doc.get("seed") or ""),
    )
    fw.local = _locals(doc.get("local_indicators") or {}, fname)
    if doc.get("grades"):
        fw.grades = _grades(doc["grades"], fname)
    if doc.get("qualitative_bands"):
        fw.bands = _bands(doc["qualitative_bands"], fname)
    if not isinstance(doc["tree"], list):
        raise PolicyError(fname, "tree", "应为一级指标的列表")
    for i, node in enumerate(doc["tree"]):
        _node(fw, node, (), f"tree[{i}]", fname)
    total = sum((ln.weight for ln in fw.lines), Decimal(0))
    expected = _dec(doc.get("total", 100), fname, "total")
    if total != expected:
        raise PolicyError(fname, "tree", f"三级指标权重合计 {total},应为 {expected}")
    codes = [ln.code for ln in fw.lines]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise PolicyError(fname, "tree", f"指标重复: {', '.join(dup)}")
    return fw


def _node(fw: Framework, node: Any, path: tuple[str, ...], key: str, fname: str) -> Decimal:
    if not isinstance(node, dict):
        raise PolicyError(fname, key, "应为映射(name, weight, children 或 code, weight, target)")
    if "code" in node:
        fw.lines.append(_leaf(fw, node, path, key, fname))
        return fw.lines[-1].weight
    extra = set(node) - NODE_KEYS
    if extra:
        raise PolicyError(fname, f"{key}.{sorted(extra)[0]}", "未知的键")
    if not node.get("name") or not isinstance(node.get("children"), list):
        raise PolicyError(fname, key, "指标组需要 name 和 children")
    total = Decimal(0)
    for i, child in enumerate(node["children"]):
        total += _node(fw, child, (*path, str(node["name"])), f"{key}.children[{i}]", fname)
    if "weight" in node and _dec(node["weight"], fname, f"{key}.weight") != total:
        raise PolicyError(
            fname, f"{key}.weight", f"{node['name']} 的分值 {node['weight']} ≠ 下级合计 {total}"
        )
    return total


def _leaf(fw: Framework, node: dict, path: tuple[str, ...], key: str, fname: str) -> Line:
    extra = set(node) - LEAF_KEYS
    if extra:
        raise PolicyError(fname, f"{key}.{sorted(extra)[0]}", "未知的键")
    code = str(node["code"])
    ind = fw.indicator(code)
    if ind is None:
        why = PENDING.get(code, "既不在指标库中,也不在本框架的 local_indicators 中")
        raise PolicyError(fname, f"{key}.code", f"未知指标 {code}: {why}")
    if "weight" not in node or "target" not in node:
        raise PolicyError(fname, key, f"指标 {code} 需要 weight 和 target")
    weight = _dec(node["weight"], fname, f"{key}.weight")
    if weight <= 0:
        raise PolicyError(fname, f"{key}.weight", "权重应为正数")
    target = parse_target(node["target"], ind, fname, f"{key}.target")
    rule = str(node.get("rule") or default_rule(ind, target))
    if rule not in RULES:
        raise PolicyError(fname, f"{key}.rule", f"未知评分规则 {rule!r}; 可选: {', '.join(RULES)}")
    return Line(
        code=code,
        name=str(node.get("name") or ind.name),
        path=path,
        weight=weight,
        target=target,
        rule=rule,
        indicator=ind,
        source_text=str(node.get("source_text") or ""),
    )


def default_rule(ind: Indicator, target: Target) -> str:
    if target.op == "level":
        return "qualitative"
    if target.op == "<=" or (target.op == "=" and ind.direction == "反向"):
        return "negative"
    return "positive"


_OPS = (("≥", ">="), (">=", ">="), ("≤", "<="), ("<=", "<="), ("=", "="), ("＝", "="))
_RANGE = re.compile(r"^\s*([0-9.]+)\s*[-–~—至]\s*([0-9.]+)\s*$")


def parse_target(raw: Any, ind: Indicator, fname: str, key: str) -> Target:
    """``≥ 85``, ``≤ 3``, ``= 100``, ``6–9`` or a level such as ``普遍知晓`` (units implied)."""
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return Target("=", f"= {raw}", value=Decimal(raw))
    text = str(raw).strip()
    if ind.levels or text in ind.levels:
        if text not in ind.levels:
            raise PolicyError(
                fname, key, f"{text!r} 不是 {ind.code} 的等级; 可选: {'、'.join(ind.levels)}"
            )
        return Target("level", text, level=text)
    for sym, op in _OPS:
        if text.startswith(sym):
            return Target(op, text, value=_dec(text[len(sym) :].strip().rstrip("%"), fname, key))
    m = _RANGE.match(text.rstrip("%"))
    if m:
        low, high = _dec(m.group(1), fname, key), _dec(m.group(2), fname, key)
        if low > high:
            raise PolicyError(fname, key, f"区间下限 {low} 大于上限 {high}")
        return Target("range", text, low=low, high=high)
    raise PolicyError(fname, key, f"无法识别的目标值 {text!r}(应为 ≥ x、≤ x、= x、a–b 或等级)")


def _locals(node: Any, fname: str) -> dict[str, Indicator]:
    if not isinstance(node, dict):
        raise PolicyError(fname, "local_indicators", "应为 代码: 定义 的映射")
    out = {}
    for code, spec in node.items():
        key = f"local_indicators.{code}"
        if not isinstance(spec, dict) or not spec.get("name") or not spec.get("unit"):
            raise PolicyError(fname, key, "需要 name 和 unit")
        direction = str(spec.get("direction") or "定性")
        if direction not in ("正向", "反向", "定性"):
            raise PolicyError(fname, f"{key}.direction", "应为 正向、反向 或 定性")
        levels = tuple(str(x) for x in spec.get("levels") or ())
        out[str(code)] = Indicator(
            code=str(code),
            name=str(spec["name"]),
            unit=str(spec["unit"]),
            direction=direction,  # type: ignore[arg-type]
            formula=str(spec.get("formula") or "评价人员按证据判断"),
            sources=("input",),
            grain=TOTAL_YEAR,
            levels=levels,
            value_kind="level" if levels else "count",
        )
    return out


def _grades(node: Any, fname: str) -> tuple[tuple[str, Decimal], ...]:
    if not isinstance(node, dict) or not node:
        raise PolicyError(fname, "grades", "应为 等级: 最低分 的映射")
    out = sorted(
        ((str(k), _dec(v, fname, f"grades.{k}")) for k, v in node.items()), key=lambda g: -g[1]
    )
    return tuple(out)


def _bands(node: Any, fname: str) -> tuple[tuple[Decimal, Decimal], ...]:
    if not isinstance(node, list) or len(node) != 3:
        raise PolicyError(fname, "qualitative_bands", "应为三个 [下限, 上限] 百分比区间")
    out = []
    for i, b in enumerate(node):
        if not isinstance(b, list) or len(b) != 2:
            raise PolicyError(fname, f"qualitative_bands[{i}]", "应为 [下限, 上限]")
        out.append(
            (
                _dec(b[0], fname, f"qualitative_bands[{i}]"),
                _dec(b[1], fname, f"qualitative_bands[{i}]"),
            )
        )
    return tuple(out)


def _dec(raw: Any, fname: str, key: str) -> Decimal:
    if isinstance(raw, (bool, float)):
        raise PolicyError(fname, key, f"应为数值: {raw!r}")
    try:
        return Decimal(str(raw).strip())
    except InvalidOperation:
        raise PolicyError(fname, key, f"应为数值: {raw!r}") from None


def _date(raw: Any, fname: str, key: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    raise PolicyError(fname, key, f"应为日期 YYYY-MM-DD: {raw!r}")
