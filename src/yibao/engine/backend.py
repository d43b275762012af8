"""Ibis backends.  Pipeline steps are Ibis expressions; this module decides where they run.

DuckDB (default) runs on the workspace file itself.  PySpark runs the same expressions in local
mode: workspace tables are handed over as Parquet, since Spark cannot read a DuckDB file.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from typing import TYPE_CHECKING, Literal

import ibis

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from yibao.engine.workspace import Workspace

EngineName = Literal["duckdb", "pyspark"]
ENGINES: tuple[str, ...] = ("duckdb", "pyspark")


class EngineUnavailable(RuntimeError):
    pass


@cache
def spark_session():  # noqa: ANN201 - pyspark is optional
    """One local Spark session per process (start-up costs ~5 s, so it is shared)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailable(
            "未安装 PySpark: pip install 'yibao[spark]' (需要 Java 17)"
        ) from exc
    session = (
        SparkSession.builder.master("local[2]")
        .appName("yibao")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "4g")
        # Managed tables go to a private temp dir, never into the user's working directory.
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="yibao-spark-"))
        # Validation unions many small checks: whole-stage codegen would exceed the JVM's
        # 64 KB method limit and fall back noisily, and many tiny partitions cost more than
        # they save on a laptop-sized local run.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect_engine(engine: EngineName = "duckdb", ws: Workspace | None = None) -> BaseBackend:
    """An Ibis backend; for DuckDB on the workspace's own connection when one is given."""
    if engine == "duckdb":
        return ibis.duckdb.from_connection(ws.con) if ws is not None else ibis.duckdb.connect()
    if engine == "pyspark":
        return ibis.pyspark.connect(spark_session())
    raise EngineUnavailable(f"未知的计算引擎 {engine!r}; 可选: {', '.join(ENGINES)}")


def expose_to_spark(ws: Workspace, backend: BaseBackend, tables: list[str]) -> None:
    """Export workspace tables to Parquet and register them as Spark views of the same name."""
    out = ws.path / "parquet"
    out.mkdir(exist_ok=True)
    for name in tables:
        # Spark ignores files whose names start with "_" or ".", so never name one that way.
        target = (
            out / f"t{name}.parquet" if name.startswith(("_", ".")) else out / f"{name}.parquet"
        )
        ws.con.execute(f"COPY {name} TO '{target}' (FORMAT parquet)")
        backend.read_parquet(str(target), table_name=name)
