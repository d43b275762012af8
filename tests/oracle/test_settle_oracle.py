"""The settlement chain agrees with the independent reference, every column, to the fen."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle.settle_ref import settle_reference
from oracle.strategies import POLICIES, claim_sets, to_table
from yibao.settle.run import _run_chain

BOUNDED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_same(chain_rows: list[dict], ref: dict[str, dict]) -> None:
    assert len(chain_rows) == len(ref)
    for row in chain_rows:
        want = ref[row["setl_id"]]
        assert row.keys() == want.keys()
        diff = {k: (row[k], want[k]) for k in row if row[k] != want[k]}
        assert not diff, (row["setl_id"], diff)


@pytest.mark.parametrize("name", sorted(POLICIES))
@settings(BOUNDED, max_examples=30)
@given(claims=claim_sets())
def test_chain_on_duckdb_equals_reference(name, claims):
    policy = POLICIES[name]
    got = _run_chain(to_table(claims), policy, "duckdb").to_pylist()
    assert_same(got, settle_reference(claims, policy))


PAYMENTS = ("setl_id", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "psn_part_amt")


@pytest.mark.parametrize("name", sorted(POLICIES))
@settings(BOUNDED, max_examples=30)
@given(claims=claim_sets())
def test_payments_only_chain_equals_reference(name, claims):
    """trace=False partitions by pool when the 大病 base telescopes: same payments."""
    policy = POLICIES[name]
    got = _run_chain(to_table(claims), policy, "duckdb", trace=False).to_pylist()
    ref = settle_reference(claims, policy)
    assert len(got) == len(ref)
    for row in got:
        want = {k: ref[row["setl_id"]][k] for k in PAYMENTS}
        assert {k: row[k] for k in PAYMENTS} == want, row["setl_id"]


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@settings(BOUNDED, max_examples=4)
@given(name=st.sampled_from(sorted(POLICIES)), claims=claim_sets(max_claims=15))
def test_chain_on_pyspark_equals_reference(name, claims):
    policy = POLICIES[name]
    got = _run_chain(to_table(claims), policy, "pyspark").to_pylist()
    assert_same(got, settle_reference(claims, policy))
