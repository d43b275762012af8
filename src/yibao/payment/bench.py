"""`yibao bench payment`: a generated region over three years → catalogue, DIP, budget control.

Never part of `make test`.  Generation and ingest are timed apart from the payment steps; the
steps run in this process through `run_step`, so the peak RSS includes DuckDB's own memory.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from pathlib import Path


def bench_payment(
    preset: str = "yiyang-2019", scale: float = 1.0, engine: str = "duckdb", seed: int = 1
) -> dict:
    from yibao.engine import Workspace
    from yibao.ingest import ingest_file
    from yibao.payment.step import CatalogueStep, PaymentStep
    from yibao.pipeline.context import build_context
    from yibao.pipeline.runs import run_step
    from yibao.synth.run import synthesize

    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-payment-"))
    seconds: dict[str, float] = {}
    try:
        t = time.perf_counter()
        gen = synthesize(preset, tmp / "gen", scale=scale, seed=seed, fmt="parquet", years=3)
        seconds["synth"] = time.perf_counter() - t
        year = int(gen.manifest["year"])
        years = [year - 2, year - 1, year]
        with Workspace.create(tmp / "ws", policy=str(tmp / "gen" / "policy.yaml")):
            pass
        with Workspace.open(tmp / "ws") as ws:
            t = time.perf_counter()
            for table in ("regions", "persons", "institutions", "claims"):
                ingest_file(ws, tmp / "gen" / f"{table}.parquet", table)
            for y in years[:-1]:
                ingest_file(ws, tmp / "gen" / f"claims_{y}.parquet", "claims")
            seconds["ingest"] = time.perf_counter() - t
            claims = ws.count("claims")
            ctx = build_context(ws, year, engine=engine)
            for name, step in (
                ("build_catalogue", CatalogueStep(years)),
                ("dip", PaymentStep("dip")),
                ("budget", PaymentStep("budget")),
            ):
                t = time.perf_counter()
                run_step(ctx, step)
                seconds[name] = time.perf_counter() - t
            cases = ws.count("payment_dip_cases")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "benchmark": "payment",
        "preset": preset,
        "scale": scale,
        "years": years,
        "engine": engine,
        "claims_all_years": claims,
        "dip_cases": cases,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "payment_seconds": round(
            seconds["build_catalogue"] + seconds["dip"] + seconds["budget"], 2
        ),
        "peak_rss_mb": round(peak_kb / 1024),
    }
