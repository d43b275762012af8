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
    assert len(next(iter(duck.values()))) == 28  # every output column, trace included
    for sid, d in duck.items():
        s = spark[sid]
        assert d.keys() == s.keys()
        diff = {f: (d[f], s[f]) for f in d if d[f] != s[f]}
        assert not diff, (sid, diff)


def test_workspace_settlement_is_the_same_on_both_engines(tmp_path):
    from typer.testing import CliRunner

    from yibao.cli import app
    from yibao.demo import sample_dir
    from yibao.engine import Workspace

    runner = CliRunner()
    ws = tmp_path / "ws"
    src = sample_dir()
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    assert (
        runner.invoke(
            app, ["ingest", str(ws), str(src / "claims_gbk.csv"), "--table", "claims"]
        ).exit_code
        == 1
    )  # bad rows quarantined
    results = {}
    for engine in ("duckdb", "pyspark"):
        res = runner.invoke(app, ["settle", str(ws), "--year", "2021", "--engine", engine])
        assert res.exit_code == 0, res.output
        with Workspace.open(ws) as w:
            results[engine] = (
                # every stored column but the time of the run
                w.con.execute(
                    "SELECT * EXCLUDE (settled_at) FROM settlements ORDER BY setl_id"
                ).fetchall(),
                w.con.execute("SELECT * FROM settle_discrepancies ORDER BY 1").fetchall(),
                w.con.execute("SELECT * FROM settle_discrepancy_summary ORDER BY ALL").fetchall(),
            )
    assert results["duckdb"] == results["pyspark"]
    assert len(results["duckdb"][0]) == 80 and len(results["duckdb"][1]) == 1


def test_a_pyspark_year_stores_what_duckdb_stores_and_records_its_chain(wsd):
    """settle_workspace's PySpark branch on the hand-made workspace (conftest): the same stored
    rows, and the run record names the engine that settled."""
    from yibao.pipeline import provenance
    from yibao.settle.run import settle_workspace

    def stored() -> list[list[tuple]]:
        return [
            wsd.con.execute(f"SELECT *{ex} FROM {t} ORDER BY ALL").fetchall()
            for t, ex in (
                ("settlements", " EXCLUDE (settled_at)"),
                ("settle_discrepancies", ""),
                ("settle_discrepancy_summary", ""),
            )
        ]

    assert settle_workspace(wsd, 2021, policy_ref="demo-county").ok
    duck = stored()
    with provenance.capture() as log:
        out = settle_workspace(wsd, 2021, policy_ref="demo-county", engine="pyspark")
    assert (out.ok, out.rows) == (True, 4)
    assert stored() == duck and len(duck[0]) == 4 and len(duck[1]) == 2
    assert [(t, label) for t, label, _ in log.entries] == [
        ("settlements", "人员身份类别(结算单,否则参保登记、人员登记)"),
        ("settlements", "一站式结算链(PySpark)"),
        ("settle_discrepancies", "记录支付与复核结果比较"),
    ]
    assert "hifp_pay" in log.entries[1][2]
