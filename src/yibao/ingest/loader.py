"""Load one export file into a workspace table: all or nothing, idempotent, with quarantine."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir

from yibao.engine.sql import sql_ident, sql_literal
from yibao.engine.workspace import (
    DIAGNOSIS_REFS,
    PROCEDURE_REFS,
    Workspace,
    ensure_procedure_refs,
)
from yibao.ingest.headers import HeaderMap, map_headers, suggestion_text
from yibao.ingest.readers import FileRejected, Staged, stage_file
from yibao.ingest.validate import (
    ALREADY,
    ROW,
    Refs,
    accepted_rows,
    check,
    prepare,
    problem_columns,
)
from yibao.schema import get_table
from yibao.schema.model import Table

EXIT_OK, EXIT_QUARANTINED, EXIT_REJECTED = 0, 1, 2
log = logging.getLogger(__name__)


def _run(con, sql: str, params: list | None = None):  # noqa: ANN001, ANN202
    """Execute and log the time taken (``YIBAO_LOG=DEBUG`` shows where an import spends it:
    wall and CPU seconds, the latter the better guide on a shared machine)."""
    t0, c0 = time.perf_counter(), time.process_time()
    res = con.execute(sql, params or [])
    log.debug(
        "%.2fs (CPU %.2fs) %s",
        time.perf_counter() - t0,
        time.process_time() - c0,
        sql[:100].replace("\n", " "),
    )
    return res


@dataclass
class IngestResult:
    file: str
    table: str
    exit_status: int
    load_id: int | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_already: int = 0  # identical to rows loaded before (overlapping export): skipped
    already_loaded: bool = False
    message: str = ""
    ignored_headers: list[str] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)  # reason → rows, top ones
    #: Rows that are not data, skipped without quarantine: title rows above the header,
    #: blank rows, 合计/小计/总计 rows.
    title_rows: list[str] = field(default_factory=list)
    rows_blank: int = 0
    rows_totals: int = 0
    #: Dropped header → "「入院日期」是否指 入院时间(adm_time)?"
    header_hints: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def ingest_file(
    ws: Workspace,
    path: Path | str,
    table_name: str,
    *,
    today: date | None = None,
    step: Callable[[str], None] | None = None,
) -> IngestResult:
    """Validate and append one file; see the exit statuses in ``yibao ingest --help``.

    ``step`` is told the name of each stage as it starts, for progress display.
    """
    path = Path(path)
    try:
        table = get_table(table_name)
    except KeyError as exc:
        return IngestResult(str(path), table_name, EXIT_REJECTED, message=str(exc.args[0]))
    if not path.is_file():
        return IngestResult(str(path), table.name, EXIT_REJECTED, message=f"文件不存在: {path}")
    digest = file_sha256(path)
    prior = ws.con.execute(
        "SELECT load_id, rows_total, rows_accepted, rows_quarantined, exit_status, loaded_at "
        "FROM _loads WHERE table_name = ? AND file_sha256 = ?",
        [table.name, digest],
    ).fetchone()
    if prior:
        lid, total, acc, quar, status, at = prior
        return IngestResult(
            str(path),
            table.name,
            status,
            load_id=lid,
            rows_total=total,
            rows_accepted=acc,
            rows_quarantined=quar,
            already_loaded=True,
            message=f"该文件已于 {at:%Y-%m-%d %H:%M} 导入(批次 {lid}),内容相同,本次未做任何改动",
        )
    con = ws.con
    step = step or (lambda _: None)
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM _loads").fetchone()[0]
    stage = f"_stage_{load_id}"
    try:
        # Staged and checked outside the transaction: DuckDB scans a table created inside one
        # (transaction-local storage) on a single core.  Only the writes need the transaction.
        checked = _check(ws, path, table, stage, today or date.today(), step)
        con.execute("BEGIN TRANSACTION")
        try:
            result = _write(ws, path, table, digest, checked, load_id, step)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return result
    except FileRejected as exc:
        msg = str(exc)
        if not msg.startswith(path.name):
            msg = f"{path.name}: {msg}"
        return IngestResult(str(path), table.name, EXIT_REJECTED, message=msg + ";文件未导入")
    finally:
        drop_stage(con, stage, ws.tmpdir)


def drop_stage(con: duckdb.DuckDBPyConnection, stage: str, tmpdir: Path | None = None) -> None:
    """Drop the temporary tables, views and files of one import, whether it ended or failed."""
    like = f"{stage}\\_%"
    for kind, catalog in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
        names = con.execute(
            f"SELECT {'view_name' if kind == 'VIEW' else 'table_name'} AS n FROM {catalog} "
            "WHERE temporary AND (n = ? OR n LIKE ? ESCAPE '\\')",
            [stage, like],
        ).fetchall()
        for (name,) in names:
            con.execute(f"DROP {kind} IF EXISTS {sql_ident(name)}")
    if tmpdir is not None:
        prepared_file(con, tmpdir, stage).unlink(missing_ok=True)


@dataclass(frozen=True)
class NonData:
    """Rows of a file that are not records: counted and reported, never quarantined."""

    blank: int = 0
    totals: int = 0


#: A cell that marks a total or subtotal row: 合计, 小计, 总计 (also 合 计, 合计:, 本页合计).
TOTAL_RE = r"^\s*(本页|本月|本年|累计)?\s*(合\s*计|小\s*计|总\s*计)\s*[:：]?\s*$"


def drop_non_data_rows(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    n_cols: int,
    key_positions: list[int],
    mapped: list[int] | None = None,
) -> NonData:
    """Delete blank rows and 合计/小计/总计 rows from the staged text, set-based.

    A blank row has nothing in any column that maps to the table (a note such as "制表人:…"
    under the 序号 column counts as blank).  A total row has a cell reading 合计 (or 小计, 总计)
    and every key cell empty or that word: a record whose key is filled is never taken for a
    total, whatever else it says.
    """
    if n_cols == 0:
        return NonData()
    # Empty after trim(): only a cell starting with a space needs the trim (3 s → 0.3 s of CPU
    # per million rows of twelve columns).
    blank = " AND ".join(
        f"(c{i} IS NULL OR c{i} = '' OR (c{i} LIKE ' %' AND trim(c{i}) = ''))"
        for i in (mapped if mapped else range(n_cols))
    )
    # The word stands in a key column or one of the first three (序号, 结算ID, …); LIKE first, so
    # that the regex runs only on the few cells containing 计.
    where_word = sorted({*key_positions, *range(min(3, n_cols))})
    word = " OR ".join(
        f"(c{i} LIKE '%计%' AND regexp_matches(c{i}, {sql_literal(TOTAL_RE)}))" for i in where_word
    )
    keys = (
        " AND ".join(
            f"(nullif(trim(c{i}), '') IS NULL OR regexp_matches(c{i}, {sql_literal(TOTAL_RE)}))"
            for i in key_positions
        )
        or "TRUE"
    )
    # Only rows that can be either are tested in full: DuckDB evaluates every conjunct of an
    # aggregate's FILTER, so the full tests over every row cost more than reading the file.
    first = (mapped or [0])[0]
    candidate = f"(c{first} IS NULL OR c{first} = '' OR c{first} LIKE ' %' OR {word})"
    n_blank, n_total = _run(
        con,
        f"SELECT count(*) FILTER (WHERE {blank}), "
        f"count(*) FILTER (WHERE NOT ({blank}) AND ({word}) AND {keys}) "
        f"FROM (SELECT * FROM {stage} WHERE {candidate})",
    ).fetchone()
    if n_blank or n_total:
        _run(con, f"DELETE FROM {stage} WHERE ({blank}) OR (({word}) AND {keys})")
    return NonData(blank=n_blank, totals=n_total)


@dataclass(frozen=True)
class Checked:
    """A staged and checked file inside a DuckDB connection (tables named from ``stage``)."""

    staged: Staged
    headers: HeaderMap
    stage: str  # raw text rows: c0…cN, numbered by staged.row_sql
    errors: str  # one row per offending cell: _row, column_name, value, reason
    typed: ir.Table  # the accepted rows, typed, over the materialised tables
    skipped: NonData = NonData()


def missing_columns_message(table: Table, hm: HeaderMap) -> str:
    """Which required columns are missing, and which of the file's headers may be them."""
    names = "、".join(f"{table.column(c).label}({c})" for c in hm.missing_required)
    hints = [
        f"文件中的「{h}」是否就是{table.column(c).label}?"
        for h, cols in hm.suggestions.items()
        for c in cols
        if c in hm.missing_required
    ]
    tail = "".join(hints) or f"可用 yibao schema docs 查看表 {table.name} 的全部列名及别名"
    return f"缺少必需的列: {names};{tail}"


