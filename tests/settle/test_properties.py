"""Chain properties (hypothesis): parts add up, F telescopes, order and reruns change nothing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.money import round_fen
from yibao.policy import load_policy
from yibao.settle.run import _run_chain

POLICY = load_policy("demo-county")
IDETS = ["普通人员", "普通人员", "特困人员", "低保对象", "返贫致贫人口"]
SCHEMA = pa.schema(
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


def make_claims(seed: int, n: int, people: int) -> pa.Table:
    rng = random.Random(seed)
    idet = {p: rng.choice(IDETS) for p in range(people)}
    # A third of the people are employees (310): mixed 390/310 claims in one chain.
    employee = {p: p % 3 == 0 for p in range(people)}
    retired = {p: rng.choice("01") for p in range(people)}
    rows = []
    for i in range(n):
        p = rng.randrange(people)
        med = rng.choice(["11", "14", "21", "21"])
        inscp = rng.choice(
            [rng.randint(0, 50_000), rng.randint(0, 5_000_000), rng.randint(0, 40_000_000)]
        )
        medfee = inscp + rng.randint(0, inscp // 3 + 1)
        # Ties in time are allowed: setl_id breaks them.
        when = datetime(2021, 1, 1) + timedelta(
            days=rng.randrange(0, 700), hours=rng.choice([8, 8, 9])
        )
        rows.append(
            {
                "setl_id": f"S{i:05d}",
                "psn_no": f"P{p}",
                "insutype": "310" if employee[p] else ("340" if rng.random() < 0.05 else "390"),
                "med_type": med,
                "hi_setl_lv": rng.choice("123"),
                "offsite_flag": "1" if rng.random() < 0.1 else "0",
                "psn_idet_type": idet[p],
                "setl_time": when,
                "medfee_sumamt": Decimal(medfee) / 100,
                "inscp_scp_amt": Decimal(inscp) / 100,
                "emp_retired": retired[p] if employee[p] else None,
                "acct_pay": Decimal(rng.randint(0, 20_000)) / 100 if employee[p] else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def by_id(result: pa.Table) -> dict[str, dict]:
    return {r["setl_id"]: r for r in result.to_pylist()}


def f_total(base: Decimal, poor: bool) -> Decimal:
    """round(F(total base)) straight from the policy's scale, in Python."""
    on = datetime(2021, 6, 1).date()
    scale = POLICY.value("critical_illness.scale", on)
    ded = POLICY.value(
        "critical_illness.poor_deductible" if poor else "critical_illness.deductible", on
    )
    bump = POLICY.value("critical_illness.poor_rate_increase", on) if poor else Decimal(0)
    total = Decimal(0)
    br = scale.brackets
    for k, b in enumerate(br):
        hi = br[k + 1].threshold if k + 1 < len(br) else None
        lo = max(b.threshold, ded)
        top = base if hi is None else min(base, hi)
        if top > lo:
            total += (top - lo) * (b.rate + bump)
    return round_fen(total)


cases = st.tuples(st.integers(0, 10**6), st.integers(1, 60), st.integers(1, 6))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_parts_add_up_and_critical_illness_telescopes(case):
    seed, n, people = case
    claims = make_claims(seed, n, people)
    res = by_id(_run_chain(claims, POLICY, "duckdb"))
    src = {r["setl_id"]: r for r in claims.to_pylist()}
    years: dict[tuple, list] = {}
    for sid, r in res.items():
        c = src[sid]
        parts = r["hifp_pay"] + r["hifob_pay"] + r["hifmi_pay"] + r["maf_pay"] + r["psn_part_amt"]
        assert parts == c["medfee_sumamt"]
        assert r["hifp_pay"] >= 0 and r["hifob_pay"] >= 0
        assert r["hifp_pay"] + r["hifob_pay"] <= c["inscp_scp_amt"]
        assert r["hifmi_pay"] >= 0 and r["maf_pay"] >= 0
        assert r["psn_part_amt"] >= c["medfee_sumamt"] - c["inscp_scp_amt"]
        years.setdefault((c["psn_no"], c["setl_time"].year), []).append(r)
    for rows in years.values():
        base = sum((Decimal(r["ci_base_fen"]) / 100 for r in rows), Decimal(0))
        poor = rows[0]["poor"]
        assert sum((r["hifmi_pay"] for r in rows), Decimal(0)) == f_total(base, poor)
        # Two-sided: a year's payments are the capped sum of the per-claim amounts, not just
        # under the cap (lowering a cap must fail here).
        maf_raw = sum((Decimal(r["maf_raw_fen"]) / 100 for r in rows), Decimal(0))
        assert sum((r["maf_pay"] for r in rows), Decimal(0)) == min(maf_raw, Decimal(60000))
        for kinds, cap in ((("I", "C"), Decimal(150000)), (("G",), Decimal(400))):
            pool = [r for r in rows if r["kind"] in kinds]
            raw = sum((Decimal(r["basic_raw_fen"]) / 100 for r in pool), Decimal(0))
            assert sum((r["hifp_pay"] for r in pool), Decimal(0)) == min(raw, cap)
        # Employees: 200,000 basic, then 大额 up to 600,000 in all; general outpatient
        # round(F(Σ inscp)) capped at 2,000 (the status is constant per person here).
        emp = [r for r in rows if r["kind"] in ("EI", "EC")]
        raw = sum((Decimal(r["basic_raw_fen"]) / 100 for r in emp), Decimal(0))
        assert sum((r["hifp_pay"] for r in emp), Decimal(0)) == min(raw, Decimal(200000))
        paid = sum((r["hifp_pay"] + r["hifob_pay"] for r in emp), Decimal(0))
        assert paid == min(raw, Decimal(600000))
        gen = [r for r in rows if r["kind"] == "EG"]
        if gen:
            total = sum((src[r["setl_id"]]["inscp_scp_amt"] for r in gen), Decimal(0))
            rate = (
                Decimal("0.70") if src[gen[0]["setl_id"]]["emp_retired"] == "1" else Decimal("0.60")
            )
            f = round_fen(max(total - 200, Decimal(0)) * rate)
            assert sum((r["hifp_pay"] for r in gen), Decimal(0)) == min(f, Decimal(2000))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases, st.integers(0, 10**6))
def test_shuffling_rows_and_running_twice_change_nothing(case, shuffle_seed):
    seed, n, people = case
    claims = make_claims(seed, n, people)
    first = by_id(_run_chain(claims, POLICY, "duckdb"))
    order = list(range(claims.num_rows))
    random.Random(shuffle_seed).shuffle(order)
    shuffled = claims.take(pa.array(order, pa.int64()))
    assert by_id(_run_chain(shuffled, POLICY, "duckdb")) == first
    assert by_id(_run_chain(claims, POLICY, "duckdb")) == first
