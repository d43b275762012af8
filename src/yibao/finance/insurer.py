"""Year-end settlement with the insurer that runs 大病保险 (seed 004).

profit = premium − claims paid.  The insurer may keep at most ``cap × premium`` (seed 004: 3%);
anything above goes back to the resident fund.  A loss is the insurer's unless the policy shares
it (``critical_illness.insurer_loss_fund_share``: the fund's share of the loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from yibao.finance.subsidy import rate
from yibao.money import round_fen

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InsurerSettlement:
    """Amounts in 元; rates to four places."""

    premium: Decimal  # paid to the insurer
    claims: Decimal  # Σ hifmi_pay
    profit: Decimal  # premium − claims (negative = loss)
    profit_rate: Decimal | None  # profit ÷ premium
    cap_rate: Decimal | None  # policy cap on the profit rate
    cap_amount: Decimal | None  # cap_rate × premium, to the fen
    returned_to_fund: Decimal  # surplus above the cap
    fund_loss_share: Decimal  # the fund's part of a loss, paid to the insurer
    insurer_result: Decimal  # what the insurer keeps (negative = its loss)
    note: str


def settle_insurer(
    premium: Decimal,
    claims: Decimal,
    cap_rate: Decimal | None,
    loss_fund_share: Decimal | None = None,
) -> InsurerSettlement:
    profit = premium - claims
    cap_amount = None if cap_rate is None else round_fen(premium * cap_rate)
    returned = share = ZERO
    if profit >= 0:
        if cap_amount is None:
            note = "政策未规定盈利率上限,结余全部归承办机构"
        elif profit > cap_amount:
            returned = profit - cap_amount
            note = f"盈利超过上限,超出部分 {returned} 元返还居民医保基金"
        else:
            note = "盈利未超过上限,无需返还"
    elif loss_fund_share is None:
        note = "亏损;政策未规定亏损分担,由承办机构自负"
    else:
        share = round_fen(-profit * loss_fund_share)
        note = f"亏损 {-profit} 元,基金按政策分担 {share} 元"
    return InsurerSettlement(
        premium=premium,
        claims=claims,
        profit=profit,
        profit_rate=rate(profit, premium),
        cap_rate=cap_rate,
        cap_amount=cap_amount,
        returned_to_fund=returned,
        fund_loss_share=share,
        insurer_result=profit - returned + share,
        note=note,
    )
