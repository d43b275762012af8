"""Ibis backends.  Pipeline steps are Ibis expressions; this module decides where they run.

DuckDB (default) runs on the workspace file itself.  PySpark runs the same expressions locally
or on the cluster that yibao.yaml or the environment names (engine/spark.py): workspace tables
are handed over as partitioned Parquet, since Spark cannot read a DuckDB file.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from yibao.engine.spark import EngineUnavailable, expose, spark_session, spark_settings

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from yibao.engine.workspace import Workspace

EngineName = Literal["duckdb", "pyspark"]
ENGINES: tuple[str, ...] = ("duckdb", "pyspark")
__all__ = [
    "ENGINES",
    "EngineUnavailable",
    "connect_engine",
    "expose_to_spark",
    "from_arrow",
    "spark_session",
    "unknown_engine",
]
_SPARK_TMP: list[Path] = []


def connect_engine(engine: EngineName = "duckdb", ws: Workspace | None = None) -> BaseBackend:
    """An Ibis backend; for DuckDB on the workspace's own connection when one is given."""
    if engine == "duckdb":
        return ibis.duckdb.from_connection(ws.con) if ws is not None else ibis.duckdb.connect()
    if engine == "pyspark":
        settings = spark_settings(ws.config if ws is not None else None)
        return ibis.pyspark.connect(spark_session(settings))
    raise EngineUnavailable(unknown_engine(engine))


def unknown_engine(name: object) -> str:
    """The one wording of a bad engine name, for the API, the pipeline and every command."""
    return f"未知的计算引擎「{name}」;可选 {'、'.join(ENGINES)}"


def expose_to_spark(ws: Workspace, backend: BaseBackend, tables: list[str]) -> None:
    """Hand workspace tables to Spark as Parquet by year and region, as views of the same name."""
    expose(ws, backend, tables)


def from_arrow(backend: BaseBackend, name: str, table: pa.Table) -> ibis.Table:
    """An Arrow table as an engine table, NULLs kept.

    Ibis hands an in-memory table to PySpark through pandas, which turns a NULL string into
    "NaN" and fails on a NULL decimal; a Parquet file keeps both, so Spark reads one.
    """
    if backend.name != "pyspark":
        return backend.create_table(name, table, overwrite=True)
    if not _SPARK_TMP:
        _SPARK_TMP.append(Path(tempfile.mkdtemp(prefix="yibao-spark-")))
        atexit.register(shutil.rmtree, _SPARK_TMP[0], True)
    path = _SPARK_TMP[0] / f"{name}-{len(list(_SPARK_TMP[0].iterdir()))}.parquet"
    pq.write_table(table, path)
    return backend.read_parquet(str(path), table_name=name)
