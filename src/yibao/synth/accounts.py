"""Regions, subsidy receipts, the fund ledger, budgets and survey answers of a generated year.

These tables are small (per county, level, month), so they are built from aggregates that the
claim chunks hand over; amounts are integer fen throughout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa

from yibao.finance.params import finance_params
from yibao.money import fen_exact, to_fen
from yibao.policy.loader import Policy
from yibao.refdata import area_name
from yibao.schema.codes import BUDGET_LEVELS

from .preset import SynthPreset
from .vec import yuan_str

LEVELS = BUDGET_LEVELS
INPATIENT, OUTPATIENT = "住院", "门诊"


def _fen(x: Decimal) -> int:
    return to_fen(x)


def subsidy_shares(policy: Policy, county: str, year: int) -> dict[str, Decimal]:
    """Per-person subsidy by budget level (元, exact): the finance module's sharing rules, so
    that the receipts the generator writes are exactly what `yibao finance` says is due."""
    return dict(finance_params(policy, year).county_share(county).per_person)


@dataclass
class CountyTotals:
    """What the chunks of a county add up (fen), for the ledger and the budget."""

    residents: int = 0  # 390 enrolment rows in the county (twins included)
    people: int = 0  # person records of any scheme (for 常住人口 and coverage)
    contributions: int = 0
    assisted: int = 0  # 资助参保 paid by 医疗救助
    by_month: dict[str, np.ndarray] = field(default_factory=dict)  # category → 12 sums (fen)

    def add(self, category: str, month: np.ndarray, fen: np.ndarray) -> None:
        acc = self.by_month.setdefault(category, np.zeros(12, dtype=np.int64))
        acc += _sum_by(month, fen)


def _sum_by(month: np.ndarray, fen: np.ndarray) -> np.ndarray:
    out = np.zeros(12, dtype=np.int64)
    np.add.at(out, month, fen)
    return out


def regions_table(preset: SynthPreset, policy: Policy, totals: dict[str, int]) -> pa.Table:
    """One row per county; 常住人口 so that coverage comes out near the preset's 97 %."""
    on = dt.date(preset.year, 1, 1)
    p = policy.parameters.get("financing.subsidy_sharing.county_class")
    classes = (p.at(on).value if p and p.at(on) else {}) or {}
    codes = list(totals)
    resident_pop = [round(totals[c] / preset.coverage) for c in codes]
    return pa.table(
        {
            "region_code": codes,
            "region_name": [area_name(c) or c for c in codes],
            "parent_code": [preset.prefecture] * len(codes),
            "level": ["县级"] * len(codes),
            "county_class": [classes.get(c) for c in codes],
            "registered_pop": pa.array([round(r * 1.09) for r in resident_pop], pa.int64()),
            "resident_pop": pa.array(resident_pop, pa.int64()),
        }
    )


