"""Read an export into a staging table of strings without holding it in memory.

CSV goes to DuckDB's streaming reader (GBK/GB18030 files are first transcoded to UTF-8 in
chunks); XLSX rows stream from openpyxl in batches; Parquet is read natively.  Every column is
staged as text so that validation, not the reader, decides what is a bad value.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from yibao.engine.sql import sql_ident, sql_literal
from yibao.ingest.headers import HEADER_SEARCH_ROWS, find_header_row
from yibao.schema.model import Table

CHUNK = 16 * 1024 * 1024
SAMPLE = 1024 * 1024
XLSX_BATCH = 50_000
#: Plaintext copies (transcoded CSV) in a workspace's tmp/ start with this; they are deleted
#: on open and close, so that a killed import leaves no readable copy behind.
TMP_PREFIX = "yibao-plain-"


class FileRejected(Exception):
    """The whole file cannot be loaded: nothing is written, exit status 2."""


@dataclass(frozen=True)
class Staged:
    headers: list[str]  # as in the file, in file order (staging columns are c0, c1, …)
    rows: int
    encoding: str
    fmt: str
    rejects: str | None = None  # CSV records the reader refused (_row, column_name, value, reason)
    #: Rows above the header (a title such as 2021年度住院结算明细), skipped; their text.
    title_rows: tuple[str, ...] = ()
    #: The file row number of a staged row, in SQL over the staged table: ``rowid - k`` when
    #: the read kept file order (the rowid follows it), else the stored ``_row`` column.
    row_sql: str = "_row"


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".csv", ".txt", ".tsv"):
        return "csv"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext in (".parquet", ".pq"):
        return "parquet"
    raise FileRejected(f"{path.name}: 不支持的文件类型 {ext!r} (支持 CSV、XLSX、Parquet)")


def _first_bad_utf8(path: Path, skip: int = 0) -> int | None:
    """Byte offset of the first invalid UTF-8 sequence, streamed (GBK may start at row 9M)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    offset = skip
    with path.open("rb") as fh:
        fh.seek(skip)
        try:
            while chunk := fh.read(CHUNK):
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return offset - pending + exc.start
                offset += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
    return None


def _line_of(path: Path, offset: int) -> int:
    """1-based line number of a byte offset (newlines counted in 16 MB chunks)."""
    lines, done = 1, 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def _where(path: Path, offset: int) -> str:
    return f"第 {_line_of(path, offset)} 行(第 {offset + 1:,} 字节)"


def detect_encoding(path: Path) -> str:
    """'utf-8', 'utf-8-sig' or 'gb18030' (a superset of GBK and GB2312).

    A file whose first megabyte is UTF-8 but which has a non-UTF-8 byte later is a mixed
    file (rows pasted from a GBK export): it is refused with the line of the first bad byte,
    because decoding it either way would corrupt some rows.
    """
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejected(f"{path.name}: 文件是 UTF-16 编码,请另存为 UTF-8 或 GBK 的 CSV")
    if head.startswith(codecs.BOM_UTF8):
        bad = _first_bad_utf8(path, skip=3)
        if bad is None:
            return "utf-8-sig"
        raise FileRejected(
            f"{path.name}: 文件标明为 UTF-8(带 BOM),但{_where(path, bad)}有非 UTF-8 字符"
        )
    bad = _first_bad_utf8(path)
    if bad is None:
        return "utf-8"
    if bad >= len(head) - 4 and len(head) == SAMPLE and _utf8_head(head):
        raise FileRejected(
            f"{path.name}: 文件前部是 UTF-8 编码,但{_where(path, bad)}起有非 UTF-8 字符"
            "(可能混入了 GBK 编码的行);请统一另存为 UTF-8 或 GBK"
        )
    try:
        head.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4 or len(head) < SAMPLE:
            raise FileRejected(
                f"{path.name}: 无法识别文件编码(既不是 UTF-8 也不是 GBK/GB18030),"
                f"{_where(path, exc.start)}有非法字符"
            ) from None
    return "gb18030"


def _utf8_head(head: bytes) -> bool:
    """The sample holds non-ASCII text and decodes as UTF-8 (apart from a sequence cut at
    its end).  A pure-ASCII head is no evidence: it is valid GBK too."""
    if head.isascii():
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4
    return True


