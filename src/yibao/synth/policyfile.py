"""The policy a generated region's recorded payments follow, written next to the data.

Seed presets state financing rules but few benefit rules.  A synthetic preset may name a
``benefits`` preset: every parameter that the region's own policy lacks on 1 January of the
year is taken from it, re-dated to that day and marked as a synthetic-data assumption.  The
region's own parameters are never overridden.  The file ``extends`` the region's policy, so
`yibao init WS --policy DIR/policy.yaml` gives settlement and finance the same rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import yaml

from yibao.policy import load_policy
from yibao.policy.loader import PRESET_DIR, DecimalLoader

from .preset import SynthPreset


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # readable files: no &id001 anchors
        return True


_Dumper.add_representer(
    Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", format(v, "f"))
)


#: Amount/rate parameters the generator or finance needs even when they start after the year.
SCALAR_CARRIED = (
    "critical_illness.premium_per_person",
    "critical_illness.insurer_profit_cap",
    # a seed year before the national series starts (suining-2013) still needs standards
    "financing.resident.individual_contribution",
    "financing.resident.subsidy_per_person",
)


def _leaves(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for key, node in tree.items():
        name = f"{prefix}{key}"
        if isinstance(node, dict) and "values" in node:
            out.append((name, node))
        elif isinstance(node, dict):
            out.extend(_leaves(node, name + "."))
    return out


def _put(tree: dict[str, Any], dotted: str, leaf: dict[str, Any]) -> None:
    *path, last = dotted.split(".")
    for p in path:
        tree = tree.setdefault(p, {})
    tree[last] = leaf


def policy_document(preset: SynthPreset) -> dict[str, Any]:
    start = dt.date(preset.year, 1, 1)
    own = load_policy(preset.policy)
    in_force = set(own.at(start))
    params: dict[str, Any] = {}
    borrowed: list[str] = []
    if preset.benefits:
        src = yaml.load(
            (PRESET_DIR / f"{preset.benefits}.yaml").read_text(encoding="utf-8"),
            Loader=DecimalLoader,
        )
        for name, leaf in _leaves(src.get("parameters") or {}):
            if name in in_force:
                continue
            first = min(leaf["values"])
            new = {k: v for k, v in leaf.items() if k != "values"}
            new["reference"] = (
                f"合成数据假定:取自 {preset.benefits} 政策({leaf.get('reference', '')})"
            )
            new["values"] = {start: leaf["values"][first]}
            _put(params, name, new)
            borrowed.append(name)
        # Parameters the benefits preset inherits (e.g. national's 大病 premium, from 2021) whose
        # first value is later than this year: the generator books them, so carry them too.
        base = load_policy(preset.benefits)
        for name in SCALAR_CARRIED:
            p = base.parameters.get(name)
            if name in in_force or name in borrowed or p is None or not p.values:
                continue
            _put(
                params,
                name,
                {
                    "description": p.description,
                    "type": p.type,
                    "unit": p.unit,
                    "reference": f"合成数据假定:取 {p.values[0].start} 起的值({p.reference})",
                    "values": {start: p.values[0].value},
                },
            )
            borrowed.append(name)
    return {
        "preset": f"synth-{preset.name}",
        "label": f"{own.label}(合成数据所用政策)",
        "extends": preset.policy,
        "description": (
            f"yibao synth 生成 {preset.label} 数据时计算记录支付所依据的政策。"
            + (
                f"{preset.policy} 在 {start} 未生效的 {len(borrowed)} 个待遇参数取自 "
                f"{preset.benefits}(合成数据假定,非真实政策)。"
                if borrowed
                else ""
            )
        ),
        "parameters": params,
    }


def policy_yaml(preset: SynthPreset) -> str:
    head = "# 由 yibao synth 生成;用 `yibao init WS --policy 本文件` 使结算与此一致。\n"
    return head + yaml.dump(
        policy_document(preset), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
    )
