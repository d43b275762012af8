"""Issue 11: fuzzed hostile files through ingest (bounded; ``make fuzz`` runs the long one).

No crash; exit 0, 1 or 2 only; every accepted row equals its source row after the documented
normalisation; every other row is quarantined with a reason; nothing is counted twice.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import Figures, check_ingest, make_rows


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=False,
)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 120))
def test_fuzzed_files_are_loaded_exactly_or_quarantined_with_a_reason(tmp_path_factory, seed, n):
    rng = random.Random(seed)
    fig = Figures()
    check_ingest(tmp_path_factory.mktemp("fuzz"), make_rows(rng, n), rng, fig)
    assert fig.ok, fig.problems[:5]