def _transcode(path: Path, encoding: str, tmpdir: Path) -> Path:
    """Stream a GB18030 file into a UTF-8 temp file, 16 MB at a time.

    The copy is plaintext personal data: it is named with :data:`TMP_PREFIX` so that
    :meth:`Workspace.open` and ``close`` delete any copy a killed import left behind.
    """
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".csv", dir=tmpdir)
    os.close(fd)
    out = Path(name)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    try:
        with path.open("rb") as src, out.open("wb") as dst:
            while chunk := src.read(CHUNK):
                pending = len(decoder.getstate()[0])
                try:
                    dst.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise FileRejected(
                        f"{path.name}: {_where(path, offset - pending + exc.start)}"
                        f"有无法按 {encoding} 解码的字符"
                    ) from None
                offset += len(chunk)
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    target: str,
    tmpdir: Path,
    table: Table | None = None,
) -> Staged:
    """Create table ``target`` (c0…cN VARCHAR) holding the file's rows, numbered by
    ``Staged.row_sql``.

    With ``table``, the header is the row among the first ones that matches the most of its
    headers (CSV and XLSX); rows above it are titles, skipped and named in ``title_rows``.
    CSV records the strict reader refused are in ``Staged.rejects`` (a table of
    _row, column_name, value, reason), so they are quarantined rather than lost.
    """
    fmt = detect_format(path)
    if fmt == "csv":
        return _stage_csv(con, path, target, tmpdir, table)
    if fmt == "parquet":
        return _stage_parquet(con, path, target)
    return _stage_xlsx(con, path, target, table)


def _title_text(rows: list[list[str]]) -> tuple[str, ...]:
    """What a skipped row said (its non-empty cells), for the import report."""
    out = []
    for r in rows:
        text = " ".join(str(v).strip() for v in r if v is not None and str(v).strip())
        out.append(text[:80] or "(空行)")
    return tuple(out)


def _check_headers(path: Path, raw_headers: list[str]) -> list[str]:
    """Cleaned headers; a file without one, or with one twice, is refused (CSV and XLSX alike)."""
    headers = [h.lstrip("\ufeff").strip() for h in raw_headers]
    if not headers or all(not h for h in headers):
        raise FileRejected(f"{path.name}: 文件没有表头行")
    named = [h for h in headers if h]
    if len(set(named)) != len(named):
        dup = sorted({h for h in named if named.count(h) > 1})
        raise FileRejected(f"{path.name}: 表头重复: {'、'.join(dup)}(每列的表头必须不同)")
    return headers


