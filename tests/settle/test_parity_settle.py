"""DuckDB and PySpark settle the same claims to the same fen."""

from __future__ import annotations

import pytest
from test_properties import POLICY, by_id, make_claims

from yibao.settle.run import _run_chain

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def test_duckdb_and_pyspark_agree_to_the_fen():
    claims = make_claims(seed=42, n=400, people=25)
    duck = by_id(_run_chain(claims, POLICY, "duckdb"))
    spark = by_id(_run_chain(claims, POLICY, "pyspark"))
    assert duck.keys() == spark.keys() and len(duck) == 400
    for sid, d in duck.items():
        s = spark[sid]
        for f in ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt", "ci_cum_fen", "maf_cum_fen"):
            assert d[f] == s[f], (sid, f, d[f], s[f])