def stage_and_check(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: Table,
    refs_table: str,
    *,
    stage: str,
    tmpdir: Path,
    today: date,
    existing: str | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> Checked:
    """Stage a file, map its headers, and run every check; shared by ingest and settle.

    Raises FileRejected when the file as a whole cannot be read (nothing is written then).
    """
    step("读取文件")
    con.execute("SET preserve_insertion_order = true")  # rowid must follow the file
    t0, c0 = time.perf_counter(), time.process_time()
    staged = stage_file(con, path, stage, tmpdir, table)
    log.debug(
        "%.2fs (CPU %.2fs) read %s", time.perf_counter() - t0, time.process_time() - c0, path.name
    )
    # From here on every row carries its _row, so order does not matter and DuckDB may use
    # both cores (and less memory) for the checks and the insert.
    con.execute("SET preserve_insertion_order = false")
    hm = map_headers(table, staged.headers)
    if hm.ambiguous:
        detail = ";".join(
            f"{table.column(c).label}: {'、'.join(h)}" for c, h in hm.ambiguous.items()
        )
        raise FileRejected(f"多个表头对应同一列({detail})")
    if hm.missing_required:
        raise FileRejected(missing_columns_message(table, hm))
    skipped = drop_non_data_rows(
        con,
        stage,
        len(staged.headers),
        [hm.columns[k] for k in table.key if k in hm.columns],
        sorted(hm.columns.values()),
    )
    # Rename c0…cN to canonical names in a view so that validation sees the schema's names.
    sel = ", ".join(f"c{i} AS {sql_ident(c)}" for c, i in hm.columns.items())
    _run(con, f"CREATE TEMP VIEW {stage}_v AS SELECT {sel}, {staged.row_sql} AS {ROW} FROM {stage}")
    ensure_procedure_refs(con)
    backend = ibis.duckdb.from_connection(con)
    step(f"解析 {staged.rows:,} 行")
    prepared = prepare(backend.table(f"{stage}_v"), table, today)
    # prepare computes the ID problem of every ID column the file has; the one of an absent
    # column (all NULL) costs nothing to add in the same statement.
    prepared = prepared.mutate(**problem_columns(prepared, table, today))
    _materialise(con, stage, ibis.to_sql(prepared, dialect="duckdb"), tmpdir)
    v = check(
        backend.table(f"{stage}_t"),
        table,
        Refs(
            area_codes=backend.table(refs_table),
            procedure_codes=backend.table(PROCEDURE_REFS),
            diagnosis_codes=backend.table(DIAGNOSIS_REFS),
        ),
        today=today,
        existing=backend.table(existing) if existing else None,
    )
    step("逐项校验")
    _run(con, f"CREATE TEMP TABLE {stage}_err AS {ibis.to_sql(v.errors, dialect='duckdb')}")
    if staged.rejects:  # records the strict CSV reader refused: quarantined, never lost
        _run(con, f"INSERT INTO {stage}_err SELECT * FROM {staged.rejects}")
        con.execute(f"DROP TABLE {staged.rejects}")
    typed = accepted_rows(backend.table(f"{stage}_t"), table, backend.table(f"{stage}_err"))
    return Checked(
        staged=staged,
        headers=hm,
        stage=stage,
        errors=f"{stage}_err",
        typed=typed,
        skipped=skipped,
    )


def prepared_file(con: duckdb.DuckDBPyConnection, tmpdir: Path, stage: str) -> Path:
    """Where one import keeps its prepared table: a name of this process and connection, since
    settle's file mode stages in the system's temporary directory, which others share."""
    return tmpdir / f"{stage}_t-{os.getpid()}-{id(con)}.parquet"


def _materialise(con: duckdb.DuckDBPyConnection, stage: str, sql: str, tmpdir: Path) -> None:
    """The prepared table as a Parquet file behind the TEMP view ``{stage}_t``.

    A TEMP table that outgrows ``memory_limit`` is evicted to tmp/ uncompressed: at
    yiyang-2019 scale 3 (59 M claims) the staged text, this table and the checks' hash
    tables filled 52 GB of disk.  Parquet is compressed and read column by column; on 2 M
    claims under a 400 MB limit the peak of tmp/ fell from 1.13 GB to 0.70 GB, in the same time.
    """
    path = sql_literal(str(prepared_file(con, tmpdir, stage)))
    _run(con, f"COPY ({sql}) TO {path} (FORMAT parquet)")
    con.execute(f"CREATE TEMP VIEW {stage}_t AS SELECT * FROM read_parquet({path})")


def _check(
    ws: Workspace, path: Path, table: Table, stage: str, today: date, step: Callable[[str], None]
) -> Checked:
    return stage_and_check(
        ws.con,
        path,
        table,
        "_ref_area_codes",
        stage=stage,
        tmpdir=ws.tmpdir,
        today=today,
        existing=table.name,
        step=step,
    )


def _write(
    ws: Workspace,
    path: Path,
    table: Table,
    digest: str,
    checked: Checked,
    load_id: int,
    step: Callable[[str], None],
) -> IngestResult:
    """The accepted rows, the quarantine and the _loads record: the import's one transaction."""
    con, stage = ws.con, checked.stage
    staged, hm, skipped = checked.staged, checked.headers, checked.skipped
    cols = ", ".join(sql_ident(c) for c in table.column_names)
    typed_sql = ibis.to_sql(checked.typed, dialect="duckdb")
    step("写入工作区")
    _run(
        con,
        f"INSERT INTO {table.name} ({cols}, _load_id, _row) "
        f"SELECT {cols}, {load_id}, {ROW} FROM ({typed_sql})",
    )
    header_of = {c: staged.headers[i] for c, i in hm.columns.items()}
    header_case = " ".join(
        f"WHEN {sql_literal(c)} THEN {sql_literal(h)}" for c, h in header_of.items()
    )
    # Headers are unique (readers refuse duplicates), so the record keeps every column.
    record = ", ".join(f"{sql_literal(h)}: s.c{i}" for i, h in enumerate(staged.headers))
    real = f"e.column_name <> {sql_literal(ALREADY)}"
    if con.execute(f"SELECT count(*) FROM {stage}_err").fetchone()[0]:
        # The raw records of the offending rows only: a join with the whole staged file would
        # hash all of it for a handful of rows.
        raw = ", ".join(f"c{i}" for i in range(len(staged.headers)))
        at = staged.row_sql
        offending = (
            f"(SELECT {raw}, {at} AS _row FROM {stage} "
            f"WHERE {at} IN (SELECT _row FROM {stage}_err))"
        )
        _run(
            con,
            f"INSERT INTO _quarantine SELECT {load_id}, ?, ?, e._row, e.column_name, "
            f"CASE e.column_name {header_case} ELSE NULL END, e.value, e.reason, "
            f"CASE WHEN s._row IS NULL THEN NULL ELSE to_json({{{record}}}) END "
            f"FROM {stage}_err e LEFT JOIN {offending} s ON s._row = e._row WHERE {real} "
            f"ORDER BY e._row, e.column_name",
            [table.name, path.name],
        )
    total = staged.rows - skipped.blank - skipped.totals
    quarantined, already = con.execute(
        f"SELECT count(DISTINCT _row) FILTER (WHERE {real.replace('e.', '')}), "
        f"count(DISTINCT _row) FILTER (WHERE column_name = {sql_literal(ALREADY)} AND _row "
        f"NOT IN (SELECT _row FROM {stage}_err WHERE {real.replace('e.', '')})) "
        f"FROM {stage}_err"
    ).fetchone()
    accepted = total - quarantined - already
    reasons = con.execute(
        f"SELECT reason, count(DISTINCT _row) n FROM {stage}_err WHERE {real.replace('e.', '')} "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
    ).fetchall()
    # Nothing accepted (and not because every row was loaded before): the file did not load.
    status = EXIT_OK if quarantined == 0 else EXIT_QUARANTINED
    if accepted == 0 and already == 0:
        status = EXIT_REJECTED
    con.execute(
        "INSERT INTO _loads (load_id, table_name, file_name, file_path, file_sha256, file_bytes, "
        "file_format, encoding, rows_total, rows_accepted, rows_quarantined, ignored_headers, "
        "exit_status, rows_already, rows_skipped) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            table.name,
            path.name,
            str(path.resolve()),
            digest,
            path.stat().st_size,
            staged.fmt,
            staged.encoding,
            total,
            accepted,
            quarantined,
            json.dumps(hm.unknown, ensure_ascii=False),
            status,
            already,
            len(staged.title_rows) + skipped.blank + skipped.totals,
        ],
    )
    msg = _summary(path.name, total, accepted, quarantined, already)
    if status == EXIT_REJECTED:
        msg += ";没有任何一行被接收,请按隔离原因修改文件后重新导入"
    return IngestResult(
        str(path),
        table.name,
        status,
        load_id=load_id,
        rows_total=total,
        rows_accepted=accepted,
        rows_quarantined=quarantined,
        rows_already=already,
        message=msg,
        ignored_headers=hm.unknown,
        reasons=[(r, n) for r, n in reasons],
        title_rows=list(staged.title_rows),
        rows_blank=skipped.blank,
        rows_totals=skipped.totals,
        header_hints=[suggestion_text(table, h, c) for h, c in hm.suggestions.items()],
    )


def _summary(name: str, total: int, accepted: int, quarantined: int, already: int) -> str:
    """The one-line result; a file of rows all loaded before says so instead of "隔离"."""
    if total and already == total:
        return f"{name}: 全部 {total} 行此前均已导入(与工作区中的记录相同),本次未新增任何行"
    msg = f"{name}: 共 {total} 行,接收 {accepted} 行"
    if already:
        msg += f",{already} 行此前已导入(相同记录,跳过)"
    if quarantined:
        msg += f",隔离 {quarantined} 行(原因见 _quarantine 表或 yibao quarantine)"
    return msg