def _finish(
    con: duckdb.DuckDBPyConnection,
    source_sql: str,
    headers: list[str],
    target: str,
    encoding: str,
    fmt: str,
    *,
    rejects: str | None = None,
    first_row: int = 2,
    title_rows: tuple[str, ...] = (),
    before_count: Callable[[], None] | None = None,
) -> Staged:
    """Read ``source_sql`` (columns c0…cN in file order) into ``target`` in one pass, and say
    how to number the rows a user sees (header = row 1): ``Staged.row_sql``.

    With insertion order preserved, a plain read keeps file order in the table's rowid, which
    stays put when non-data rows are deleted, so the number is ``rowid - base + first_row``
    and costs nothing to store.  (``row_number() OVER ()`` in the read, as before, is a
    streaming window that DuckDB runs on one core: twice the time of the read on two.)
    Records the CSV reader refused (known only once the read is done) keep their own numbers,
    and the accepted ones are then renumbered into a stored ``_row`` to fill the numbers in
    between (an ASOF join), so every row keeps its place.  ``first_row`` is the number of the
    first data row (2, or more below title rows).
    """
    cols = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(len(headers)))
    con.execute(f"CREATE TEMP TABLE {target} AS SELECT {cols} FROM {source_sql}")
    # Inside the import's transaction the rowids start at DuckDB's transaction-local base.
    base = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {target}").fetchone()[0]
    row_sql = f"(rowid - {int(base) - int(first_row)})"
    if before_count is not None:  # the CSV reader's refused records, once the read is done
        before_count()
    n_rej = con.execute(f"SELECT count(*) FROM {rejects}").fetchone()[0] if rejects else 0
    if n_rej:
        # Accepted record k (from 0) takes the k-th number ≥ 2 not used by a rejected one:
        # k + 2 + the number of rejected records with at most k accepted ones before them
        # (consecutive rejected records share that count, hence the max).
        con.execute(
            f"CREATE TEMP TABLE {target}_gaps AS SELECT free_before, max(skip) AS skip FROM "
            f"(SELECT _row - {int(first_row)} - (row_number() OVER (ORDER BY _row) - 1) "
            "AS free_before, "
            f"row_number() OVER (ORDER BY _row) AS skip FROM {rejects}) GROUP BY 1"
        )
        con.execute(
            f"CREATE TEMP TABLE {target}_n AS SELECT r.* EXCLUDE (_k), "
            f"r._k + {int(first_row)} + coalesce(g.skip, 0) AS _row "
            f"FROM (SELECT *, rowid - {int(base)} AS _k FROM {target}) r "
            f"ASOF LEFT JOIN {target}_gaps g ON r._k >= g.free_before"
        )
        con.execute(f"DROP TABLE {target}_gaps")
        con.execute(f"DROP TABLE {target}")
        con.execute(f"ALTER TABLE {target}_n RENAME TO {target}")
        row_sql = "_row"
    rows = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
    return Staged(
        headers=headers,
        rows=rows + n_rej,
        encoding=encoding,
        fmt=fmt,
        rejects=rejects if n_rej else None,
        title_rows=title_rows,
        row_sql=row_sql,
    )


def _collect_rejects(con: duckdb.DuckDBPyConnection, target: str, rej: str) -> None:
    """``{target}_rej`` (_row, column_name, value, reason) from DuckDB's rejects table."""
    reasons = " ".join(
        f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in _REJECT_REASONS.items()
    )
    con.execute(
        f"CREATE TEMP TABLE {target}_rej AS SELECT CAST(line AS BIGINT) AS _row, "
        "'_record' AS column_name, left(arg_min(csv_line, error_type), 500) AS value, "
        f"CASE arg_min(error_type, error_type) {reasons} "
        "ELSE '该行无法按 CSV 格式解析' END AS reason "
        f"FROM {rej} GROUP BY line"
    )
    con.execute(f"DROP TABLE {rej}")
    con.execute(f"DROP TABLE IF EXISTS {rej}_scan")


def _csv_header(src: Path, table: Table | None) -> tuple[list[str], int, tuple[str, ...]]:
    """(header, lines above it, skipped title texts): the header is the record among the
    first ones that matches the most known headers, parsed with the data's dialect."""
    records: list[list[str]] = []
    lines: list[int] = [0]  # lines consumed before record i
    with src.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, dialect=_DIALECT)
        try:
            for rec in reader:
                records.append(rec)
                lines.append(reader.line_num)
                if len(records) >= HEADER_SEARCH_ROWS or table is None:
                    break
        except csv.Error:
            pass
    if not records:
        return [], 0, ()
    k = find_header_row(table, records)
    return records[k], lines[k], _title_text(records[:k])


class _Rfc4180(csv.Dialect):
    delimiter = ","
    quotechar = '"'
    doublequote = True
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    skipinitialspace = False
    strict = False


_DIALECT = _Rfc4180

#: Why DuckDB's strict reader refused a record, in the words a clerk can act on.
_REJECT_REASONS = {
    "TOO MANY COLUMNS": (
        "该行字段数多于表头:多出的逗号未加引号(如金额写成 1,235.19 而未加引号),"
        "或有未转义的引号;请检查该行"
    ),
    "MISSING COLUMNS": "该行字段数少于表头(行尾缺少字段),无法确定各值属于哪一列",
    "UNQUOTED VALUE": "该行引号不成对:引号内的值未闭合,或引号后紧跟了其他字符",
    "LINE SIZE OVER MAXIMUM": "该行过长(超过 2 MB),多半是引号未闭合导致多行被当成一行",
    "INVALID UNICODE": "该行含有无效字符",
    "INVALID ENCODING": "该行含有无效字符",
}


