"""Hypothesis strategies for claims, skewed to the hard cases of settlement.

Caps and limits hit exactly, zero and one-fen amounts, half-fen products, identical
timestamps (setl_id decides), 31 December / 1 January, the day a mid-year policy change
starts, poor categories, retired cadres, off-site stays.  Amounts are drawn as integer fen,
so every value is exact.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from hypothesis import strategies as st

from yibao.policy import Policy, load_policy

POLICY_DIR = Path(__file__).parent / "policies"
POLICIES = {
    "demo-county": load_policy("demo-county"),
    "mid-year": load_policy(POLICY_DIR / "mid-year.yaml"),
    "ci-inpatient-only": load_policy(POLICY_DIR / "ci-inpatient-only.yaml"),
}


def resident_only(policy: Policy) -> Policy:
    """``policy`` without its employee rules (as most county funds publish them)."""
    kept = {n: p for n, p in policy.parameters.items() if not n.startswith("employee.")}
    return dataclasses.replace(policy, parameters=kept)


#: The batch test's wider set (one chain run each, so cheap): every parameter changing on
#: 1 July (each one then comes from its period, none is a constant), and a resident-only
#: fund (no employee rules: the chain's resident-only branches).
BATCH_POLICIES = POLICIES | {
    "all-change": load_policy(POLICY_DIR / "all-change.yaml"),
    "resident-only": resident_only(POLICIES["demo-county"]),
}
IDETS = ["普通人员", "特困人员", "低保对象", "返贫致贫人口", "普通人员"]
CLAIM_SCHEMA = pa.schema(
    [
        ("setl_id", pa.string()),
        ("psn_no", pa.string()),
        ("insutype", pa.string()),
        ("med_type", pa.string()),
        ("hi_setl_lv", pa.string()),
        ("offsite_flag", pa.string()),
        ("psn_idet_type", pa.string()),
        ("setl_time", pa.timestamp("us")),
        ("medfee_sumamt", pa.decimal128(18, 2)),
        ("inscp_scp_amt", pa.decimal128(18, 2)),
        ("emp_retired", pa.string()),
        ("acct_pay", pa.decimal128(18, 2)),
    ]
)
#: Fen amounts where something happens under demo-county: deductibles (200/500/800/1,000),
#: the outpatient limit exactly (800 × 50 % = 400), the basic cap exactly (level 2:
#: 500 + 187,500 at 80 % = 150,000), 大病 thresholds, half fen (0.01 × 50 %, 0.03 × 50 %, …).
HARD_FEN = [
    0,
    1,
    2,
    3,
    5,
    15,
    25,
    99,
    101,
    20_000,
    50_000,
    80_000,
    100_000,
    40_000,
    60_000,
    79_999,
    80_001,
    18_800_000,
    18_799_999,
    18_800_001,
    16_686_667,
    21_428_572,
    15_000_000,
    1_200_000,
    600_000,
    5_000_000,
    10_000_000,
    20_000_000,
    23_000_000,
    26_666_667,
    3_333_333,
    1_234_567,
]
HARD_TIMES = [
    datetime(2021, 1, 1, 0, 0, 0),
    datetime(2021, 3, 1, 9, 0, 0),
    datetime(2021, 3, 1, 9, 0, 0),
    datetime(2021, 6, 30, 23, 59, 59),
    datetime(2021, 7, 1, 0, 0, 0),
    datetime(2021, 12, 31, 23, 59, 59),
    datetime(2022, 1, 1, 0, 0, 0),
    datetime(2022, 12, 31, 23, 59, 59),
]

fen_amounts = st.one_of(
    st.sampled_from(HARD_FEN),
    st.integers(0, 200_000),
    st.integers(0, 40_000_000),
)
times = st.one_of(
    st.sampled_from(HARD_TIMES),
    st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2022, 12, 31, 23, 59, 59)),
).map(lambda t: t.replace(microsecond=0))


@st.composite
def claim_sets(draw: st.DrawFn, max_claims: int = 25, max_people: int = 4) -> list[dict]:
    """Claims of a few people; ids are a random permutation so id order ≠ drawing order."""
    people = draw(st.integers(1, max_people))
    idet = [draw(st.sampled_from(IDETS)) for _ in range(people)]
    # Mixed 390/310: most people are in one scheme; a claim may still switch (a person can
    # move between schemes within a year, and the pools must stay apart).
    scheme = [draw(st.sampled_from(["390", "310"])) for _ in range(people)]
    retired = [draw(st.sampled_from([None, "0", "1", "1"])) for _ in range(people)]
    n = draw(st.integers(1, max_claims))
    ids = draw(st.permutations(range(n)))
    shared_time = draw(times)
    claims = []
    for k in range(n):
        p = draw(st.integers(0, people - 1))
        inscp = draw(fen_amounts)
        extra = draw(st.one_of(st.just(0), st.integers(0, inscp // 2 + 1), st.sampled_from([1, 5])))
        when = shared_time if draw(st.integers(0, 3)) == 0 else draw(times)
        claims.append(
            {
                "setl_id": f"S{ids[k]:03d}",
                "psn_no": f"P{p}",
                "insutype": draw(st.sampled_from([scheme[p]] * 8 + ["340", "310"])),
                "med_type": draw(st.sampled_from(["11", "11", "14", "21", "21"])),
                "hi_setl_lv": draw(st.sampled_from("123")),
                "offsite_flag": draw(st.sampled_from("0001")),
                "psn_idet_type": idet[p],
                "setl_time": when,
                "medfee_sumamt": Decimal(inscp + extra) / 100,
                "inscp_scp_amt": Decimal(inscp) / 100,
                # 在职/退休 may change within a year (retirement): each claim uses its own.
                "emp_retired": retired[p]
                if draw(st.integers(0, 5))
                else draw(st.sampled_from("01")),
                "acct_pay": _acct(draw(st.sampled_from([None, 0, 1, inscp + extra, 2_000_000]))),
            }
        )
    return claims


def for_policy(claims: list[dict], policy: Policy) -> list[dict]:
    """Claims the policy can settle: where it rules no employee scheme, 310 claims become 390
    (the chain refuses an unruled scheme before it settles anything)."""
    if "employee.insutypes" in policy.parameters:
        return claims
    return [{**c, "insutype": "390"} if c["insutype"] == "310" else c for c in claims]


def _acct(v: int | None) -> Decimal | None:
    """A recorded account payment (fen → 元); sometimes more than the personal part."""
    return None if v is None else Decimal(v) / 100


def to_table(claims: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(claims, schema=CLAIM_SCHEMA)
