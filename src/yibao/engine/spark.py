"""PySpark for a province: where the session runs and how workspace tables reach it (issue 17).

A session is local (``local[2]``) unless ``yibao.yaml`` (``spark:``) or the environment names a
cluster master (``spark://…``, ``yarn``, ``k8s://…``) or a Spark Connect URL (``sc://…``).
Workspace tables are handed over as Parquet partitioned by year and region::

    PARQUET_DIR/<table>/year=<Y>/region=<R>/data_0.parquet     (tables with a year)
    PARQUET_DIR/<table>/region=<R>/data_0.parquet              (reference tables)

``region`` is the workspace's 统筹区 (``region`` in yibao.yaml), so the cities of a province can
export into one shared directory without touching each other's files, and a province-wide job
reads ``PARQUET_DIR/<table>`` whole.  A step of one workspace reads only its own region's files.
The partition columns are written into the files too (DuckDB ``WRITE_PARTITION_COLUMNS``), so a
reader keeps each column's type instead of Spark's guess from the directory name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yibao.engine.sql import sql_ident, sql_literal

if TYPE_CHECKING:
    from yibao.engine.workspace import Workspace

LOCAL_MASTER = "local[2]"
#: Settings yibao relies on for DuckDB parity; a cluster's own configuration may not change them.
PINNED = {
    "spark.sql.session.timeZone": "UTC",
    # Validation unions many small checks: whole-stage codegen would exceed the JVM's 64 KB
    # method limit and fall back noisily.
    "spark.sql.codegen.wholeStage": "false",
}
#: Local mode on a laptop-sized machine: few partitions, no UI.
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "4g",
    "spark.sql.adaptive.enabled": "true",
    "spark.default.parallelism": "2",
    "spark.ui.showConsoleProgress": "false",
}
ENV_MASTER, ENV_REMOTE = "YIBAO_SPARK_MASTER", "SPARK_REMOTE"
ENV_PARQUET_DIR, ENV_PARQUET_URL = "YIBAO_SPARK_PARQUET_DIR", "YIBAO_SPARK_PARQUET_URL"
#: Region directory when a workspace names none (a single-region workspace).
NO_REGION = "000000"


class EngineUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs: a master or a Connect URL (neither: local), and extra configuration.

    ``parquet_dir`` is where yibao writes the tables (a path mounted on this machine and on
    every node of the cluster); ``parquet_url`` is the same directory as the cluster names it
    (``hdfs://…``, ``file:///mnt/…``) when that differs.
    """

    master: str | None = None
    remote: str | None = None
    conf: tuple[tuple[str, str], ...] = ()
    parquet_dir: str | None = None
    parquet_url: str | None = None

    @property
    def local(self) -> bool:
        return self.remote is None and (self.master or LOCAL_MASTER).startswith("local")