def _reader_sql(src: Path, n: int, rejects: str, skip: int = 0) -> str:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    return (
        f"read_csv({sql_literal(str(src))}, header = true, auto_detect = false, "
        f"skip = {int(skip)}, "
        f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
        "strict_mode = true, null_padding = false, store_rejects = true, "
        f"rejects_table = {sql_literal(rejects)}, rejects_scan = {sql_literal(rejects + '_scan')})"
    )


def head_encoding(path: Path) -> str | None:
    """'utf-8' or 'utf-8-sig' when the first megabyte is UTF-8, else None.

    DuckDB's CSV reader validates every value as it reads (an invalid sequence is a refused
    record), so a file whose head is UTF-8 needs no decoding pass of its own in Python: that
    pass took 7.8 s of one core for the city's 5 GB of claims.  Only when the reader refuses a
    record is the whole file's encoding decided by :func:`detect_encoding`.
    """
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    bom = head.startswith(codecs.BOM_UTF8)
    body = head[3:] if bom else head
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:  # a sequence cut at the end of the sample is fine
        if len(head) < SAMPLE or exc.start < len(body) - 4:
            return None
    return "utf-8-sig" if bom else "utf-8"


class _Reencode(Exception):
    """A file read as UTF-8 on the evidence of its head turned out to be GB18030."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.encoding = encoding


def _stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, target: str, tmpdir: Path, table: Table | None
) -> Staged:
    """One strict reader configuration for every CSV (RFC 4180: comma, doubled quotes).

    Nothing is padded or guessed: a record with more or fewer fields than the header is not
    loaded but quarantined with its line and a Chinese reason.
    """
    tentative = head_encoding(path)
    if tentative is None:
        return _stage_csv_as(con, path, target, tmpdir, table, detect_encoding(path))
    try:
        return _stage_csv_as(con, path, target, tmpdir, table, tentative, verify=True)
    except _Reencode as exc:  # ASCII for its first megabyte, GBK further on
        for name in (target, f"{target}_rej", f"{target}_rej_raw", f"{target}_rej_raw_scan"):
            con.execute(f"DROP TABLE IF EXISTS {sql_ident(name)}")
        return _stage_csv_as(con, path, target, tmpdir, table, exc.encoding)


def _stage_csv_as(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    target: str,
    tmpdir: Path,
    table: Table | None,
    encoding: str,
    *,
    verify: bool = False,
) -> Staged:
    """Stage the file read as ``encoding``; with ``verify``, that encoding is known from the
    file's head only, and is confirmed on the whole file if the reader refuses anything."""

    def confirm() -> None:
        if verify and (found := detect_encoding(path)) != encoding:  # may refuse the file
            raise _Reencode(found)

    src = path if encoding.startswith("utf-8") else _transcode(path, encoding, tmpdir)
    try:
        raw, skip, titles = _csv_header(src, table)
        headers = _check_headers(path, raw)
        rej = f"{target}_rej_raw"

        def collect() -> None:
            if con.execute(f"SELECT count(*) FROM {rej}").fetchone()[0]:
                confirm()
            _collect_rejects(con, target, rej)

        try:
            staged = _finish(
                con,
                _reader_sql(src, len(headers), rej, skip),
                headers,
                target,
                encoding,
                "csv",
                rejects=f"{target}_rej",
                first_row=skip + 2,
                title_rows=titles,
                before_count=collect,
            )
        except duckdb.Error:
            confirm()
            raise FileRejected(
                f"{path.name}: 无法按 CSV 格式读取(逗号分隔、双引号括起、引号内的引号写两遍);"
                "请在 Excel 中另存为“CSV(逗号分隔)”后重试"
            ) from None
        return staged
    finally:
        if src != path:
            src.unlink(missing_ok=True)


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, target: str) -> Staged:
    reader = f"read_parquet({sql_literal(str(path))})"
    try:
        names = [d[0] for d in con.execute(f"SELECT * FROM {reader} LIMIT 0").description]
    except duckdb.Error:
        raise FileRejected(f"{path.name}: 不是可读取的 Parquet 文件(文件损坏或格式不符)") from None
    headers = _check_headers(path, names)
    cols = ", ".join(f"{sql_ident(h)} AS c{i}" for i, h in enumerate(names))
    try:
        return _finish(con, f"(SELECT {cols} FROM {reader})", headers, target, "binary", "parquet")
    except duckdb.Error:
        raise FileRejected(f"{path.name}: Parquet 文件的数据无法读取(文件损坏)") from None


