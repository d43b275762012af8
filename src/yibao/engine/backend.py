"""Ibis backends.  Pipeline steps are Ibis expressions; this module decides where they run.

DuckDB (default) runs on the workspace file itself.  PySpark runs the same expressions locally
or on the cluster that yibao.yaml or the environment names (engine/spark.py): workspace tables
are handed over as partitioned Parquet, since Spark cannot read a DuckDB file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import ibis

from yibao.engine.spark import EngineUnavailable, expose, spark_session, spark_settings

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from yibao.engine.workspace import Workspace

EngineName = Literal["duckdb", "pyspark"]
ENGINES: tuple[str, ...] = ("duckdb", "pyspark")
__all__ = ["ENGINES", "EngineUnavailable", "connect_engine", "expose_to_spark", "spark_session"]


def connect_engine(engine: EngineName = "duckdb", ws: Workspace | None = None) -> BaseBackend:
    """An Ibis backend; for DuckDB on the workspace's own connection when one is given."""
    if engine == "duckdb":
        return ibis.duckdb.from_connection(ws.con) if ws is not None else ibis.duckdb.connect()
    if engine == "pyspark":
        settings = spark_settings(ws.config if ws is not None else None)
        return ibis.pyspark.connect(spark_session(settings))
    raise EngineUnavailable(f"未知的计算引擎 {engine!r}; 可选: {', '.join(ENGINES)}")


def expose_to_spark(ws: Workspace, backend: BaseBackend, tables: list[str]) -> None:
    """Hand workspace tables to Spark as Parquet by year and region, as views of the same name."""
    expose(ws, backend, tables)
