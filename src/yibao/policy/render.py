"""Show the parameters in force on a date (``yibao policy show``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rich.table import Table as RichTable

from yibao.money import pct_text
from yibao.policy.loader import Policy
from yibao.policy.model import CsvTable, Scale


def fmt_value(value: Any, unit: str = "") -> str:
    if isinstance(value, Scale):
        parts = []
        for i, b in enumerate(value.brackets):
            upper = value.brackets[i + 1].threshold if i + 1 < len(value.brackets) else None
            band = f"{b.threshold:,}–{upper:,}" if upper is not None else f"{b.threshold:,} 以上"
            parts.append(f"{band}: {pct_text(b.rate, 4)}")
        return "; ".join(parts)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt_value(v, unit)}" for k, v in value.items())
    if isinstance(value, tuple):
        return "、".join(value)
    if isinstance(value, Decimal) and ("比例" in unit or "百分点" in unit):
        return pct_text(value, 4)
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, CsvTable):
        return {"file": str(value.path), "sha256": value.sha256}
    if isinstance(value, Scale):
        return [{"threshold": str(b.threshold), "rate": str(b.rate)} for b in value.brackets]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def policy_json(pol: Policy, when: date) -> dict:
    params = {}
    for name, dv in pol.at(when).items():
        p = pol.get(name)
        params[name] = {
            "value": jsonable(dv.value),
            "unit": p.unit,
            "type": p.type,
            "since": dv.start.isoformat(),
            "description": p.description,
            "reference": dv.reference or p.reference,
            "source": p.source,
        }
    return {
        "preset": pol.name,
        "label": pol.label,
        "date": when.isoformat(),
        "files": pol.files,
        "parameters": params,
    }


def policy_table(pol: Policy, when: date) -> RichTable:
    t = RichTable(title=f"{pol.label}({pol.name})于 {when} 生效的参数", show_lines=False)
    t.add_column("参数", no_wrap=True)
    for col in ("取值", "单位", "起始日期", "说明", "依据"):
        t.add_column(col, overflow="fold")
    for name, dv in pol.at(when).items():
        p = pol.get(name)
        t.add_row(
            name,
            fmt_value(dv.value, p.unit),
            p.unit,
            dv.start.isoformat(),
            p.description,
            dv.reference or p.reference,
        )
    return t
