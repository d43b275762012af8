"""Manual inputs (``--inputs FILE.yaml``): values a person enters with evidence, and who did.

A seed's facts file (``examples/seeds/<framework>.facts.yaml``) is such a file: each value quotes
the sentence it comes from.  A value the source prints garbled keeps its original text and is
marked ``unreadable``; it is then not scored, and the output says why.  Errors name the file,
the key and the problem: an unknown indicator, a wrong unit, a missing value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from yibao.evaluate.frameworks import Framework
from yibao.indicators.registry import INDICATORS, PENDING, Indicator, load_library
from yibao.policy.loader import DecimalLoader
from yibao.policy.model import PolicyError

TOP = {
    "entered_by",
    "entered_at",
    "framework",
    "year",
    "source",
    "values",
    "adjustments",
    "stated",
    "deviations",
    "note",
}
VALUE_KEYS = {
    "value",
    "unit",
    "quote",
    "unreadable",
    "text",
    "share",
    "evidence",
    "note",
    "region_code",
    "basis",
}


@dataclass(frozen=True)
class InputValue:
    code: str
    value: Decimal | str | None  # None when unreadable
    unit: str
    quote: str = ""
    unreadable: bool = False
    text: str = ""  # the original (garbled) text
    share: Decimal | None = None  # qualitative: percent of the weight inside the band
    basis: str = ""


@dataclass(frozen=True)
class Adjustment:
    points: Decimal
    reason: str
    quote: str = ""


@dataclass
class Inputs:
    file: str
    entered_by: str
    entered_at: dt.datetime
    values: dict[str, InputValue] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    stated: dict[str, Any] = field(default_factory=dict)
    deviations: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""


def load_inputs(
    path: Path, framework: Framework | None = None, *, user: str | None = None
) -> Inputs:
    load_library()
    fname = str(path)
    if not path.exists():
        raise PolicyError(fname, "", "输入文件不存在")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=DecimalLoader)
    except yaml.YAMLError as exc:
        raise PolicyError(fname, "", f"YAML 语法错误: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(doc, dict):
        raise PolicyError(fname, "", "文件顶层应为映射(entered_by, values …)")
    unknown = set(doc) - TOP
    if unknown:
        raise PolicyError(fname, ", ".join(sorted(map(str, unknown))), "未知的顶层键")
    values = doc.get("values") or {}
    if not isinstance(values, dict):
        raise PolicyError(fname, "values", "应为 指标代码: 取值 的映射")
    at = doc.get("entered_at")
    entered_at = (
        dt.datetime.combine(at, dt.time())
        if isinstance(at, dt.date) and not isinstance(at, dt.datetime)
        else at
        if isinstance(at, dt.datetime)
        else dt.datetime.now().replace(microsecond=0)
    )
    inp = Inputs(
        file=fname,
        entered_by=str(doc.get("entered_by") or user or "未署名"),
        entered_at=entered_at,
        stated=dict(doc.get("stated") or {}),
        deviations={str(k): dict(v) for k, v in (doc.get("deviations") or {}).items()},
        source=str(doc.get("source") or ""),
    )
    for code, spec in values.items():
        inp.values[str(code)] = _value(str(code), spec, framework, fname)
    for i, adj in enumerate(doc.get("adjustments") or []):
        key = f"adjustments[{i}]"
        if not isinstance(adj, dict) or "points" not in adj or not adj.get("reason"):
            raise PolicyError(fname, key, "调整需要 points 和 reason")
        inp.adjustments.append(
            Adjustment(
                _num(adj["points"], fname, f"{key}.points"),
                str(adj["reason"]),
                str(adj.get("quote") or ""),
            )
        )
    return inp


def _indicator(code: str, framework: Framework | None) -> Indicator | None:
    if framework is not None:
        return framework.indicator(code)
    return INDICATORS.get(code)


def _value(code: str, spec: Any, framework: Framework | None, fname: str) -> InputValue:
    key = f"values.{code}"
    ind = _indicator(code, framework)
    if ind is None:
        why = PENDING.get(code, "指标库和评价框架中都没有这个代码")
        raise PolicyError(fname, key, f"未知指标: {why}")
    if not isinstance(spec, dict):
        spec = {"value": spec}
    extra = set(spec) - VALUE_KEYS
    if extra:
        raise PolicyError(fname, f"{key}.{sorted(map(str, extra))[0]}", "未知的键")
    unit = str(spec.get("unit") or ind.unit)
    if unit != ind.unit:
        raise PolicyError(fname, f"{key}.unit", f"单位应为 {ind.unit!r},不是 {unit!r}")
    if spec.get("unreadable"):
        if not spec.get("text"):
            raise PolicyError(fname, f"{key}.text", "无法辨认的值要保留原文(text)")
        return InputValue(code, None, unit, str(spec.get("quote") or ""), True, str(spec["text"]))
    if spec.get("value") is None:
        raise PolicyError(fname, f"{key}.value", "缺少取值(或标明 unreadable 并保留原文 text)")
    raw = spec["value"]
    if ind.levels:
        if str(raw) not in ind.levels:
            raise PolicyError(
                fname, f"{key}.value", f"{raw!r} 不是可选等级: {'、'.join(ind.levels)}"
            )
        value: Decimal | str = str(raw)
    else:
        value = _num(raw, fname, f"{key}.value")
    share = _num(spec["share"], fname, f"{key}.share") if spec.get("share") is not None else None
    return InputValue(
        code,
        value,
        unit,
        str(spec.get("quote") or ""),
        False,
        str(spec.get("text") or ""),
        share,
        str(spec.get("basis") or ""),
    )


def _num(raw: Any, fname: str, key: str) -> Decimal:
    if isinstance(raw, (bool, float)):
        raise PolicyError(fname, key, f"应为数值: {raw!r}")
    try:
        return Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise PolicyError(fname, key, f"应为数值: {raw!r}") from None
