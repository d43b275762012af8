"""Findings do not depend on the order in which rows were loaded."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.supervise import run_supervision

YEAR = 2021


def _findings(ws) -> list[tuple]:
    run_supervision(ws, YEAR)
    return ws.con.execute(
        "SELECT rank, rule, key, amount, score, evidence FROM supervise_findings ORDER BY rank"
    ).fetchall()


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_findings_are_invariant_to_row_order(seed, data, scenario, make_ws):
    base = scenario(type(data)())
    expected = _findings(make_ws(base, name=f"a{seed}"))
    shuffled = scenario(type(data)())
    rng = random.Random(seed)
    for rows in (shuffled.persons, shuffled.enrolments, shuffled.institutions, shuffled.claims):
        rng.shuffle(rows)
    got = _findings(make_ws(shuffled, name=f"b{seed}"))
    assert got == expected
    rules = {r[1] for r in expected}
    assert {
        "overlapping_stay",
        "split_admission",
        "bed_hanging",
        "restricted_diagnosis",
        "claim_after_death",
        "deceased_enrolled",
        "duplicate_enrolment_region",
        "duplicate_enrolment_insutype",
        "hospital_cost_outlier",
        "offsite_check",
    } <= rules
