"""generic-2020 and self-2020 on DuckDB and PySpark: every indicator and line agree exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluate.conftest import YEAR
from yibao.engine import Workspace
from yibao.evaluate.frameworks import load_framework
from yibao.evaluate.run import evaluate
from yibao.indicators.compute import compute
from yibao.pipeline.context import resolve_policy

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _values(vals) -> list[tuple]:  # noqa: ANN001
    return sorted(
        (
            v.code,
            v.region_code or "",
            v.value,
            v.unit,
            v.numerator,
            v.denominator,
            tuple(sorted(v.extra.items())),
        )
        for v in vals
    )


def test_indicators_and_frameworks_agree_on_duckdb_and_pyspark(gen_ws: Path):
    with Workspace.open(gen_ws) as ws:
        policy = resolve_policy(ws, None)
        duck = compute(ws, YEAR, engine="duckdb", policy=policy)
        spark = compute(ws, YEAR, engine="pyspark", policy=policy)
        assert _values(duck[0]) == _values(spark[0])
        assert len({v.code for v in duck[0]}) >= 20  # every data-backed indicator ran
        for name in ("self-2020", "generic-2020"):
            fw = load_framework(name)
            a = evaluate(fw, YEAR, ws=ws, engine="duckdb", computed=duck)
            b = evaluate(fw, YEAR, ws=ws, engine="pyspark", computed=spark)
            assert [x.as_json() for x in a.lines] == [x.as_json() for x in b.lines], name
            assert (a.total, a.grade) == (b.total, b.grade)
            data = [x for x in a.lines if x.line and x.line.indicator.data_backed]
            assert data and all(x.source == "query" for x in data), name