def spark_settings(
    config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> SparkSettings:
    """Settings from yibao.yaml's ``spark:`` section, overridden by the environment."""
    env = os.environ if env is None else env
    sec = dict((config or {}).get("spark") or {})
    master, remote = sec.get("master"), sec.get("remote")
    if env.get(ENV_REMOTE) or env.get(ENV_MASTER):  # the environment names the cluster whole
        master, remote = env.get(ENV_MASTER) or None, env.get(ENV_REMOTE) or None
    if master and remote:
        raise EngineUnavailable(
            f"Spark 的 master({master})与 Spark Connect 地址({remote})只能给一个"
        )
    conf = tuple(sorted((str(k), _conf_text(v)) for k, v in (sec.get("conf") or {}).items()))
    return SparkSettings(
        master=master,
        remote=remote,
        conf=conf,
        parquet_dir=env.get(ENV_PARQUET_DIR) or sec.get("parquet_dir"),
        parquet_url=env.get(ENV_PARQUET_URL) or sec.get("parquet_url"),
    )


def _conf_text(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@cache
def spark_session(settings: SparkSettings = SparkSettings()):  # noqa: ANN201, B008 - optional dep
    """One session per process and settings (start-up costs ~5 s locally, so it is shared)."""
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    if settings.local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailable(
            "未安装 PySpark: pip install 'yibao[spark]' (需要 Java 17)"
        ) from exc
    builder = SparkSession.builder.appName("yibao")
    if settings.remote:
        builder = builder.remote(settings.remote)
    else:
        builder = builder.master(settings.master or LOCAL_MASTER)
    conf = dict(LOCAL_CONF) if settings.local else {}
    if not settings.remote:
        # Managed tables go to a private temp dir, never into the user's working directory.
        conf["spark.sql.warehouse.dir"] = tempfile.mkdtemp(prefix="yibao-spark-")
    conf.update(dict(settings.conf))
    conf.update(PINNED)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j / grpc errors: say where we tried to connect
        where = settings.remote or settings.master or LOCAL_MASTER
        hint = ";请先 pip install 'pyspark[connect]'" if "NOT_INSTALLED" in str(exc) else ""
        raise EngineUnavailable(f"无法启动或连接 Spark({where}):{exc}{hint}") from None
    if not settings.remote:
        session.sparkContext.setLogLevel("ERROR")
    return session


def workspace_region(ws: Workspace) -> str:
    """The region directory of a workspace: ``region`` in yibao.yaml, else ``000000``."""
    region = str(ws.config.get("region") or NO_REGION)
    if not region.isdigit():  # yibao.yaml is validated; this keeps paths safe regardless
        raise EngineUnavailable(f"工作区的区划代码 {region!r} 无效")
    return region


#: Date columns that give a row's year when a table has no year column (claims and the step
#: inputs made from them, the ledger, the survey).
YEAR_DATES = ("setl_time", "entry_date", "response_date")


def _year_expr(name: str, cols: list[str]) -> str | None:
    """The SQL giving a row's year (None: the table has no year, e.g. reference tables)."""
    from yibao.schema import DERIVED

    if "year" in cols:
        return '"year"'
    if name in DERIVED and DERIVED[name].year_column:
        return sql_ident(DERIVED[name].year_column)
    date = next((c for c in YEAR_DATES if c in cols), None)
    return f"year({sql_ident(date)})" if date else None


def _dir_name(name: str) -> str:
    # Spark ignores files whose names start with "_" or ".", so never name one that way.
    return f"t{name}" if name.startswith(("_", ".")) else name


def export_parquet(ws: Workspace, name: str, root: Path) -> tuple[str, list[str]]:
    """Write one table (or TEMP table/view) of the workspace under ``root``, partitioned.

    Only this workspace's region is replaced.  Returns the glob of its files (relative to the
    table's directory) and the table's columns, in order."""
    region = workspace_region(ws)
    cols = [r[0] for r in ws.con.execute(f"DESCRIBE {sql_ident(name)}").fetchall()]
    table_dir = root / _dir_name(name)
    year = _year_expr(name, cols)
    for old in [*table_dir.glob(f"*/region={region}"), table_dir / f"region={region}"]:
        shutil.rmtree(old, ignore_errors=True)
    table_dir.mkdir(parents=True, exist_ok=True)
    picks = [sql_ident(c) for c in cols]
    parts = ["region"]
    if year is not None:
        parts.insert(0, "year")
        if year != '"year"':
            picks.append(f"{year} AS year")
    if "region" in cols:
        raise EngineUnavailable(f"表 {name} 已有 region 列,无法按区划分区")
    picks.append(f"{sql_literal(region)} AS region")
    select = f"SELECT {', '.join(picks)} FROM {sql_ident(name)}"
    pattern = f"year=*/region={region}/*.parquet" if year else f"region={region}/*.parquet"
    if not ws.con.execute(f"SELECT count(*) > 0 FROM {sql_ident(name)}").fetchone()[0]:
        # An empty table still has a schema: one file in Hive's directory for a NULL year.
        leaf = table_dir / ("year=__HIVE_DEFAULT_PARTITION__" if year else "") / f"region={region}"
        leaf.mkdir(parents=True, exist_ok=True)
        ws.con.execute(
            f"COPY ({select}) TO {sql_literal(str(leaf / 'data_0.parquet'))} (FORMAT parquet)"
        )
        return pattern, cols
    ws.con.execute(
        f"COPY ({select}) TO {sql_literal(str(table_dir))} (FORMAT parquet, "
        f"PARTITION_BY ({', '.join(parts)}), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE)"
    )
    return pattern, cols


def parquet_root(ws: Workspace, settings: SparkSettings) -> tuple[Path, str]:
    """(where yibao writes, how Spark names it)."""
    root = Path(settings.parquet_dir) if settings.parquet_dir else ws.path / "parquet"
    root.mkdir(parents=True, exist_ok=True)
    url = (settings.parquet_url or str(root)).rstrip("/")
    return root, url


def expose(ws: Workspace, backend: Any, tables: list[str]) -> None:
    """Export workspace tables and register each as a Spark view of the same name.

    The view reads this region's files only, and exactly the table's columns (the partition
    columns a table does not have are dropped again)."""
    settings = spark_settings(ws.config)
    root, url = parquet_root(ws, settings)
    session = backend._session
    for name in tables:
        pattern, cols = export_parquet(ws, name, root)
        df = session.read.parquet(f"{url}/{_dir_name(name)}/{pattern}")
        df.select(*[f"`{c}`" for c in cols]).createOrReplaceTempView(name)