#: An XLSX is a zip of XML: refuse archives that would expand beyond this (zip bombs).
XLSX_MAX_UNPACKED = 4 * 1024**3
XLSX_MAX_RATIO = 1000  # deflate cannot exceed ~1032:1; real sheets stay far below


def _check_xlsx_archive(path: Path) -> None:
    """Refuse an XLSX before parsing it if it is not a zip or would unpack too far."""
    import zipfile

    import openpyxl

    if not openpyxl.DEFUSEDXML:  # entity expansion must be refused by the XML parser
        raise FileRejected(f"{path.name}: 读取 XLSX 需要安装 defusedxml(防 XML 炸弹)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise FileRejected(
            f"{path.name}: 不是有效的 XLSX 文件(文件损坏或并非 Excel 格式)"
        ) from None
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > XLSX_MAX_UNPACKED or unpacked / packed > XLSX_MAX_RATIO:
        raise FileRejected(
            f"{path.name}: XLSX 解压后达 {unpacked / 1024**2:,.0f} MB(压缩比 "
            f"{unpacked / packed:,.0f} 倍),超出安全上限;请另存为 CSV 后导入"
        )


def _xlsx_refused(path: Path) -> FileRejected:
    return FileRejected(
        f"{path.name}: XLSX 内容无法安全解析(XML 结构损坏,或含有实体定义等不允许的内容)"
    )


def _xlsx_batches(
    path: Path, table: Table | None
) -> tuple[list[str], int, tuple[str, ...], Iterator[pa.RecordBatch]]:
    """(header, its index, skipped title texts, data batches); the header is found among the
    first rows as for CSV (a merged title cell reads as one value and empty ones)."""
    import itertools

    import openpyxl

    _check_xlsx_archive(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        head = list(itertools.islice(it, HEADER_SEARCH_ROWS if table is not None else 1))
        if not head:
            raise StopIteration
    except StopIteration:
        raise FileRejected(f"{path.name}: 工作表为空") from None
    except Exception:  # openpyxl and defusedxml raise many kinds; none is useful to a clerk
        raise _xlsx_refused(path) from None
    texts = [["" if v is None else str(v).strip() for v in r] for r in head]
    k = find_header_row(table, texts)
    header_row = head[k]
    rows = itertools.chain(head[k + 1 :], it)
    headers = ["" if h is None else str(h).strip() for h in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    n = len(headers)
    names = [f"c{i}" for i in range(n)]

    def cell(v: object) -> str | None:
        if v is None:
            return None
        if hasattr(v, "isoformat"):
            return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
        return str(v)

    def batches() -> Iterator[pa.RecordBatch]:
        buf: list[list[str | None]] = [[] for _ in range(n)]
        count = 0
        for r in rows:
            for i in range(n):
                buf[i].append(cell(r[i]) if i < len(r) else None)
            count += 1
            if count == XLSX_BATCH:
                yield pa.record_batch([pa.array(c, pa.string()) for c in buf], names=names)
                buf, count = [[] for _ in range(n)], 0
        if count:
            yield pa.record_batch([pa.array(c, pa.string()) for c in buf], names=names)
        wb.close()

    return headers, k, _title_text(texts[:k]), batches()


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, target: str, table: Table | None
) -> Staged:
    raw, k, titles, batches = _xlsx_batches(path, table)
    headers = _check_headers(path, raw)
    schema = pa.schema([(f"c{i}", pa.string()) for i in range(len(headers))])
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    con.register(f"{target}_src", reader)
    try:
        return _finish(
            con,
            f"{target}_src",
            headers,
            target,
            "xlsx",
            "xlsx",
            first_row=k + 2,
            title_rows=titles,
        )
    except FileRejected:
        raise
    except Exception:  # a bad XML part deep in the sheet surfaces through DuckDB's scan
        raise _xlsx_refused(path) from None
    finally:
        con.unregister(f"{target}_src")
