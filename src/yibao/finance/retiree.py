"""Retired-cadre scheme (离休干部医药费, seed 002): pooling standard, quota with cash top-up.

The county budgets ``pooling_standard × retirees``; catalogue costs are paid in full.  A retiree
whose year's costs stay under the quota of their period (抗日 5,000 / 解放 3,000 元) gets the unused
quota in cash.  Spending above the pooling standard is added at year end (年底追加).  Which
period a retiree belongs to is not in the canonical tables: it comes from a roster file
(人员编号, 参加革命工作时期); without one, the top-up is not computed and the report says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from yibao.finance.subsidy import rate
from yibao.money import from_fen, round_fen, to_fen

ZERO = Decimal("0.00")
PSN_HEADERS = ("psn_no", "人员编号", "个人编号")
PERIOD_HEADERS = ("period", "参加革命工作时期", "时期", "革命时期")


class RosterError(ValueError):
    pass


def read_roster(path: Path, quota: dict[str, Decimal]) -> pa.Table:
    """psn_no → period and quota (fen); an unknown period is an error, not a silent 0."""
    text = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            lines = text.decode(enc).splitlines()
            break
        except UnicodeDecodeError:
            continue
    reader = csv.DictReader(lines)
    fields = reader.fieldnames or []
    psn = next((h for h in fields if h.strip() in PSN_HEADERS), None)
    per = next((h for h in fields if h.strip() in PERIOD_HEADERS), None)
    if psn is None or per is None:
        raise RosterError(f"{path.name}: 离休人员名单须有 人员编号 和 参加革命工作时期 两列")
    psn_nos, periods, quotas = [], [], []
    for i, row in enumerate(reader, start=2):
        p = (row[per] or "").strip().removesuffix("时期").removesuffix("战争")
        if p not in quota:
            raise RosterError(
                f"{path.name} 第 {i} 行: 参加革命工作时期 {row[per]!r} 不在政策定额中"
                f"({'、'.join(quota)})"
            )
        psn_nos.append(row[psn].strip())
        periods.append(p)
        quotas.append(to_fen(quota[p]))
    return pa.table(
        {
            "psn_no": pa.array(psn_nos, pa.string()),
            "period": pa.array(periods, pa.string()),
            "quota_fen": pa.array(quotas, pa.int64()),
        }
    )


@dataclass(frozen=True)
class RetireeSummary:
    """The year's scheme in 元."""

    retirees: int  # enrolled retired cadres
    claimants_not_enrolled: int  # people with retiree claims but no enrolment that year
    pooling_standard: Decimal | None  # 元/人/年
    pooling_total: Decimal | None  # standard × retirees
    inpatient: Decimal
    outpatient: Decimal
    topup: Decimal  # cash for unused quota
    paid: Decimal  # inpatient + outpatient + topup
    over_pooling: Decimal | None  # paid − pooling_total (> 0: 年底追加)
    budget: Decimal | None  # budget incl. carry-over of 离休 projects
    budget_rate: Decimal | None  # paid ÷ budget
    note: str


def summarise(
    people: pa.Table,
    pooling_standard: Decimal | None,
    budget: Decimal | None,
    have_roster: bool,
) -> RetireeSummary:
    """Column sums (vectorised) of the per-person table from ``queries.retiree_costs``."""

    def total(col: str) -> Decimal:
        return from_fen(pc.sum(people.column(col)).as_py() or 0) if people.num_rows else ZERO

    n = pc.sum(people.column("enrolled").cast(pa.int64())).as_py() or 0 if people.num_rows else 0
    inp, outp, top = total("inpatient_fen"), total("outpatient_fen"), total("topup_fen")
    paid = inp + outp + top
    pool = None if pooling_standard is None else round_fen(pooling_standard * n)
    notes = []
    if not have_roster:
        notes.append("未提供离休人员参加革命工作时期名单,定额节约现金补足未计算")
    if pool is not None and paid > pool:
        notes.append(f"支付超过统筹标准 {paid - pool} 元,按规定年底追加")
    return RetireeSummary(
        retirees=n,
        claimants_not_enrolled=people.num_rows - n,
        pooling_standard=pooling_standard,
        pooling_total=pool,
        inpatient=inp,
        outpatient=outp,
        topup=top,
        paid=paid,
        over_pooling=None if pool is None else paid - pool,
        budget=budget,
        budget_rate=None if budget is None else rate(paid, budget),
        note=";".join(notes),
    )
