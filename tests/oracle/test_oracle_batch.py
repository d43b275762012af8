"""Many drawn claim sets in one chain run: the oracle's comparison at a few seconds a policy.

The per-example oracle tests pay the chain's compile and start-up once per claim set (about
1.5 s).  Here the sets are re-keyed apart (a set prefix on ``setl_id`` and ``psn_no``, which
keeps each person's id order) and settled together, so one run checks hundreds of persons.
It is the fast kill test of ``make mutate`` and a wider sample for ``make test``.
Deterministic (derandomised, no database), so a mutant is killed or not, every time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from oracle.settle_ref import settle_reference
from oracle.strategies import BATCH_POLICIES, claim_sets, for_policy, to_table
from oracle.test_settle_oracle import PAYMENTS, assert_same
from yibao.settle.run import _run_chain

SETS = 200
COLLECT = settings(
    deadline=None,
    max_examples=SETS,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@functools.cache
def drawn_sets() -> tuple[list[dict], ...]:
    """SETS claim sets drawn by the oracle's strategy (one example each, so each stays small)."""
    out: list[list[dict]] = []

    @COLLECT
    @given(claims=claim_sets())
    def collect(claims: list[dict]) -> None:
        out.append(claims)

    collect()
    return tuple(out)


def rekey(sets: Iterable[list[dict]]) -> list[dict]:
    """One table of claims from many sets: set k's ids get the prefix ``Bk.``."""
    return [
        {**c, "setl_id": f"B{k:03d}.{c['setl_id']}", "psn_no": f"B{k:03d}.{c['psn_no']}"}
        for k, claims in enumerate(sets)
        for c in claims
    ]


def test_rekey_keeps_each_person_apart_and_in_id_order():
    a = [{"setl_id": "S001", "psn_no": "P0"}, {"setl_id": "S000", "psn_no": "P0"}]
    got = rekey([a, a])
    assert [c["setl_id"] for c in got] == ["B000.S001", "B000.S000", "B001.S001", "B001.S000"]
    assert len({c["psn_no"] for c in got}) == 2
    assert sorted(c["setl_id"] for c in got[:2]) == ["B000.S000", "B000.S001"]


def test_the_batch_holds_the_hard_cases():
    """The draw really reaches ties in time, both schemes and several persons."""
    claims = rekey(drawn_sets())
    assert len(drawn_sets()) >= SETS * 0.9
    times = [(c["psn_no"], c["setl_time"]) for c in claims]
    assert len(set(times)) < len(times)
    assert {"390", "310"} <= {c["insutype"] for c in claims}


@pytest.mark.parametrize("name", sorted(BATCH_POLICIES))
def test_batch_chain_equals_reference(name):
    policy = BATCH_POLICIES[name]
    claims = for_policy(rekey(drawn_sets()), policy)
    ref = settle_reference(claims, policy)
    assert_same(_run_chain(to_table(claims), policy, "duckdb").to_pylist(), ref)
    got = _run_chain(to_table(claims), policy, "duckdb", trace=False).to_pylist()
    assert len(got) == len(ref)
    for row in got:
        want = {k: ref[row["setl_id"]][k] for k in PAYMENTS}
        assert {k: row[k] for k in PAYMENTS} == want, row["setl_id"]