def receipts_table(
    rng: np.random.Generator, preset: SynthPreset, policy: Policy, totals: dict[str, CountyTotals]
) -> tuple[pa.Table, list[dict]]:
    """Transfers by county × level: quarterly instalments of what is due, one level paid short.

    Central and provincial money arrives in two instalments (an advance in Q1 or Q2, the rest in
    Q3/Q4), city and county money in four; each level also books last year's settlement (清算).
    """
    y = preset.year
    rows: list[dict] = []
    truth: list[dict] = []
    pairs = [(c, lv) for c in totals for lv in LEVELS]
    shares = {c: subsidy_shares(policy, c, y) for c in totals}
    due = {(c, lv): _fen(totals[c].residents * shares[c][lv]) for c, lv in pairs}
    candidates = [p for p in pairs if due[p] > 0 and p[0] in preset.counties]
    k = int(preset.anomalies["subsidy_short"])
    short = set()
    if k and candidates:
        pick = rng.choice(len(candidates), size=min(k, len(candidates)), replace=False)
        short = {candidates[i] for i in sorted(pick)}
    doc = {"中央": "财社", "省级": "省财社", "市级": "市财社", "县级": "县财社"}
    for (c, lv), amount in due.items():
        if amount == 0:
            continue
        paid = amount
        if (c, lv) in short:
            paid = amount - amount * int(rng.integers(5, 21)) // 100
            truth.append(
                {
                    "kind": "subsidy_short",
                    "table": "subsidy_receipts",
                    "key": f"{c}|{lv}",
                    "amount_at_risk": yuan_str(amount - paid),
                    "detail": f"应到 {yuan_str(amount)} 元;实到 {yuan_str(paid)} 元",
                }
            )
        parts = (60, 40) if lv in ("中央", "省级") else (25, 25, 25, 25)
        months = (3, 9) if len(parts) == 2 else (3, 6, 9, 12)
        left = paid
        for i, (pct, m) in enumerate(zip(parts, months, strict=True)):
            amt = left if i == len(parts) - 1 else paid * pct // 100
            left -= amt
            rows.append(
                {
                    "year": y,
                    "region_code": c,
                    "budget_level": lv,
                    "amount": amt,
                    "receipt_date": dt.date(y, m, int(rng.integers(5, 26))),
                    "doc_no": f"{doc[lv]}〔{y}〕{int(rng.integers(1, 200))}号",
                    "is_settlement": "0",
                    "note": f"{y}年城乡居民医保{lv}财政补助资金",
                }
            )
        # 上年清算: a small correction, either sign, flagged.
        adj = int(rng.integers(-amount // 200, amount // 200 + 1)) if amount >= 200 else 0
        if adj:
            rows.append(
                {
                    "year": y,
                    "region_code": c,
                    "budget_level": lv,
                    "amount": adj,
                    "receipt_date": dt.date(y, 5, int(rng.integers(5, 26))),
                    "doc_no": f"{doc[lv]}〔{y}〕{int(rng.integers(200, 400))}号",
                    "is_settlement": "1",
                    "note": f"{y - 1}年度补助资金清算{'补拨' if adj > 0 else '扣回'}",
                }
            )
    return _with_money(rows, ("amount",)), truth


def ledger_table(
    rng: np.random.Generator,
    preset: SynthPreset,
    policy: Policy,
    totals: dict[str, CountyTotals],
    receipts: pa.Table,
) -> pa.Table:
    """收支两条线: income in the 财政专户 (contributions, subsidies, interest), expense from the
    支出户 (monthly payments to hospitals as settled, 大病保险 premium by quarter)."""
    y = preset.year
    on = dt.date(y, 1, 1)
    prem_p = policy.parameters.get("critical_illness.premium_per_person")
    premium = prem_p.at(on).value if prem_p and prem_p.at(on) else Decimal(0)
    rows: list[dict] = []
    n = 0

    def entry(
        c: str, d: dt.date, fund: str, account: str, direction: str, cat: str, fen: int, note: str
    ) -> None:
        nonlocal n
        if fen <= 0:
            return
        n += 1
        rows.append(
            {
                "voucher_no": f"JZ{y}{c}{n:06d}",
                "entry_date": d,
                "region_code": c,
                "fund": fund,
                "account": account,
                "direction": direction,
                "category": cat,
                "amount": fen,
                "note": note,
            }
        )

    r = receipts.to_pydict()
    for i in range(receipts.num_rows):  # tens of rows: one per transfer
        fen = fen_exact(r["amount"][i])
        # A negative 清算 (money taken back) is an outflow of the special account.
        entry(
            r["region_code"][i],
            r["receipt_date"][i],
            "居民医保",
            "财政专户",
            "收入" if fen > 0 else "支出",
            "财政补助收入" if fen > 0 else "上年财政补助清算扣回",
            abs(fen),
            r["note"][i],
        )
    for c, t in totals.items():
        # Last year's accumulated balance: about five months of this year's spending (seed 000
        # had 4.42 months), stated as the year's opening line.
        spent = sum(int(v.sum()) for k, v in t.by_month.items() if k in (INPATIENT, OUTPATIENT))
        entry(
            c,
            dt.date(y, 1, 1),
            "居民医保",
            "财政专户",
            "收入",
            "上年结余",
            spent * int(rng.integers(40, 60)) // 120,
            f"{y - 1}年末累计结余结转",
        )
        own = t.contributions - t.assisted
        entry(
            c,
            dt.date(y, 1, 15),  # collected by December, handed over by the tax bureau in January
            "居民医保",
            "财政专户",
            "收入",
            "个人缴费收入",
            own,
            f"{y}年度城乡居民医保个人缴费",
        )
        entry(
            c,
            dt.date(y, 1, 15),  # collected by December, handed over by the tax bureau in January
            "居民医保",
            "财政专户",
            "收入",
            "个人缴费收入",
            t.assisted,
            f"{y}年度医疗救助资助参保",
        )
        entry(
            c,
            dt.date(y, 1, 10),
            "医疗救助",
            "支出户",
            "支出",
            "资助参保支出",
            t.assisted,
            f"{y}年度资助困难人员参保",
        )
        for q in (3, 6, 9, 12):
            entry(
                c,
                dt.date(y, q, 21),
                "居民医保",
                "财政专户",
                "收入",
                "利息收入",
                # about 3–5 元 a year per insured person of interest on the special account
                t.residents * int(rng.integers(75, 125)),
                "专户存款利息",
            )
        prem = _fen(premium) * t.residents
        for q in (1, 4, 7, 10):
            entry(
                c,
                dt.date(y, q, 15),
                "居民医保",
                "支出户",
                "支出",
                "大病保险支出",
                prem // 4 if q != 10 else prem - 3 * (prem // 4),
                "拨付大病保险保费",
            )
        for cat, fund, label in (
            (INPATIENT, "居民医保", "住院待遇支出"),
            (OUTPATIENT, "居民医保", "门诊待遇支出"),
            ("大病", "大病保险", "大病保险赔付支出"),
            ("救助", "医疗救助", "医疗救助待遇支出"),
            ("离休", "离休统筹", "离休人员医药费支出"),
        ):
            sums = t.by_month.get(cat)
            if sums is None:
                continue
            for m in range(12):
                last = (dt.date(y, m + 2, 1) if m < 11 else dt.date(y + 1, 1, 1)) - dt.timedelta(1)
                entry(c, last, fund, "支出户", "支出", label, int(sums[m]), f"{m + 1}月结算")
    return _with_money(rows, ("amount",))


def budgets_table(preset: SynthPreset, totals: dict[str, CountyTotals]) -> pa.Table:
    """The year's budget per county: last year's pattern (this year's totals ± a few per cent)."""
    y = preset.year
    rows = []
    for c, t in totals.items():
        for cat, item in (
            (INPATIENT, "住院待遇支出"),
            (OUTPATIENT, "门诊待遇支出"),
            ("大病", "大病保险赔付支出"),
            ("救助", "医疗救助待遇支出"),
        ):
            sums = t.by_month.get(cat)
            spent = int(sums.sum()) if sums is not None else 0
            if spent == 0:
                continue
            rows.append(
                {
                    "year": y,
                    "region_code": c,
                    "project": "城乡居民基本医疗保险基金",
                    "item": item,
                    "amount": spent * 103 // 100,
                    "carry_over": 0,
                    "doc_no": f"{area_name(c) or c}财预〔{y}〕1号",
                }
            )
        # A capacity grant with money carried over from last year (seed 001's shape).
        rows.append(
            {
                "year": y,
                "region_code": c,
                "project": "医疗服务与保障能力提升补助资金",
                "item": "医保信息化建设",
                "amount": 2_000_000_00 * max(1, t.residents // 300_000) // 10,
                "carry_over": 243_440_00 * max(1, t.residents // 300_000) // 10,
                "doc_no": f"{area_name(c) or c}财社〔{y}〕8号",
            }
        )
    return _with_money(rows, ("amount", "carry_over"))


QUESTIONS = (
    ("Q1", "您对医保经办服务是否满意?"),
    ("Q2", "您对住院报销比例是否满意?"),
    ("Q3", "您是否了解城乡居民医保缴费和报销政策?"),
    ("Q4", "您对异地就医结算是否满意?"),
    ("Q5", "总体而言,您对医保工作的满意程度?"),
)
ANSWERS = ("很不满意", "不满意", "一般", "满意", "很满意")


def survey_table(rng: np.random.Generator, preset: SynthPreset, counts: dict[str, int]) -> pa.Table:
    """Answers scored 1–5; about 90 % answer 满意 or better (seed 000: 满意度 90 %)."""
    codes, resp = [], []
    for c, n in counts.items():
        k = max(20, round(n * preset.survey_respondents_per_100k / 100_000))
        codes += [c] * k
        resp += list(range(len(resp) + 1, len(resp) + k + 1))
    m = len(resp)
    q = len(QUESTIONS)
    score = rng.choice(5, size=(m, q), p=[0.01, 0.03, 0.06, 0.45, 0.45]) + 1
    day = rng.integers(0, 30, m)
    d0 = np.datetime64(f"{preset.year}-11-01")
    return pa.table(
        {
            "survey_id": [f"MYD{preset.year}"] * (m * q),
            "respondent_id": np.repeat([f"R{r:06d}" for r in resp], q).tolist(),
            "question_id": [qid for qid, _ in QUESTIONS] * m,
            "question": [text for _, text in QUESTIONS] * m,
            "answer": np.asarray(ANSWERS, dtype=object)[score.ravel() - 1].tolist(),
            "score": pa.array(score.ravel(), pa.int64()),
            "region_code": np.repeat(codes, q).tolist(),
            "response_date": pa.array(np.repeat(d0 + day, q), pa.date32()),
        }
    )


def _with_money(rows: list[dict], money_cols: tuple[str, ...]) -> pa.Table:
    """Rows with integer-fen money columns → Arrow with DECIMAL(18,2)."""
    from .vec import money

    if not rows:
        return pa.table({})
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    out = {}
    for k, v in cols.items():
        out[k] = money(np.array(v, dtype=np.int64)) if k in money_cols else pa.array(v)
    return pa.table(out)
