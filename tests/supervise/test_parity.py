"""DuckDB and PySpark find the same findings, to the fen and to the evidence text."""

from __future__ import annotations

import pytest

from yibao.supervise import run_supervision

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]
YEAR = 2021


def test_every_rule_agrees_on_duckdb_and_pyspark(data, scenario, make_ws):
    ws = make_ws(scenario(data))
    ws.con.execute("CREATE TABLE settlements AS SELECT 2021 AS year")
    ws.con.execute(
        "CREATE TABLE settle_discrepancies AS SELECT 'H0S1' AS setl_id, 2021 AS year, "
        "'H0' AS fixmedins_code, 'H0P1' AS psn_no, '21' AS med_type, "
        + ", ".join(
            f"1.00::DECIMAL(18,2) AS recorded_{f}, 0.50::DECIMAL(18,2) AS computed_{f}, "
            f"0.50::DECIMAL(18,2) AS diff_{f}"
            for f in ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt")
        )
    )
    results = {}
    for engine in ("duckdb", "pyspark"):
        out = run_supervision(ws, YEAR, engine=engine)
        assert not [r for r in out.runs if r.skipped]
        results[engine] = (
            ws.con.execute(
                "SELECT * EXCLUDE (engine, run_at) FROM supervise_findings ORDER BY rank"
            ).fetchall(),
            ws.con.execute("SELECT * FROM supervise_hospital_summary ORDER BY ALL").fetchall(),
        )
    duck, spark = results["duckdb"], results["pyspark"]
    assert duck[0] == spark[0]
    assert duck[1] == spark[1] and duck[1]  # the hospital summary too
    assert len({r[1] for r in duck[0]}) >= 11
