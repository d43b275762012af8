"""Load policy presets (YAML) into a checked parameter tree; regional presets extend a baseline."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from yibao.money import is_whole_fen
from yibao.policy.model import (
    PARAM_TYPES,
    Bracket,
    CsvTable,
    DatedValue,
    Parameter,
    PolicyError,
    Scale,
)

PRESET_DIR = Path(__file__).parent / "presets"
META_KEYS = {"description", "unit", "reference", "type", "values", "note", "item_type"}
WRAPPER_KEYS = {"value", "reference", "note"}
#: Folder of the YAML file being read, so that a ``csv_table`` path is relative to its file.
_BASE_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("_BASE_DIR", default=None)


class DecimalLoader(yaml.SafeLoader):
    """YAML numbers become Decimal from their text: 0.65 stays exactly 0.65."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    """Dates that are not real dates stay text, so that the error can name the key."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


@dataclass
class Policy:
    name: str
    label: str
    files: list[str]
    parameters: dict[str, Parameter]
    meta: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise KeyError(f"政策 {self.name} 中没有参数 {name!r}") from None

    def value(self, name: str, when: dt.date) -> Any:
        dv = self.get(name).at(when)
        if dv is None:
            raise LookupError(f"参数 {name} 在 {when} 没有生效的取值(政策 {self.name})")
        return dv.value

    def at(self, when: dt.date) -> dict[str, DatedValue]:
        """Every parameter in force on ``when``."""
        out = {}
        for name, p in sorted(self.parameters.items()):
            dv = p.at(when)
            if dv is not None:
                out[name] = dv
        return out


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def _resolve(ref: str, base_dir: Path | None) -> Path:
    p = Path(ref)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_absolute() and base_dir is not None and not p.exists():
            p = base_dir / p
        if not p.exists():
            raise PolicyError(ref, "", "政策文件不存在")
        return p
    p = PRESET_DIR / f"{ref}.yaml"
    if not p.exists():
        raise PolicyError(
            ref, "", f"没有名为 {ref!r} 的政策预设; 可用: {', '.join(preset_names())}"
        )
    return p


def load_policy(ref: str | Path, *, _seen: tuple[str, ...] = ()) -> Policy:
    """Load a preset by name (``demo-county``) or a YAML file, following ``extends``."""
    path = _resolve(str(ref), None)
    fname = _display(path)
    if fname in _seen:
        raise PolicyError(fname, "extends", f"循环继承: {' → '.join((*_seen, fname))}")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=DecimalLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        problem = getattr(exc, "problem", exc)
        raise PolicyError(fname, "", f"YAML 语法错误 {where}: {problem}") from None
    if not isinstance(doc, dict):
        raise PolicyError(fname, "", "文件顶层应为映射(preset, label, parameters …)")
    unknown = set(doc) - {
        "preset",
        "label",
        "extends",
        "region",
        "description",
        "parameters",
        "references",
    }
    if unknown:
        raise PolicyError(fname, ", ".join(sorted(unknown)), "未知的顶层键")
    for key in ("preset", "label", "parameters"):
        if key not in doc:
            raise PolicyError(fname, key, "缺少必需的键")
    params: dict[str, Parameter] = {}
    files: list[str] = []
    if doc.get("extends"):
        base = load_policy(_resolve(str(doc["extends"]), path.parent), _seen=(*_seen, fname))
        params.update(base.parameters)
        files.extend(base.files)
    # A file that only re-labels a baseline (``extends`` and no own parameters) is allowed.
    empty = doc["parameters"] in (None, {}) and doc.get("extends")
    token = _BASE_DIR.set(path.parent)
    try:
        own = {} if empty else dict(_walk(doc["parameters"], "", fname))
    finally:
        _BASE_DIR.reset(token)
    params.update(own)
    files.append(fname)
    meta = {k: doc[k] for k in ("region", "description", "extends", "references") if k in doc}
    return Policy(
        name=str(doc["preset"]), label=str(doc["label"]), files=files, parameters=params, meta=meta
    )


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PRESET_DIR.parent.parent.parent.parent))
    except ValueError:
        return str(path)


def _walk(node: Any, prefix: str, fname: str) -> Iterator[tuple[str, Parameter]]:
    if not isinstance(node, dict) or not node:
        raise PolicyError(fname, prefix, "应为参数组(映射)或带 values 的参数")
    if "values" in node:
        yield prefix, _parameter(node, prefix, fname)
        return
    for key, child in node.items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise PolicyError(
                fname, f"{prefix}.{key}".strip("."), "参数名只能用小写英文字母、数字和下划线"
            )
        yield from _walk(child, f"{prefix}.{key}" if prefix else key, fname)


