"""What the policy says about financing in one year, read once into plain Decimals.

Annual standards (per-person subsidy, contribution, premium, pooling standard) are taken as in
force on 31 December of the year: local standards are often issued mid-year for the whole year.
A parameter a policy does not have is ``None`` here, and the computation says what it assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from yibao.money import pct_text
from yibao.pipeline.contract import Note
from yibao.policy import Policy
from yibao.schema.codes import BUDGET_LEVELS

LEVELS = BUDGET_LEVELS


pct = pct_text  # half-up, like every rate (it used to round half-even here)


def as_of(year: int) -> date:
    return date(year, 12, 31)


def opt(policy: Policy, name: str, year: int) -> Any:
    """The value in force at the end of ``year``, or None when the policy has none."""
    p = policy.parameters.get(name)
    if p is None:
        return None
    dv = p.at(as_of(year))
    return None if dv is None else dv.value


@dataclass(frozen=True)
class CountyShare:
    """Per-person subsidy of one county split by budget level (元/人, exact, not yet rounded)."""

    region_code: str
    county_class: str | None
    per_person: dict[str, Decimal]  # level → 元/人; 县级 is the rest
    city_fixed: bool  # the city pays a lump sum for this county, not per person
    city_fixed_amount: Decimal | None  # 元/年 when the policy gives it
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class FinanceParams:
    """Financing parameters of one year (amounts in 元, rates as fractions)."""

    policy_name: str
    year: int
    subsidy_per_person: Decimal | None
    individual_contribution: Decimal | None
    fully_subsidised: tuple[str, ...]
    partly_subsidised: tuple[str, ...]
    contribution_subsidy_amount: dict[str, Decimal]
    ci_premium_per_person: Decimal | None
    ci_profit_cap: Decimal | None
    ci_loss_fund_share: Decimal | None
    retiree_pooling_standard: Decimal | None
    retiree_quota: dict[str, Decimal]
    retiree_cash_topup: bool
    reserve_months_min: int | None
    reserve_months_max: int | None
    _policy: Policy = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def county_share(self, region_code: str) -> CountyShare:
        """Central by county class (or province tier), province share of the remainder,
        city per person (or a lump sum), the county the rest (DOMAIN.md §2)."""
        pol, y = self._policy, self.year
        s = self.subsidy_per_person or Decimal(0)
        notes: list[Note] = []
        klass = (opt(pol, "financing.subsidy_sharing.county_class", y) or {}).get(region_code)
        by_class = opt(pol, "financing.subsidy_sharing.central_share_by_class", y) or {}
        if klass is not None and klass in by_class:
            central_rate = by_class[klass]
        else:
            tiers = opt(pol, "financing.subsidy_sharing.province_tier", y) or {}
            tier_rates = opt(pol, "financing.subsidy_sharing.central_share_by_tier", y) or {}
            tier = tiers.get(region_code[:2])
            if tier is None or tier not in tier_rates:
                central_rate = Decimal(0)
                notes.append(
                    Note(
                        "central_share_missing",
                        f"{region_code}:政策未给出中央分担比例,中央按 0 计",
                        "warning",
                        "county",
                        region_code,
                    )
                )
            else:
                central_rate = tier_rates[tier]
                notes.append(
                    Note(
                        "central_share_by_tier",
                        f"{region_code}:中央按省份{tier}分担 {pct(central_rate)}",
                        "info",
                        "county",
                        region_code,
                    )
                )
        central = s * central_rate
        prov_rates = opt(pol, "financing.subsidy_sharing.province_share_of_remainder_by_class", y)
        if klass is not None and prov_rates and klass in prov_rates:
            province = (s - central) * prov_rates[klass]
        else:
            province = Decimal(0)
            notes.append(
                Note(
                    "province_share_missing",
                    f"{region_code}:政策未给出省级分担比例,省级按 0 计",
                    "warning",
                    "county",
                    region_code,
                )
            )
        fixed_list = opt(pol, "financing.subsidy_sharing.city_fixed_subsidy_counties", y) or ()
        fixed_amounts = opt(pol, "financing.subsidy_sharing.city_fixed_amount", y) or {}
        per_city = opt(pol, "financing.subsidy_sharing.city_amount_per_person", y) or {}
        city_fixed = region_code in fixed_list or region_code in fixed_amounts
        city = Decimal(0) if city_fixed else per_city.get(region_code, Decimal(0))
        fixed_amount = fixed_amounts.get(region_code)
        if city_fixed and fixed_amount is None:
            notes.append(
                Note(
                    "city_fixed_amount_missing",
                    f"{region_code}:市级按原基数定额补助,不按人头;政策未列定额,市级应补助按 0 计",
                    "warning",
                    "county",
                    region_code,
                )
            )
        per = {"中央": central, "省级": province, "市级": city}
        per["县级"] = s - central - province - city
        return CountyShare(region_code, klass, per, city_fixed, fixed_amount, tuple(notes))


def finance_params(policy: Policy, year: int) -> FinanceParams:
    y = year
    quota = opt(policy, "retired_cadre.quota", y) or {}
    return FinanceParams(
        policy_name=policy.name,
        year=y,
        subsidy_per_person=opt(policy, "financing.resident.subsidy_per_person", y),
        individual_contribution=opt(policy, "financing.resident.individual_contribution", y),
        fully_subsidised=tuple(
            opt(policy, "medical_assistance.fully_subsidised_categories", y) or ()
        ),
        partly_subsidised=tuple(
            opt(policy, "medical_assistance.partly_subsidised_categories", y) or ()
        ),
        contribution_subsidy_amount=dict(
            opt(policy, "financing.resident.contribution_subsidy_amount", y) or {}
        ),
        ci_premium_per_person=opt(policy, "critical_illness.premium_per_person", y),
        ci_profit_cap=opt(policy, "critical_illness.insurer_profit_cap", y),
        ci_loss_fund_share=opt(policy, "critical_illness.insurer_loss_fund_share", y),
        retiree_pooling_standard=opt(policy, "retired_cadre.pooling_standard", y),
        retiree_quota=dict(quota),
        retiree_cash_topup=bool(opt(policy, "retired_cadre.quota_cash_topup", y)),
        reserve_months_min=opt(policy, "fund.reserve_months_min", y),
        reserve_months_max=opt(policy, "fund.reserve_months_max", y),
        _policy=policy,
    )
