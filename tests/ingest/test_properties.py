"""Properties of ingest: row order does not matter, and a second import changes nothing."""

from __future__ import annotations

import random
import re

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
    # A repeated key's reason names the row of its first occurrence, which moves with the order.
    rows = [(k, c, re.sub(r"第\d+行", "第N行", why)) for k, c, why in quarantine.fetchall()]
    return tuple(claims.fetchall()), tuple(sorted(rows))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 25),
    bad=st.lists(st.tuples(st.integers(0, 24), st.sampled_from(BAD)), max_size=5),
    dups=st.lists(st.integers(0, 24), max_size=3),
    encoding=st.sampled_from(["utf-8", "gbk", "utf-8-sig", "gb18030"]),
    seed=st.integers(0, 10**6),
)
def test_shuffled_files_load_the_same_rows_and_reimport_is_a_no_op(
    tmp_path_factory, n, bad, dups, encoding, seed
):
    rows = [claim_row(i + 1) for i in range(n)]
    for idx, over in bad:
        if idx < n:
            rows[idx] = claim_row(idx + 1, **over)
    rows += [list(rows[i]) for i in dups if i < n]  # repeated keys inside the file
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    states = []
    for name, data in (("a", rows), ("b", shuffled)):
        d = tmp_path_factory.mktemp(name)
        f = write_csv(d / "c.csv", CLAIM_HEADER_CN, data, encoding=encoding)
        with Workspace.create(d / "ws") as ws:
            first = ingest_file(ws, f, "claims", today=TODAY)
            state = _state(ws)
            again = ingest_file(ws, f, "claims", today=TODAY)
            assert again.already_loaded and _state(ws) == state
            assert first.rows_accepted + first.rows_quarantined == len(rows)
            ids = [r[0] for r in ws.con.execute("SELECT setl_id FROM claims").fetchall()]
            assert len(ids) == len(set(ids))  # keys stay unique
            # a good row given twice is loaded once, its copy quarantined
            spoilt = {idx for idx, _ in bad if idx < n}
            assert {rows[i][0] for i in dups if i < n and i not in spoilt} <= set(ids)
            assert first.rows_quarantined >= len([i for i in dups if i < n])
            states.append(state)
    assert states[0] == states[1]