def _parameter(node: dict, name: str, fname: str) -> Parameter:
    extra = set(node) - META_KEYS
    if extra:
        raise PolicyError(fname, name, f"未知的键: {', '.join(sorted(map(str, extra)))}")
    for key in ("description", "unit", "type"):
        if not node.get(key):
            raise PolicyError(fname, f"{name}.{key}", "缺少必需的键")
    ptype = node["type"]
    if ptype not in PARAM_TYPES:
        raise PolicyError(
            fname, f"{name}.type", f"未知类型 {ptype!r}; 可选: {', '.join(PARAM_TYPES)}"
        )
    values = node["values"]
    if not isinstance(values, dict) or not values:
        raise PolicyError(fname, f"{name}.values", "应为 生效日期: 取值 的映射,且至少一项")
    dated: list[DatedValue] = []
    for when, raw in values.items():
        key = f"{name}.values.{when}"
        start = _date(when, fname, key)
        ref = None
        if isinstance(raw, dict) and raw and set(raw) <= WRAPPER_KEYS and "value" in raw:
            ref = raw.get("reference")
            raw = raw["value"]
        value = None if raw is None else _typed(ptype, raw, fname, key, node.get("item_type"))
        dated.append(DatedValue(start=start, value=value, reference=ref))
    dated.sort(key=lambda d: d.start)
    reference = node.get("reference") or ""
    if not reference and not all(d.reference for d in dated):
        raise PolicyError(fname, f"{name}.reference", "每个参数都要注明依据(文件号或来源)")
    return Parameter(
        name=name,
        type=ptype,
        description=str(node["description"]),
        unit=str(node["unit"]),
        reference=str(reference),
        values=tuple(dated),
        source=fname,
    )


def _date(when: Any, fname: str, key: str) -> dt.date:
    if isinstance(when, dt.datetime):
        return when.date()
    if isinstance(when, dt.date):
        return when
    try:
        return dt.date.fromisoformat(str(when))
    except ValueError:
        raise PolicyError(fname, key, f"生效日期 {when!r} 不是有效日期(应为 YYYY-MM-DD)") from None


def _number(raw: Any, fname: str, key: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal, str)):
        raise PolicyError(fname, key, f"应为数值,得到 {raw!r}")
    try:
        d = Decimal(str(raw).replace(",", ""))
    except InvalidOperation:
        raise PolicyError(fname, key, f"应为数值,得到 {raw!r}") from None
    if not d.is_finite():
        raise PolicyError(fname, key, f"应为有限数值,得到 {raw!r}")
    return d


def _typed(ptype: str, raw: Any, fname: str, key: str, item_type: str | None) -> Any:
    if ptype == "amount":
        d = _number(raw, fname, key)
        if d < 0:
            raise PolicyError(fname, key, f"金额不能为负: {d}")
        if not is_whole_fen(d):
            raise PolicyError(fname, key, f"金额最多两位小数: {d}")
        return d
    if ptype == "rate":
        d = _number(raw, fname, key)
        if not Decimal(0) <= d <= Decimal(1):
            raise PolicyError(fname, key, f"比例应在 0 到 1 之间(60% 写作 0.60),得到 {d}")
        return d
    if ptype == "count":
        d = _number(raw, fname, key)
        if d != d.to_integral_value():
            raise PolicyError(fname, key, f"应为整数,得到 {d}")
        return int(d)
    if ptype == "text":
        if not isinstance(raw, str):
            raise PolicyError(fname, key, f"应为文本,得到 {raw!r}")
        return raw
    if ptype == "flag":
        if not isinstance(raw, bool):
            raise PolicyError(fname, key, f"应为 true 或 false,得到 {raw!r}")
        return raw
    if ptype == "scale":
        return _scale(raw, fname, key)
    if ptype == "codes":
        if not isinstance(raw, list) or not raw:
            raise PolicyError(fname, key, "codes 类型的取值应为非空的代码列表")
        return tuple(str(c) for c in raw)
    if ptype == "table":
        if not isinstance(raw, dict) or not raw:
            raise PolicyError(fname, key, "table 类型的取值应为 键: 值 的映射")
        if item_type not in ("amount", "rate", "count", "text", "scale", "codes"):
            raise PolicyError(fname, key, "table 类型须用 item_type 说明每项的类型")
        return {str(k): _typed(item_type, v, fname, f"{key}.{k}", None) for k, v in raw.items()}
    if ptype == "csv_table":
        return _csv_table(raw, fname, key)
    raise PolicyError(fname, key, f"未知类型 {ptype}")


def _csv_table(raw: Any, fname: str, key: str) -> CsvTable:
    """A CSV file named relative to the policy file that names it; must exist when loaded."""
    if not isinstance(raw, str) or not raw.lower().endswith(".csv"):
        raise PolicyError(fname, key, f"csv_table 类型的取值应为 CSV 文件路径,得到 {raw!r}")
    p = Path(raw)
    base = _BASE_DIR.get()
    if not p.is_absolute() and base is not None:
        p = base / p
    if not p.is_file():
        raise PolicyError(fname, key, f"参考表文件不存在: {p}")
    return CsvTable(path=p.resolve(), sha256=hashlib.sha256(p.read_bytes()).hexdigest())


def _scale(raw: Any, fname: str, key: str) -> Scale:
    if not isinstance(raw, list) or not raw:
        raise PolicyError(fname, key, "scale 的取值应为分段列表: - {threshold: 0, rate: 0.6}")
    brackets = []
    for i, b in enumerate(raw):
        bkey = f"{key}[{i}]"
        if not isinstance(b, dict) or set(b) != {"threshold", "rate"}:
            raise PolicyError(fname, bkey, "每段须且仅须有 threshold 和 rate")
        t = _typed("amount", b["threshold"], fname, f"{bkey}.threshold", None)
        r = _typed("rate", b["rate"], fname, f"{bkey}.rate", None)
        if brackets and t <= brackets[-1].threshold:
            raise PolicyError(fname, f"{bkey}.threshold", "分段起点须严格递增")
        brackets.append(Bracket(threshold=t, rate=r))
    if brackets[0].threshold != 0:
        raise PolicyError(fname, f"{key}[0].threshold", "第一段须从 0 开始")
    return Scale(tuple(brackets))
