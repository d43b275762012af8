"""`yibao run --engine pyspark` stores exactly what the DuckDB run stores, table by table.

A small generated region goes through the CLI twice, once per engine.  Every table of the two
workspaces is compared row for row (money as Decimal, to the fen); only the columns that say
when or on which engine a row was written may differ, and they must say pyspark.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from yibao.engine import Workspace
from yibao.pipeline.steps import STEPS
from yibao.schema import DERIVED
from yibao.synth.run import synthesize

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

PRESET, SCALE, SEED, YEAR, REGION = "yiyang-2019", 0.001, 5, 2019, "430900"
#: Columns that record when, how long or on which engine; everything else must be equal.
VOLATILE = {"engine", "seconds", "loaded_at", "started_at", "ended_at", "settled_at", "run_at",
            "entered_at"}  # fmt: skip
#: The SQL text of a query differs between engines by nature (the label names the engine).
VOLATILE_BY_TABLE = {"_run_queries": {"sql", "label"}}


def _run(tmp: Path, data: Path, engine: str) -> Path:
    ws = tmp / engine
    Workspace.create(ws, policy=str(data / "policy.yaml"), region=REGION).close()
    proc = subprocess.run(
        [sys.executable, "-m", "yibao", "run", str(ws), "--year", str(YEAR), "--from", str(data),
         "--engine", engine],
        capture_output=True, text=True, env={**os.environ, "YIBAO_LOCK_WAIT": "60"},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    return ws


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("spark-run")
    data = tmp / "data"
    synthesize(PRESET, data, scale=SCALE, seed=SEED)
    return _run(tmp, data, "duckdb"), _run(tmp, data, "pyspark")


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def test_every_stored_table_is_the_same_on_both_engines(runs: tuple[Path, Path]):
    duck = duckdb.connect(str(runs[0] / "workspace.duckdb"), read_only=True)
    spark = duckdb.connect(str(runs[1] / "workspace.duckdb"), read_only=True)
    names = _tables(duck)
    assert names == _tables(spark)
    produced = {t.name for t in DERIVED.values() if t.produced_by in {s.name for s in STEPS}}
    missing = produced - set(names)
    assert not missing, f"steps of yibao run wrote no {missing}"
    compared = 0
    for name in names:
        cols = [r[0] for r in duck.execute(f'DESCRIBE "{name}"').fetchall()]
        assert cols == [r[0] for r in spark.execute(f'DESCRIBE "{name}"').fetchall()], name
        keep = [c for c in cols if c not in VOLATILE | VOLATILE_BY_TABLE.get(name, set())]
        sql = f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in keep)} FROM "{name}"'
        a, b = duck.execute(sql).fetchall(), spark.execute(sql).fetchall()
        key = lambda r: tuple((x is None, str(type(x)), str(x)) for x in r)  # noqa: E731
        assert len(a) == len(b), name
        assert sorted(a, key=key) == sorted(b, key=key), f"{name} differs between engines"
        compared += len(a)
    rows = {n: duck.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in produced}
    assert rows["settlements"] > 1000 and rows["supervise_findings"] > 0, rows
    assert rows["finance_subsidy"] > 0 and rows["evaluate_results"] == 1, rows
    assert compared > 10_000


def test_the_pyspark_run_really_ran_on_spark_from_partitioned_parquet(runs: tuple[Path, Path]):
    spark = duckdb.connect(str(runs[1] / "workspace.duckdb"), read_only=True)
    engines = spark.execute("SELECT step, engine, status FROM _runs ORDER BY run_id").fetchall()
    assert engines == [(s.name, "pyspark", "ok") for s in STEPS]
    used = spark.execute("SELECT DISTINCT engine FROM indicator_values").fetchall()
    assert used == [("pyspark",)]
    pq = runs[1] / "parquet"
    assert list((pq / "claims").glob(f"year={YEAR}/region={REGION}/*.parquet"))
    assert list((pq / "regions").glob(f"region={REGION}/*.parquet"))
    assert list((pq / "settlements").glob(f"year={YEAR}/region={REGION}/*.parquet"))
    assert not (runs[0] / "parquet").exists()  # DuckDB reads its own file
