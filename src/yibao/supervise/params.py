"""Screening parameters: dated policy values (``supervision.*``) with defaults in code.

A region overrides any of them in its preset; the defaults here apply only when a policy has no
value in force for the year (e.g. ``split_admission_days`` starts with the 条例 on 2021-05-01).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from yibao.policy import Policy
from yibao.refdata import icd10_diagnoses

_RANGE = re.compile(r"^([A-Z][0-9]{2})(?:-([A-Z][0-9]{2}))?$")


class SuperviseParamError(ValueError):
    pass


@dataclass(frozen=True)
class CodeRange:
    """An inclusive range of 3-character ICD-10 categories, e.g. O00–O99."""

    lo: str
    hi: str

    def __str__(self) -> str:
        return self.lo if self.lo == self.hi else f"{self.lo}–{self.hi}"


def parse_ranges(values: tuple[str, ...] | list[str], name: str) -> tuple[CodeRange, ...]:
    """Ranges checked against ICD-10 医保版: a range that names no real code is a typo."""
    cats = {code[:3] for code in icd10_diagnoses()}
    out = []
    for raw in values:
        m = _RANGE.match(str(raw).strip().upper().replace("–", "-"))
        if not m:
            raise SuperviseParamError(f"{name}: 诊断区间 {raw!r} 应写作 O00-O99 或 C61")
        lo, hi = m.group(1), m.group(2) or m.group(1)
        if lo > hi or not any(lo <= c <= hi for c in cats):
            raise SuperviseParamError(f"{name}: 诊断区间 {raw!r} 在 ICD-10 医保版中没有编码")
        out.append(CodeRange(lo, hi))
    return tuple(out)


@dataclass(frozen=True)
class SupervisionParams:
    """Values in force on 31 December of the screened year (units in the policy file)."""

    year: int
    subsidy_per_person: Decimal = Decimal("0")  # 元/人: amount at risk of an enrolment finding
    split_admission_days: int = 15  # 天
    split_admission_excluded: tuple[str, ...] = ("Z51",)  # 3-char categories
    readmission_days: int = 31  # 天
    bed_hanging_min_days: int = 30  # 天
    bed_hanging_max_daily_cost: Decimal = Decimal("100")  # 元/天
    male_only_diagnoses: tuple[str, ...] = ("N40-N51", "C60-C63")
    female_only_diagnoses: tuple[str, ...] = ("O00-O99", "C51-C58", "N70-N98")
    min_age_diagnoses: tuple[str, ...] = ("O00-O99",)
    min_age_years: int = 12  # 周岁
    outlier_z_threshold: int = 3  # robust z
    outlier_min_admissions: int = 20  # 人次
    outlier_min_peers: int = 4  # 家
    outlier_min_readmissions: int = 5  # 人次
    outlier_min_cost_excess: Decimal = Decimal("0.30")  # 次均费用至少高出同级中位数的比例
    offsite_amount_threshold: Decimal = Decimal("30000")  # 元
    under_declared_share: Decimal = Decimal("0.50")  # 申报基数低于保底基数的人月占比

    @property
    def male_only(self) -> tuple[CodeRange, ...]:
        return parse_ranges(self.male_only_diagnoses, "supervision.male_only_diagnoses")

    @property
    def female_only(self) -> tuple[CodeRange, ...]:
        return parse_ranges(self.female_only_diagnoses, "supervision.female_only_diagnoses")

    @property
    def min_age_codes(self) -> tuple[CodeRange, ...]:
        return parse_ranges(self.min_age_diagnoses, "supervision.min_age_diagnoses")

    @property
    def year_start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def year_end(self) -> date:
        return date(self.year, 12, 31)

    def shown(self) -> dict[str, str]:
        """Parameter → text, for the work list's rule sheet."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = "、".join(v) if isinstance(v, tuple) else str(v)
        return out


#: What each parameter means, with its unit, as the work list's rule sheet shows it.
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "subsidy_per_person": ("人均财政补助", "元/人"),
    "split_admission_days": ("分解住院间隔天数", "天"),
    "split_admission_excluded": ("分解住院除外诊断", ""),
    "readmission_days": ("再入院间隔天数", "天"),
    "bed_hanging_min_days": ("挂床住院最少住院天数", "天"),
    "bed_hanging_max_daily_cost": ("挂床住院日均费用上限", "元/天"),
    "male_only_diagnoses": ("男性限定诊断", ""),
    "female_only_diagnoses": ("女性限定诊断", ""),
    "min_age_diagnoses": ("年龄限定诊断", ""),
    "min_age_years": ("年龄限定诊断最低年龄", "周岁"),
    "outlier_z_threshold": ("异常判定稳健Z值阈值", ""),
    "outlier_min_admissions": ("参与比较的最少住院人次", "人次"),
    "outlier_min_peers": ("同级医院最少家数", "家"),
    "outlier_min_readmissions": ("最少再入院人次", "人次"),
    "outlier_min_cost_excess": ("次均费用至少高出同级中位数", ""),
    "offsite_amount_threshold": ("异地就医核查金额标准", "元"),
}


def param_text(name: str, value: str) -> str:
    """``再入院间隔天数 31 天`` rather than ``readmission_days=31``."""
    label, unit = PARAM_LABELS.get(name, (name, ""))
    if name == "outlier_min_cost_excess":
        from yibao.money import pct_text

        return f"{label} {pct_text(Decimal(value))}"
    return f"{label} {value}{(' ' + unit) if unit else ''}"


SUBSIDY = "financing.resident.subsidy_per_person"


def load_params(policy: Policy, year: int, **override: Any) -> SupervisionParams:
    """Policy values in force at the year's end; code defaults where the policy has none."""
    on = date(year, 12, 31)
    values: dict[str, Any] = {"year": year}
    for f in fields(SupervisionParams):
        if f.name == "year":
            continue
        pname = SUBSIDY if f.name == "subsidy_per_person" else f"supervision.{f.name}"
        p = policy.parameters.get(pname)
        dv = p.at(on) if p is not None else None
        if dv is not None:
            values[f.name] = tuple(dv.value) if isinstance(dv.value, (list, tuple)) else dv.value
    values.update(override)
    params = SupervisionParams(**values)
    # Fail early on a mistyped range, before any query runs.
    params.male_only, params.female_only, params.min_age_codes  # noqa: B018
    return params
