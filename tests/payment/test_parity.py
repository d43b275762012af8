"""Catalogue, DIP and budget control give the same rows on DuckDB and PySpark, to the fen."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.indicators.compute import compute
from yibao.payment.step import CatalogueStep, PaymentStep
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step

from .conftest import YEARS, synth_workspace

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

QUERIES = {
    "catalogue": "SELECT * EXCLUDE (catalogue_id) FROM payment_dip_catalogue ORDER BY group_code",
    "info": "SELECT * EXCLUDE (built_at) FROM payment_dip_catalogue_info",
    "cases": "SELECT * FROM payment_dip_cases ORDER BY setl_id",
    "dip": "SELECT * FROM payment_dip_hospitals ORDER BY fixmedins_code",
    "dip_months": "SELECT * FROM payment_dip_months ORDER BY fixmedins_code, month",
    "dip_summary": "SELECT * EXCLUDE (catalogue) FROM payment_dip_summary",
    "budget": "SELECT * FROM payment_budget_hospitals ORDER BY fixmedins_code",
    "months": "SELECT * FROM payment_budget_months ORDER BY fixmedins_code, month",
}

INDICATORS = ["dip_case_coverage", "dip_fund_share", "budget_use_progress"]


def test_payment_agrees_on_duckdb_and_pyspark(tmp_path: Path) -> None:
    _, ws = synth_workspace(tmp_path, scale=0.01, seed=3)
    results = {}
    with ws:
        for engine in ("duckdb", "pyspark"):
            ctx = build_context(ws, YEARS[-1], engine=engine)
            run_step(ctx, CatalogueStep(list(YEARS)))
            run_step(ctx, PaymentStep("dip"))
            run_step(ctx, PaymentStep("budget"))
            results[engine] = {k: ws.con.execute(q).fetchall() for k, q in QUERIES.items()}
            values, notes = compute(ws, YEARS[-1], INDICATORS, engine=engine)
            assert not notes
            results[engine]["indicators"] = sorted(
                (v.code, v.region_code or "", v.value, v.numerator, v.denominator) for v in values
            )
    assert len(results["duckdb"]["indicators"]) >= 2 * len(INDICATORS)
    for k in [*QUERIES, "indicators"]:
        assert results["duckdb"][k], k
        assert results["duckdb"][k] == results["pyspark"][k], k
