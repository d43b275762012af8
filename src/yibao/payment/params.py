"""Payment parameters: dated policy values (``payment.budget.*``, ``payment.dip.*``).

Defaults in code apply only when the policy has no value in force at the year's end (the DIP
technical specification dates from 2020-10-14; a region running DIP earlier, like a synthetic
2019 region, uses its values).  Every default used is reported, so nothing is silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from yibao.policy import Policy
from yibao.policy.model import CsvTable


class PaymentParamError(ValueError):
    pass


def _d(text: str) -> Decimal:
    return Decimal(text)


@dataclass(frozen=True)
class BudgetParams:
    year: int
    growth_by_level: dict[str, Decimal] = field(
        default_factory=lambda: {"1": _d("0.05"), "2": _d("0.06"), "3": _d("0.08")}
    )
    reserve_share: Decimal = _d("0.05")
    no_history_level_share: Decimal = _d("0.80")
    advance_profile: str = "even"
    pace_tolerance: Decimal = _d("0.05")
    kept_savings_band: Decimal = _d("0.15")
    savings_retained_share: Decimal = _d("0.50")
    shared_overspend_band: Decimal = _d("0.10")
    overspend_fund_share: Decimal = _d("0.50")
    overspend_fund_share_beyond: Decimal = _d("0.00")
    reserve_full_score: int = 90
    defaults_used: tuple[str, ...] = ()


@dataclass(frozen=True)
class DipParams:
    year: int
    year_weights: dict[str, int] = field(default_factory=lambda: {"1": 1, "2": 2, "3": 7})
    score_scale: int = 1000
    core_coverage: Decimal = _d("0.85")
    trim_share: Decimal = _d("0.025")
    diagnosis_key_length: int = 5
    procedure_key_length: int = 5
    outlier_low: Decimal = _d("0.50")
    outlier_high: Decimal = _d("2")
    outlier_extreme: Decimal = _d("5")
    special_review_quota: Decimal = _d("0.005")
    level_coefficient: dict[str, Decimal] = field(
        default_factory=lambda: {"1": _d("0.90"), "2": _d("1.00"), "3": _d("1.10")}
    )
    age_coefficient: dict[str, Decimal] = field(
        default_factory=lambda: {"0": _d("1.10"), "7": _d("1.00"), "80": _d("1.05")}
    )
    severity_coefficient: dict[str, Decimal] = field(
        default_factory=lambda: {"MCC": _d("1.10"), "CC": _d("1.05")}
    )
    monthly_advance_share: Decimal = _d("0.90")
    upcoding_procedure_rate_multiple: Decimal = _d("1.5")
    reimbursement_ratio: Decimal | None = None
    fund_budget: Decimal | None = None
    catalogue: CsvTable | None = None
    defaults_used: tuple[str, ...] = ()

    def weights_for(self, n_years: int) -> list[int]:
        """Weights of ``n_years`` consecutive years, oldest first (the latest ones of 1:2:7)."""
        ordered = [self.year_weights[k] for k in sorted(self.year_weights, key=int)]
        if n_years > len(ordered):
            raise PaymentParamError(
                f"payment.dip.year_weights 只给出 {len(ordered)} 年的权重,不能用于 {n_years} 年"
            )
        return ordered[len(ordered) - n_years :]


_OPTIONAL = {"reimbursement_ratio", "fund_budget", "catalogue"}


def _load(cls: type, prefix: str, policy: Policy, year: int) -> Any:
    on = date(year, 12, 31)
    values: dict[str, Any] = {"year": year}
    defaults: list[str] = []
    for f in fields(cls):
        if f.name in ("year", "defaults_used"):
            continue
        p = policy.parameters.get(f"{prefix}.{f.name}")
        dv = p.at(on) if p is not None else None
        if dv is None:
            if f.name not in _OPTIONAL:
                defaults.append(f"{prefix}.{f.name}")
            continue
        v = dv.value
        values[f.name] = dict(v) if isinstance(v, dict) else v
    values["defaults_used"] = tuple(defaults)
    return cls(**values)


def budget_params(policy: Policy, year: int) -> BudgetParams:
    p: BudgetParams = _load(BudgetParams, "payment.budget", policy, year)
    if p.advance_profile not in ("even", "last_year"):
        raise PaymentParamError(
            f"payment.budget.advance_profile 应为 even 或 last_year,得到 {p.advance_profile!r}"
        )
    return p


def dip_params(policy: Policy, year: int) -> DipParams:
    p: DipParams = _load(DipParams, "payment.dip", policy, year)
    if p.score_scale not in (100, 1000):
        raise PaymentParamError(f"payment.dip.score_scale 应为 100 或 1000,得到 {p.score_scale}")
    if not p.outlier_high < p.outlier_extreme:
        raise PaymentParamError("payment.dip.outlier_high 应小于 outlier_extreme")
    return p
