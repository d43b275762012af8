"""A workspace is a directory: ``yibao.yaml`` (settings) and ``workspace.duckdb`` (all tables).

Canonical tables carry a ``_load_id`` so that every row traces back to the file it came from;
``_loads`` records each file (hash, counts, status) and ``_quarantine`` every rejected cell.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from yibao.engine.config import load_config
from yibao.policy.model import PolicyError
from yibao.privacy import PRIVATE_DIR, private_files
from yibao.refdata import area_history
from yibao.schema import SCHEMA_VERSION, TABLES
from yibao.schema.model import Table

CONFIG = "yibao.yaml"
DB = "workspace.duckdb"

LOADS_DDL = """
CREATE TABLE IF NOT EXISTS _loads (
    load_id BIGINT PRIMARY KEY,
    table_name VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_path VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    file_bytes BIGINT NOT NULL,
    file_format VARCHAR NOT NULL,
    encoding VARCHAR NOT NULL,
    rows_total BIGINT NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    ignored_headers VARCHAR,
    exit_status INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rows_already BIGINT NOT NULL DEFAULT 0,
    rows_skipped BIGINT NOT NULL DEFAULT 0,
    UNIQUE (table_name, file_sha256)
)"""
#: Seconds a second writer waits for the workspace lock (``YIBAO_LOCK_WAIT`` overrides).
LOCK_WAIT = 10.0
QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS _quarantine (
    load_id BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    row_no BIGINT NOT NULL,
    column_name VARCHAR NOT NULL,
    header VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL,
    record JSON
)"""


class WorkspaceError(Exception):
    pass


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back on any exception.

    Every step writes its year through this, so a failed or killed run leaves nothing behind."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    select_sql: str,
    *,
    year: int | None = None,
    where: str | None = None,
    params: list | None = None,
) -> None:
    """Create ``table`` from its declaration if needed, delete the year's rows (or ``where``),
    and insert ``select_sql`` by column name.  Call inside :func:`transaction`."""
    con.execute(table.ddl())
    add_new_columns(con, table)
    cond = where
    if cond is None and year is not None and table.year_column:
        cond = f'"{table.year_column}" = {int(year)}'
    if cond is not None:
        con.execute(f"DELETE FROM {table.name} WHERE {cond}")
    con.execute(f"INSERT INTO {table.name} BY NAME {select_sql}", params or [])


def _connect(db: Path, *, read_only: bool, config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """Open the database, waiting up to ``YIBAO_LOCK_WAIT`` seconds for another writer.

    Settings go in DuckDB's ``config`` rather than ``SET`` statements, so a path or a
    setting from yibao.yaml never becomes SQL text.
    """
    wait = float(os.environ.get("YIBAO_LOCK_WAIT", LOCK_WAIT))
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WorkspaceError(
                    f"{db.parent}: 无法打开工作区数据库(文件损坏或无权读取)"
                ) from None
            if time.monotonic() >= deadline:
                pid = re.search(r"PID (\d+)", str(exc))
                who = f"(进程号 {pid.group(1)})" if pid else ""
                raise WorkspaceError(
                    f"工作区 {db.parent} 正被另一个 yibao 进程{who}写入,"
                    f"等待 {wait:.0f} 秒后仍未释放;请等它结束后再运行"
                    "(可用环境变量 YIBAO_LOCK_WAIT 设置等待秒数)"
                ) from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            if "memory_limit" in str(exc) or "memory limit" in str(exc).lower():
                raise WorkspaceError(
                    f"{db.parent}: yibao.yaml 中的 memory_limit 无效(应形如 4GB)"
                ) from None
            raise


PROCEDURE_REFS = "_ref_procedure_codes"
DIAGNOSIS_REFS = "_ref_diagnosis_codes"


def ensure_procedure_refs(con: duckdb.DuckDBPyConnection) -> None:
    """ICD-9-CM-3 医保版 procedures and ICD-10 医保版 diagnoses for the ingest checks of
    claims.oprn_oprt_code and claims.dise_codg (issue 15); each made once per workspace."""
    from yibao.refdata import icd10_diagnoses, procedures

    q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    for name, codes in ((PROCEDURE_REFS, procedures), (DIAGNOSIS_REFS, icd10_diagnoses)):
        if con.execute(q, [name]).fetchone()[0]:
            continue
        con.register("_code_src", pa.table({"code": pa.array(sorted(codes()), pa.string())}))
        con.execute(f"CREATE TABLE {name} AS SELECT code FROM _code_src")
        con.unregister("_code_src")


def add_new_columns(con: duckdb.DuckDBPyConnection, t: Table) -> None:
    """Columns a later schema added (e.g. the employee fields) appear, NULL, in an older
    workspace's table, so that inserts by name keep working."""
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [t.name]
        ).fetchall()
    }
    for c in t.columns:
        if c.name not in have:
            con.execute(f'ALTER TABLE {t.name} ADD COLUMN "{c.name}" {c.sql_type}')


