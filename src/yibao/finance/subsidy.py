"""Subsidy burden-sharing: what each budget level owes each county, and what arrived.

Due = insured × per-person share, rounded half-up to the fen once per county and level; the
county's due is the county total (insured × subsidy) minus the other levels, so the levels always
add up to insured × subsidy exactly.  Arrival rate (到位率) = received this year ÷ due; receipts
flagged as the previous year's settlement (上年清算) are reported apart and never counted as
this year's arrival.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from yibao.finance.params import LEVELS, FinanceParams
from yibao.money import ratio, round_fen
from yibao.pipeline.contract import Note

ZERO = Decimal("0.00")
#: Notes about subsidy sharing and arrival (annex one lists them under its table).
SUBSIDY_NOTE_CODES = frozenset(
    {
        "central_share_missing",
        "central_share_by_tier",
        "province_share_missing",
        "city_fixed_amount_missing",
        "county_due_negative",
        "negative_receipt_unflagged",
        "receipt_without_insured",
        "subsidy_standard_missing",
    }
)


def rate(num: Decimal, den: Decimal) -> Decimal | None:
    """A ratio to four places (52.84% = 0.5284), half-up; None when the denominator is 0."""
    return ratio(num, den)


@dataclass(frozen=True)
class DueRow:
    """One county × level: per-person share (元/人) and amount due (元)."""

    region_code: str
    county_class: str | None
    level: str
    insured: int  # 人
    per_person: Decimal | None  # 元/人, None when the level pays a lump sum
    due: Decimal  # 元, to the fen


def subsidy_due(insured: dict[str, int], fp: FinanceParams) -> tuple[list[DueRow], list[Note]]:
    """Due per county × level from insured counts and the policy; notes say what was assumed."""
    out: list[DueRow] = []
    notes: list[Note] = []
    if fp.subsidy_per_person is None:
        text = f"政策 {fp.policy_name} 未规定 {fp.year} 年人均财政补助标准,无法计算应补助额"
        return out, [Note("subsidy_standard_missing", text, "error")]
    s = fp.subsidy_per_person
    for region in sorted(insured):
        n = insured[region]
        share = fp.county_share(region)
        notes.extend(share.notes)
        total = round_fen(s * n)
        central = round_fen(share.per_person["中央"] * n)
        province = round_fen(share.per_person["省级"] * n)
        if share.city_fixed:
            city = round_fen(share.city_fixed_amount or 0)
        else:
            city = round_fen(share.per_person["市级"] * n)
        county = total - central - province - city
        if county < 0:
            text = f"{region}:县级应补助为负({county} 元),分担参数之和超过人均补助"
            notes.append(Note("county_due_negative", text, "error", "county", region))
        amounts = {"中央": central, "省级": province, "市级": city, "县级": county}
        for level in LEVELS:
            per = share.per_person[level]
            if level == "市级" and share.city_fixed:
                per = None
            if level == "县级" and share.city_fixed:
                per = None if share.city_fixed_amount else share.per_person["县级"]
            out.append(DueRow(region, share.county_class, level, n, per, amounts[level]))
    return out, sorted(set(notes))


@dataclass(frozen=True)
class ArrivalRow:
    """One county × level: due against what arrived (元)."""

    region_code: str
    level: str
    insured: int
    due: Decimal
    received: Decimal  # this year's transfers, settlements excluded
    settlement: Decimal  # 上年清算 (may be negative)
    received_net: Decimal  # received + settlement, as bank statements show it
    rate: Decimal | None  # received ÷ due
    shortfall: Decimal  # due − received (negative = more than due)
    status: str  # 足额 / 短缺 / 超拨 / 无应拨


def _status(due: Decimal, received: Decimal) -> str:
    if due == 0 and received == 0:
        return "无应拨"
    if received == due:
        return "足额"
    return "短缺" if received < due else "超拨"


def compare_receipts(
    due_rows: list[DueRow], receipts: list[dict]
) -> tuple[list[ArrivalRow], list[dict], list[Note]]:
    """Arrival by county × level, cumulative arrival by level × quarter, and notes."""
    due = {(r.region_code, r.level): r for r in due_rows}
    got: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    settle: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    quarterly: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    notes: list[Note] = []
    negative_unflagged = 0
    for r in receipts:
        key = (r["region_code"], r["budget_level"])
        amt = r["amount"] or ZERO
        if r["settlement"] == "1":
            settle[key] += amt
        else:
            got[key] += amt
            negative_unflagged += int(r["negative"] or 0)
            qlabel = f"{r['arrival_year']}年第{r['quarter']}季度"
            quarterly[(r["budget_level"], qlabel)] += amt
    if negative_unflagged:
        text = f"有 {negative_unflagged} 笔负数到账未标为上年清算,已计入当年到位,请核实"
        notes.append(Note("negative_receipt_unflagged", text, "warning"))
    arrivals = []
    for key in sorted(set(due) | set(got) | set(settle), key=_order):
        region, level = key
        d = due[key].due if key in due else ZERO
        n = due[key].insured if key in due else 0
        rec, st = got[key], settle[key]
        if key not in due:
            text = f"{region} {level}:有到账但无参保人数,应补助按 0 计"
            notes.append(
                Note("receipt_without_insured", text, "warning", "level", f"{region}|{level}")
            )
        arrivals.append(
            ArrivalRow(
                region, level, n, d, rec, st, rec + st, rate(rec, d), d - rec, _status(d, rec)
            )
        )
    due_by_level: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in due_rows:
        due_by_level[r.level] += r.due
    by_quarter = []
    for level in LEVELS:
        cum = ZERO
        for (lv, q), amt in sorted(quarterly.items(), key=lambda kv: _qorder(kv[0][1])):
            if lv != level:
                continue
            cum += amt
            by_quarter.append(
                {
                    "level": level,
                    "quarter": q,
                    "received": amt,
                    "cumulative": cum,
                    "due": due_by_level[level],
                    "cumulative_rate": rate(cum, due_by_level[level]),
                }
            )
    return arrivals, by_quarter, notes


def _order(key: tuple[str, str]) -> tuple[str, int]:
    return key[0], LEVELS.index(key[1]) if key[1] in LEVELS else len(LEVELS)


def _qorder(label: str) -> tuple[int, int]:
    y, q = label.split("年第")
    return int(y), int(q.rstrip("季度"))
