"""Properties of ingest: row order does not matter, and a second import changes nothing."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CLAIM_HEADER_CN, TODAY, claim_row, write_csv
from yibao.engine import Workspace
from yibao.ingest import ingest_file

BAD = [
    {"医疗类别": "99"},
    {"符合政策范围金额": "999999.00"},
    {"医疗费总额": "x"},
    {"结算时间": "2021-02-30"},
    {"险种类型": ""},
]


def _state(ws: Workspace) -> tuple:
    claims = ws.con.execute("SELECT * EXCLUDE (_load_id, _row) FROM claims ORDER BY setl_id")
    quarantine = ws.con.execute(
        "SELECT json_extract_string(record, '$.结算ID'), column_name, reason FROM _quarantine "
        "ORDER BY 1, 2, 3"
    )
    return tuple(claims.fetchall()), tuple(quarantine.fetchall())


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 25),
    bad=st.lists(st.tuples(st.integers(0, 24), st.sampled_from(BAD)), max_size=5),
    seed=st.integers(0, 10**6),
)
def test_shuffled_files_load_the_same_rows_and_reimport_is_a_no_op(tmp_path_factory, n, bad, seed):
    rows = [claim_row(i + 1) for i in range(n)]
    for idx, over in bad:
        if idx < n:
            rows[idx] = claim_row(idx + 1, **over)
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    states = []
    for name, data in (("a", rows), ("b", shuffled)):
        d = tmp_path_factory.mktemp(name)
        f = write_csv(d / "c.csv", CLAIM_HEADER_CN, data)
        with Workspace.create(d / "ws") as ws:
            first = ingest_file(ws, f, "claims", today=TODAY)
            state = _state(ws)
            again = ingest_file(ws, f, "claims", today=TODAY)
            assert again.already_loaded and _state(ws) == state
            assert first.rows_accepted + first.rows_quarantined == n
            states.append(state)
    assert states[0] == states[1]
