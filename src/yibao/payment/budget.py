"""Total budget control (总额控制) for one year: budget, monthly advances, progress, settlement.

Ibis reduces the claims to fund spending per hospital and month (this year and last); the few
hundred hospitals finish in Decimal:
  budget = last year's actual × (1 + growth by level) (no history: same-level mean × share);
  reserve withheld, the rest advanced in 12 parts (even, or last year's monthly profile);
  year end by bands of use = actual ÷ advanced budget A (lower = A × (1 − kept band),
  upper = A × (1 + shared band)):
    below lower: A − (lower − actual) × (1 − retained share)   结余留用(低于下限)
    lower..A:    A                                              结余留用
    A..upper:    A + (actual − A) × fund share                   超支分担
    above:       A + (upper − A) × fund share + (actual − upper) × beyond share
  reserve paid back by the assessment score (full at ≥ full score, else score ÷ 100).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa

from yibao.engine.workspace import Workspace, replace_rows, transaction
from yibao.money import fen_expr, from_fen, ratio, round_fen, to_fen
from yibao.payment.inputs import PaymentInputError, backend_for, claim_years
from yibao.payment.params import BudgetParams
from yibao.payment.tables import (
    PAYMENT_BUDGET_HOSPITALS,
    PAYMENT_BUDGET_MONTHS,
    PAYMENT_BUDGET_SUMMARY,
)
from yibao.pipeline import provenance

ZERO = Decimal("0.00")


@dataclass
class BudgetOutcome:
    year: int
    summary: dict
    hospitals: list[dict]
    months: list[dict]
    notes: list[str] = field(default_factory=list)


def monthly_spending(b, year: int) -> ir.Table:  # noqa: ANN001
    """Σ 统筹基金 (fen) per local hospital, year (this and last) and month."""
    c = b.table("claims")
    yr = c.setl_time.year().cast("int32")
    local = c.offsite_flag.isnull() | (c.offsite_flag != "1")
    t = c.filter(yr.isin([year - 1, year]), local)
    t = t.mutate(year=yr, month=t.setl_time.month().cast("int32"))
    return t.group_by(["fixmedins_code", "year", "month"]).aggregate(
        fen=fen_expr(t.hifp_pay.fill_null(0)).sum()
    )


def split_fen(total_fen: int, weights: list[int]) -> list[int]:
    """``total_fen`` in len(weights) parts proportional to weights, summing exactly (largest
    remainder; ties to the earlier month)."""
    wsum = sum(weights)
    if wsum <= 0:
        weights, wsum = [1] * len(weights), len(weights)
    base = [total_fen * w // wsum for w in weights]
    rest = total_fen - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(total_fen * weights[i] % wsum), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def band_settlement(a: Decimal, actual: Decimal, p: BudgetParams) -> tuple[Decimal, str]:
    """Year-end payment for advanced budget ``a`` and spending ``actual`` (see module doc)."""
    lower = a * (1 - p.kept_savings_band)
    upper = a * (1 + p.shared_overspend_band)
    if actual < lower:
        return round_fen(
            a - (lower - actual) * (1 - p.savings_retained_share)
        ), "结余留用(低于下限)"
    if actual <= a:
        return round_fen(a), "结余留用"
    if actual <= upper:
        return round_fen(a + (actual - a) * p.overspend_fund_share), "超支分担"
    paid = (
        a + (upper - a) * p.overspend_fund_share + (actual - upper) * p.overspend_fund_share_beyond
    )
    return round_fen(paid), "超支自负"


def reserve_payback(reserve: Decimal, score: Decimal | None, p: BudgetParams) -> Decimal:
    if score is None:
        return ZERO
    if score >= p.reserve_full_score:
        return reserve
    return min(reserve, round_fen(reserve * max(score, Decimal(0)) / 100))


def read_scores(path: Path) -> dict[str, Decimal]:
    """考核得分 file: columns 定点医疗机构编号 (or fixmedins_code) and 考核得分 (or score)."""
    out: dict[str, Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        code_col = next((c for c in cols if c in ("定点医疗机构编号", "fixmedins_code")), None)
        score_col = next((c for c in cols if c in ("考核得分", "score")), None)
        if code_col is None or score_col is None:
            raise PaymentInputError(
                f"{path.name}: 缺少列 定点医疗机构编号 或 考核得分(现有列: {'、'.join(cols)})"
            )
        for i, row in enumerate(reader, start=2):
            try:
                v = Decimal(row[score_col].strip())
            except (InvalidOperation, AttributeError):
                raise PaymentInputError(
                    f"{path.name} 第 {i} 行 考核得分: {row[score_col]!r} 不是有效数值"
                ) from None
            if not Decimal(0) <= v <= Decimal(100):
                raise PaymentInputError(f"{path.name} 第 {i} 行 考核得分: {v} 应在 0–100 之间")
            out[row[code_col].strip()] = v
    return out


def run_budget(
    ws: Workspace,
    year: int,
    p: BudgetParams,
    *,
    engine: str = "duckdb",
    scores: dict[str, Decimal] | None = None,
) -> BudgetOutcome:
    years = claim_years(ws)
    if year not in years:
        raise PaymentInputError(f"工作区没有 {year} 年度的结算单")
    notes: list[str] = []
    if year - 1 not in years:
        raise PaymentInputError(
            f"工作区没有 {year - 1} 年度的结算单:总额控制按上年实际核定,请先导入上年结算单"
        )
    b = backend_for(ws, engine, ["claims"])
    expr = monthly_spending(b, year)
    provenance.record(
        ["payment_budget_hospitals", "payment_budget_months", "payment_budget_summary"],
        "医院月度统筹支出",
        expr,
    )
    spent: dict[tuple[str, int], list[int]] = {}
    for r in b.to_pyarrow(expr).to_pylist():
        spent.setdefault((r["fixmedins_code"], r["year"]), [0] * 12)[r["month"] - 1] += int(
            r["fen"]
        )
    names, levels = _institutions(ws)
    codes = sorted({k[0] for k in spent})
    hosp, months = [], []
    for code in codes:
        last = spent.get((code, year - 1))
        lv = levels.get(code, "")
        growth = p.growth_by_level.get(lv, Decimal(0))
        budget = round_fen(from_fen(sum(last)) * (1 + growth)) if last else None
        hosp.append(
            {
                "fixmedins_code": code,
                "hosp_lv": lv,
                "growth": growth,
                "has_history": last is not None,
                "last": last,
                "budget_total": budget,
            }
        )
    _no_history(hosp, p, notes)
    if scores is None:
        notes.append("未提供考核得分(--scores):质量保证金暂不返还")
    for h in hosp:
        code = h["fixmedins_code"]
        b_total = h["budget_total"]
        reserve = round_fen(b_total * p.reserve_share)
        a = b_total - reserve
        profile = h["last"] if (p.advance_profile == "last_year" and h["last"]) else [1] * 12
        adv = split_fen(to_fen(a), profile)
        cur = spent.get((code, year), [0] * 12)
        actual = from_fen(sum(cur))
        settlement, band = band_settlement(a, actual, p)
        score = scores.get(code) if scores is not None else None
        paid = reserve_payback(reserve, score, p)
        cum, crossed = 0, None
        for m in range(12):
            cum += cur[m]
            use = ratio(cum, to_fen(a)) if a else None
            elapsed = ratio(m + 1, 12)
            ahead = use is not None and use > elapsed * (1 + p.pace_tolerance)
            if ahead and crossed is None:
                crossed = m + 1
            months.append(
                {
                    "year": year,
                    "fixmedins_code": code,
                    "month": m + 1,
                    "advance": from_fen(adv[m]),
                    "spent": from_fen(cur[m]),
                    "cum_spent": from_fen(cum),
                    "cum_use": use,
                    "elapsed": elapsed,
                    "ahead": ahead,
                }
            )
        h.update(
            year=year,
            fixmedins_name=names.get(code),
            last_year_actual=from_fen(sum(h["last"])) if h["last"] else ZERO,
            reserve=reserve,
            budget_advance=a,
            advances=a,
            actual=actual,
            use_rate=ratio(actual, a) if a else None,
            band=band,
            settlement=settlement,
            score=score,
            reserve_paid=paid,
            total_paid=settlement + paid,
            balance=settlement + paid - a,
            crossed_month=crossed,
            ahead_at_end=months[-1]["ahead"],
        )
    summary = _summary(year, hosp, p)
    if p.defaults_used:
        notes.append("未在政策中生效、采用常用取值的参数:" + "、".join(p.defaults_used))
    _store(ws, year, hosp, months, summary)
    return BudgetOutcome(year, summary, hosp, months, notes)


def _no_history(hosp: list[dict], p: BudgetParams, notes: list[str]) -> None:
    """Hospitals without last year's data: the same-level mean budget × the policy's share."""
    by_level: dict[str, list[Decimal]] = {}
    for h in hosp:
        if h["budget_total"] is not None:
            by_level.setdefault(h["hosp_lv"], []).append(h["budget_total"])
    for h in hosp:
        if h["budget_total"] is None:
            peers = by_level.get(h["hosp_lv"], [])
            mean = sum(peers, ZERO) / len(peers) if peers else ZERO
            h["budget_total"] = round_fen(mean * p.no_history_level_share)
            notes.append(
                f"{h['fixmedins_code']} 无上年数据,按同级平均总额 × "
                f"{p.no_history_level_share} 核定 {h['budget_total']} 元"
            )


def _summary(year: int, hosp: list[dict], p: BudgetParams) -> dict:
    def tot(k: str) -> Decimal:
        return sum((h[k] for h in hosp), ZERO)

    budget, reserve, paid = tot("budget_total"), tot("reserve"), tot("reserve_paid")
    settlement, advanced = tot("settlement"), tot("budget_advance")
    band_diff = advanced - settlement
    retained = reserve - paid
    return {
        "year": year,
        "hospitals": len(hosp),
        "budget_total": budget,
        "reserve": reserve,
        "advances": tot("advances"),
        "actual": tot("actual"),
        "settlement": settlement,
        "reserve_paid": paid,
        "reserve_retained": retained,
        "band_difference": band_diff,
        "difference": budget - settlement - paid - retained - band_diff,
        "params": json.dumps(
            {
                "growth_by_level": {k: str(v) for k, v in p.growth_by_level.items()},
                "reserve_share": str(p.reserve_share),
                "advance_profile": p.advance_profile,
            },
            ensure_ascii=False,
        ),
    }


def _institutions(ws: Workspace) -> tuple[dict[str, str], dict[str, str]]:
    rows = ws.con.execute("SELECT fixmedins_code, fixmedins_name, hosp_lv FROM institutions")
    names, levels = {}, {}
    for code, name, lv in rows.fetchall():
        names[code], levels[code] = name, lv or ""
    return names, levels


def _store(ws: Workspace, year: int, hosp: list[dict], months: list[dict], summary: dict) -> None:
    con = ws.con
    tabs = (
        ("_bud_h", PAYMENT_BUDGET_HOSPITALS, hosp),
        ("_bud_m", PAYMENT_BUDGET_MONTHS, months),
        ("_bud_s", PAYMENT_BUDGET_SUMMARY, [summary]),
    )
    for name, t, rows in tabs:
        cols = t.column_names
        con.register(
            name,
            pa.Table.from_pylist(
                [{k: r.get(k) for k in cols} for r in rows], schema=t.arrow_schema()
            ),
        )
    try:
        with transaction(con):
            for name, t, _ in tabs:
                replace_rows(con, t, f"SELECT * FROM {name}", year=year)
    finally:
        for name, _, _ in tabs:
            con.unregister(name)
