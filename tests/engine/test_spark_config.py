"""Where Spark runs comes from yibao.yaml or the environment; tables go as partitioned Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from yibao.engine import Workspace
from yibao.engine.spark import (
    EngineUnavailable,
    SparkSettings,
    export_parquet,
    parquet_root,
    spark_settings,
)
from yibao.engine.workspace import WorkspaceError


def _ws(tmp_path: Path, extra: str, name: str = "w", region: str | None = None) -> Path:
    Workspace.create(tmp_path / name, region=region).close()
    cfg = tmp_path / name / "yibao.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return tmp_path / name


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ("spark: local\n", "spark", "映射"),
        ("spark:\n  master: 'local[2]; rm -rf /'\n", "spark.master", "spark://"),
        ("spark:\n  remote: http://x:15002\n", "spark.remote", "sc://"),
        ("spark:\n  executors: 4\n", "spark.executors", "未知的设置项"),
        ("spark:\n  conf:\n    executor.memory: 8g\n", "spark.conf", "spark.*"),
        (
            "spark:\n  master: spark://h:7077\n  remote: sc://h:15002\n",
            "spark",
            "只能给一个",
        ),
        (
            "spark:\n  conf:\n    spark.sql.session.timeZone: Asia/Shanghai\n",
            "spark.conf.spark.sql.session.timeZone",
            "UTC",
        ),
    ],
)
def test_bad_spark_settings_are_refused_naming_the_key(
    tmp_path: Path, extra: str, key: str, words: str
):
    path = _ws(tmp_path, extra)
    with pytest.raises(WorkspaceError) as exc:
        Workspace.open(path)
    text = str(exc.value)
    assert "yibao.yaml" in text and key in text and words in text, text


def test_settings_from_yaml_and_the_environment_overrides(tmp_path: Path):
    extra = (
        "spark:\n  master: spark://10.0.0.5:7077\n  parquet_dir: /mnt/share/yibao\n"
        "  parquet_url: hdfs://nn/yibao\n  conf:\n    spark.executor.memory: 8g\n"
        "    spark.dynamicAllocation.enabled: true\n"
    )
    with Workspace.open(_ws(tmp_path, extra)) as ws:
        s = spark_settings(ws.config, env={})
        assert s == SparkSettings(
            master="spark://10.0.0.5:7077",
            conf=(("spark.dynamicAllocation.enabled", "true"), ("spark.executor.memory", "8g")),
            parquet_dir="/mnt/share/yibao",
            parquet_url="hdfs://nn/yibao",
        )
        assert not s.local
        connect = spark_settings(ws.config, env={"SPARK_REMOTE": "sc://gw:15002"})
        assert (connect.master, connect.remote) == (None, "sc://gw:15002")
        other = spark_settings(ws.config, env={"YIBAO_SPARK_MASTER": "local[1]"})
        assert other.master == "local[1]" and other.local
        moved = spark_settings(ws.config, env={"YIBAO_SPARK_PARQUET_DIR": "/data/pq"})
        assert moved.parquet_dir == "/data/pq" and moved.master == "spark://10.0.0.5:7077"
    assert spark_settings(None, env={}).local  # the default is local mode
    with pytest.raises(EngineUnavailable, match="只能给一个"):
        spark_settings(
            None, env={"YIBAO_SPARK_MASTER": "spark://h:7077", "SPARK_REMOTE": "sc://h:1"}
        )


def test_tables_are_written_by_year_and_region_without_touching_other_regions(tmp_path: Path):
    shared = tmp_path / "shared"
    pq = f"spark:\n  parquet_dir: {shared}\n"
    for name, region in (("a", "430900"), ("b", "430100")):
        with Workspace.open(_ws(tmp_path, pq, name, region)) as ws:
            root, url = parquet_root(ws, spark_settings(ws.config, env={}))
            assert root == shared and url == str(shared)
            # Reference tables (no year) by region only; claims by year of setl_time.
            pattern, cols = export_parquet(ws, "regions", root)
            assert pattern == f"region={region}/*.parquet" and "region_code" in cols
            pattern, _ = export_parquet(ws, "claims", root)  # empty: its schema still goes
            assert pattern == f"year=*/region={region}/*.parquet"
    # Both regions sit side by side; re-exporting one replaces only its own directories.
    assert (shared / "regions" / "region=430900").is_dir()
    assert (shared / "regions" / "region=430100").is_dir()
    assert (shared / "claims" / "year=__HIVE_DEFAULT_PARTITION__" / "region=430100").is_dir()
    with Workspace.open(tmp_path / "a") as ws:
        ws.con.execute(
            "INSERT INTO enrolments (psn_no, year, insutype, region_code, _load_id, _row) "
            "SELECT 'P' || i, 2019 + i % 2, '390', '430921', 1, i FROM range(5) r(i)"
        )
        export_parquet(ws, "enrolments", shared)
        export_parquet(ws, "enrolments", shared)  # twice: same files, nothing doubled
        own = ws.con.execute("SELECT typeof(year) FROM enrolments LIMIT 1").fetchone()[0]
    files = sorted(
        p.relative_to(shared).as_posix() for p in shared.rglob("enrolments/**/*.parquet")
    )
    assert files == [
        "enrolments/year=2019/region=430900/data_0.parquet",
        "enrolments/year=2020/region=430900/data_0.parquet",
    ]
    con = duckdb.connect()
    typed = con.execute(
        f"SELECT typeof(year), typeof(region), count(*) FROM read_parquet('{shared}/enrolments/"
        "*/*/*.parquet', hive_partitioning = false) GROUP BY ALL"
    ).fetchall()
    assert typed == [(own, "VARCHAR", 5)]  # the columns' own types travel in the files


def test_a_spark_connect_url_without_its_client_says_what_to_install():
    from yibao.engine.spark import spark_session

    with pytest.raises(EngineUnavailable) as exc:
        spark_session(SparkSettings(remote="sc://127.0.0.1:1"))
    assert "sc://127.0.0.1:1" in str(exc.value)
