"""The chain's own interface: the default is the trace, the payments-only output holds exactly
the payments, ``keep`` columns ride along, and claim files without the optional columns
(``emp_retired``, ``acct_pay``: older resident exports lack them) settle as if they were empty.

Found by mutation testing: these mutants of settle/chain.py survived the oracle."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import ibis
import pyarrow as pa
import pytest

from oracle.settle_ref import settle_reference
from oracle.strategies import POLICIES, to_table
from yibao.engine.backend import connect_engine, from_arrow
from yibao.settle.chain import _ci_f, settle_chain
from yibao.settle.params import build_periods, chain_periods

PAYMENTS = ["hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "psn_part_amt"]


def _claims() -> list[dict]:
    base = {
        "insutype": "390",
        "hi_setl_lv": "2",
        "offsite_flag": "0",
        "psn_idet_type": "低保对象",
        "setl_time": datetime(2021, 3, 1, 9),
        "emp_retired": None,
        "acct_pay": None,
    }
    rows = [
        ("S1", "P1", "21", 30_000),
        ("S2", "P1", "14", 2_000),
        ("S3", "P2", "11", 300),
        ("S4", "P3", "21", 8_000),
    ]
    return [
        base
        | {
            "setl_id": s,
            "psn_no": p,
            "med_type": m,
            "medfee_sumamt": Decimal(a),
            "inscp_scp_amt": Decimal(a),
        }
        | ({"insutype": "310", "emp_retired": "1"} if p == "P3" else {})
        for s, p, m, a in rows
    ]


def _settle(table: pa.Table, **kw) -> pa.Table:
    spec, periods = build_periods(POLICIES["demo-county"])
    con = connect_engine("duckdb")
    claims = from_arrow(con, "chain_contract_claims", table)
    starts = periods.column("p_start").to_pylist()
    expr = settle_chain(claims, chain_periods(periods), starts, spec, **kw)
    return con.to_pyarrow(expr).sort_by("setl_id")


def test_the_default_is_the_trace():
    got = _settle(to_table(_claims()))
    assert got.column_names == _settle(to_table(_claims()), trace=True).column_names
    assert {"deductible_fen", "ratio_ppm", "basic_cum_fen", "acct_pay_fen"} <= set(got.column_names)


def test_payments_only_holds_exactly_the_ids_and_the_payments():
    got = _settle(to_table(_claims()), trace=False)
    assert got.column_names == ["setl_id", "psn_no", "year", *PAYMENTS]
    assert got.column("psn_no").to_pylist() == ["P1", "P1", "P2", "P3"]
    assert got.column("year").to_pylist() == [2021] * 4


@pytest.mark.parametrize("trace", [True, False])
def test_keep_columns_ride_along(trace):
    got = _settle(to_table(_claims()), trace=trace, keep=("med_type", "insutype"))
    assert got.column("med_type").to_pylist() == ["21", "14", "11", "21"]
    assert got.column("insutype").to_pylist() == ["390", "390", "390", "310"]


@pytest.mark.parametrize("trace", [True, False])
def test_a_file_without_the_optional_columns_settles_as_if_they_were_empty(trace):
    full = to_table([c | {"emp_retired": None} for c in _claims()])
    bare = full.drop_columns(["emp_retired", "acct_pay"])
    want = _settle(full, trace=trace)
    assert _settle(bare, trace=trace).to_pylist() == want.to_pylist()
    paid = {r["setl_id"]: r["hifp_pay"] for r in want.to_pylist()}
    assert paid["S1"] > 0 and paid["S4"] > 0  # something was settled, both schemes


@pytest.mark.parametrize(
    ("c", "rate", "want"),
    [
        # 500,001 fen at 99.9999 %: 500,000.499999 fen rounds down; one ppm·fen more would
        # round up (a 大病 sum that starts at anything but 0 is a fen off only here).
        (500_001, 999_999, 500_000),
        (500_000, 999_999, 500_000),  # 499,999.5 → half up
        (0, 999_999, 0),
    ],
)
def test_the_critical_illness_sum_starts_at_zero_and_rounds_half_up_once(c, rate, want):
    t = ibis.memtable(
        {"c": [c], "ci_ded": [0], "ci_poor_ded": [0], "ci_bump": [0], "ci_t0": [0], "ci_r0": [rate]}
    )
    expr = t.select(f=_ci_f(t.c, t, SimpleNamespace(n_bands=1), ibis.literal(False)))
    assert connect_engine("duckdb").to_pyarrow(expr).column("f").to_pylist() == [want]


def test_the_large_expense_subsidy_stops_at_its_own_limit():
    """An employee past the annual cap and then past the 大额 limit (demo-county: 200,000 元
    and 400,000 元 more): worked by hand, and the oracle agrees."""
    claim = {
        "psn_no": "E1",
        "insutype": "310",
        "med_type": "21",
        "hi_setl_lv": "1",
        "offsite_flag": "0",
        "psn_idet_type": "普通人员",
        "emp_retired": "0",
        "acct_pay": None,
        "medfee_sumamt": Decimal(400_000),
        "inscp_scp_amt": Decimal(400_000),
    }
    claims = [
        claim | {"setl_id": "X1", "setl_time": datetime(2021, 3, 1, 9)},
        claim | {"setl_id": "X2", "setl_time": datetime(2021, 9, 1, 9)},
    ]
    # Each: (400,000 − 300) × 90 % = 359,730 of basic; cumulative 359,730 then 719,460.
    # X1: 200,000 统筹, 159,730 大额; X2: 0 统筹, 600,000 − 359,730 = 240,270 大额 (limit hit).
    got = {r["setl_id"]: r for r in _settle(to_table(claims), trace=False).to_pylist()}
    assert (got["X1"]["hifp_pay"], got["X1"]["hifob_pay"]) == (Decimal(200_000), Decimal(159_730))
    assert (got["X2"]["hifp_pay"], got["X2"]["hifob_pay"]) == (Decimal(0), Decimal(240_270))
    assert got["X2"]["psn_part_amt"] == Decimal(400_000 - 240_270)
    ref = settle_reference(claims, POLICIES["demo-county"])
    for sid, row in got.items():
        assert {k: ref[sid][k] for k in PAYMENTS} == {k: row[k] for k in PAYMENTS}