def table_ddl(t: Table) -> str:
    cols = ",\n    ".join(f'"{c.name}" {c.sql_type}' for c in t.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {t.name} (\n    {cols},\n    _load_id BIGINT NOT NULL,\n"
        f"    _row BIGINT NOT NULL\n)"
    )


def _relative_policy(policy: str, workspace: Path) -> str:
    """A policy file is stored relative to the workspace, so that the workspace can move."""
    p = Path(policy)
    if policy.endswith((".yaml", ".yml")) and p.is_file():
        return os.path.relpath(p.resolve(), workspace.resolve())
    return policy


def _policy_origin(policy: str) -> dict[str, str]:
    """The file's absolute path as well: a copy of the workspace alone (without the policy
    beside it) still finds it."""
    p = Path(policy)
    if policy.endswith((".yaml", ".yml")) and p.is_file():
        return {"policy_origin": str(p.resolve())}
    return {}


def is_workspace(path: Path | str) -> bool:
    return (Path(path) / CONFIG).is_file()


@dataclass
class Workspace:
    path: Path
    con: duckdb.DuckDBPyConnection
    config: dict[str, Any]
    read_only: bool = False

    @classmethod
    def create(
        cls,
        path: Path | str,
        *,
        name: str | None = None,
        policy: str = "demo-county",
        region: str | None = None,
    ) -> Workspace:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        cfg_path = path / CONFIG
        if not cfg_path.exists():
            cfg = {
                "name": name or path.name,
                "schema_version": SCHEMA_VERSION,
                "policy": _relative_policy(policy, path),
                **_policy_origin(policy),
                "region": region,
                "engine": "duckdb",
            }
            cfg_path.write_text(
                yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        return cls.open(path)

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> Workspace:
        path = Path(path)
        cfg_path = path / CONFIG
        if not cfg_path.exists():
            raise WorkspaceError(
                f"{path} 不是 yibao 工作区(缺少 {CONFIG});请先运行 yibao init {path}"
            )
        try:
            cfg = load_config(cfg_path)
        except PolicyError as exc:
            raise WorkspaceError(f"工作区设置有误: {exc}") from None
        if cfg.get("schema_version", SCHEMA_VERSION) > SCHEMA_VERSION:
            raise WorkspaceError(f"{path}: 工作区版本 {cfg['schema_version']} 比本程序新")
        # Bounded memory: DuckDB spills to the workspace's tmp/ beyond this limit.
        config = {"memory_limit": str(cfg.get("memory_limit", "4GB"))}
        if "threads" in cfg:
            config["threads"] = str(cfg["threads"])
        if not read_only:
            private_files(path, [path / CONFIG, path / DB])
            (path / "tmp").mkdir(exist_ok=True, mode=PRIVATE_DIR)
            config["temp_directory"] = str(path / "tmp")
        con = _connect(path / DB, read_only=read_only, config=config)
        ws = cls(path=path, con=con, config=cfg, read_only=read_only)
        if not read_only:
            ws._clear_tmp()  # plaintext a killed import left behind (we hold the lock now)
            ws._ensure()
            private_files(path, [path / DB])
        return ws

    def _clear_tmp(self) -> None:
        """Delete yibao's plaintext copies in tmp/ (see ``ingest.readers.TMP_PREFIX``)."""
        from yibao.ingest.readers import TMP_PREFIX

        d = self.path / "tmp"
        if d.is_dir():
            for f in d.glob(f"{TMP_PREFIX}*"):
                f.unlink(missing_ok=True)

    def _ensure(self) -> None:
        self.con.execute(LOADS_DDL)
        # Workspaces made before rows_already existed get the column (0 for old loads).
        self.con.execute(
            "ALTER TABLE _loads ADD COLUMN IF NOT EXISTS rows_already BIGINT DEFAULT 0"
        )
        # Title, blank and 合计 rows a load skipped (issue 12; 0 for older loads).
        self.con.execute(
            "ALTER TABLE _loads ADD COLUMN IF NOT EXISTS rows_skipped BIGINT DEFAULT 0"
        )
        self.con.execute(QUARANTINE_DDL)
        for t in TABLES.values():
            self.con.execute(table_ddl(t))
            add_new_columns(self.con, t)
        n = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = '_ref_area_codes'"
        ).fetchone()[0]
        if n == 0:
            codes = pa.table({"code": pa.array(sorted(area_history()), pa.string())})
            self.con.register("_area_src", codes)
            self.con.execute("CREATE TABLE _ref_area_codes AS SELECT code FROM _area_src")
            self.con.unregister("_area_src")
        ensure_procedure_refs(self.con)

    @property
    def tmpdir(self) -> Path:
        d = self.path / "tmp"
        d.mkdir(exist_ok=True, mode=PRIVATE_DIR)
        return d

    def count(self, table: str) -> int:
        # ``table`` may carry a WHERE clause (callers are code, never user input).
        return self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def close(self) -> None:
        self.con.close()
        if not self.read_only:
            self._clear_tmp()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
