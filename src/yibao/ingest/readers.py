"""Read an export into a staging table of strings without holding it in memory.

CSV goes to DuckDB's streaming reader (GBK/GB18030 files are first transcoded to UTF-8 in
chunks); XLSX rows stream from openpyxl in batches; Parquet is read natively.  Every column is
staged as text so that validation, not the reader, decides what is a bad value.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

CHUNK = 16 * 1024 * 1024
SAMPLE = 1024 * 1024
XLSX_BATCH = 50_000


class FileRejected(Exception):
    """The whole file cannot be loaded: nothing is written, exit status 2."""


@dataclass(frozen=True)
class Staged:
    headers: list[str]  # as in the file, in file order (staging columns are c0, c1, …)
    rows: int
    encoding: str
    fmt: str


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".csv", ".txt", ".tsv"):
        return "csv"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext in (".parquet", ".pq"):
        return "parquet"
    raise FileRejected(f"{path.name}: 不支持的文件类型 {ext!r} (支持 CSV、XLSX、Parquet)")


def _is_utf8(path: Path, skip: int = 0) -> bool:
    """Strict UTF-8 check of the whole file, streamed: GBK text may first appear at row 9M."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    with path.open("rb") as fh:
        fh.seek(skip)
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> str:
    """'utf-8', 'utf-8-sig' or 'gb18030' (a superset of GBK and GB2312)."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejected(f"{path.name}: 文件是 UTF-16 编码,请另存为 UTF-8 或 GBK 的 CSV")
    if head.startswith(codecs.BOM_UTF8):
        if _is_utf8(path, skip=3):
            return "utf-8-sig"
        raise FileRejected(f"{path.name}: 文件标明为 UTF-8(带 BOM),但含有非 UTF-8 字符")
    if _is_utf8(path):
        return "utf-8"
    try:
        head.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4 or len(head) < SAMPLE:
            raise FileRejected(
                f"{path.name}: 无法识别文件编码(既不是 UTF-8 也不是 GBK/GB18030),"
                f"第 {exc.start} 字节附近有非法字符"
            ) from None
    return "gb18030"


def _transcode(path: Path, encoding: str, tmpdir: Path) -> Path:
    """Stream a GB18030 file into a UTF-8 temp file, 16 MB at a time."""
    out = Path(tempfile.mkstemp(suffix=".csv", dir=tmpdir)[1])
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as src, out.open("wb") as dst:
        while chunk := src.read(CHUNK):
            try:
                dst.write(decoder.decode(chunk).encode("utf-8"))
            except UnicodeDecodeError as exc:
                raise FileRejected(
                    f"{path.name}: 第 {offset + exc.start} 字节附近有无法按 {encoding} 解码的字符"
                ) from None
            offset += len(chunk)
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return out


def _sql_str(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, target: str, tmpdir: Path) -> Staged:
    """Create table ``target`` (c0…cN VARCHAR, _row BIGINT) holding the file's rows."""
    fmt = detect_format(path)
    if fmt == "csv":
        return _stage_csv(con, path, target, tmpdir)
    if fmt == "parquet":
        return _stage_parquet(con, path, target)
    return _stage_xlsx(con, path, target)


def _finish(
    con: duckdb.DuckDBPyConnection,
    source_sql: str,
    raw_headers: list[str],
    target: str,
    encoding: str,
    fmt: str,
) -> Staged:
    headers = [h.lstrip("\ufeff").strip() for h in raw_headers]
    if not headers or all(not h for h in headers):
        raise FileRejected("文件没有表头行")
    cols = ", ".join(f"CAST({_quote(h)} AS VARCHAR) AS c{i}" for i, h in enumerate(raw_headers))
    # DuckDB keeps insertion order, so rowid follows the file; inside a transaction rowids start
    # at a large offset, hence the subtraction.  +2 gives the row a user sees (header = row 1).
    con.execute(f"CREATE TEMP TABLE {target}_raw AS SELECT {cols} FROM {source_sql}")
    con.execute(
        f"CREATE TEMP TABLE {target} AS SELECT *, rowid - (SELECT min(rowid) FROM "
        f"{target}_raw) + 2 AS _row FROM {target}_raw"
    )
    con.execute(f"DROP TABLE {target}_raw")
    rows = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
    return Staged(headers=headers, rows=rows, encoding=encoding, fmt=fmt)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, target: str, tmpdir: Path) -> Staged:
    encoding = detect_encoding(path)
    src = path if encoding.startswith("utf-8") else _transcode(path, encoding, tmpdir)
    try:
        reader = (
            f"read_csv({_sql_str(src)}, all_varchar=true, header=true, "
            "null_padding=true, strict_mode=false)"
        )
        try:
            headers = [d[0] for d in con.execute(f"SELECT * FROM {reader} LIMIT 0").description]
            return _finish(con, reader, headers, target, encoding, "csv")
        except duckdb.Error as exc:
            raise FileRejected(f"{path.name}: CSV 无法解析: {str(exc).splitlines()[0]}") from None
    finally:
        if src != path:
            src.unlink(missing_ok=True)


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, target: str) -> Staged:
    reader = f"read_parquet({_sql_str(path)})"
    try:
        headers = [d[0] for d in con.execute(f"SELECT * FROM {reader} LIMIT 0").description]
        return _finish(con, reader, headers, target, "binary", "parquet")
    except duckdb.Error as exc:
        raise FileRejected(f"{path.name}: Parquet 无法读取: {str(exc).splitlines()[0]}") from None


def _xlsx_batches(path: Path) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds
        raise FileRejected(f"{path.name}: XLSX 无法打开: {exc}") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    try:
        header_row = next(rows)
    except StopIteration:
        raise FileRejected(f"{path.name}: 工作表为空") from None
    headers = ["" if h is None else str(h).strip() for h in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    n = len(headers)

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
                yield pa.record_batch([pa.array(c, pa.string()) for c in buf], names=headers)
                buf, count = [[] for _ in range(n)], 0
        if count:
            yield pa.record_batch([pa.array(c, pa.string()) for c in buf], names=headers)
        wb.close()

    return headers, batches()


def _stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, target: str) -> Staged:
    headers, batches = _xlsx_batches(path)
    if len(set(headers)) != len(headers):
        dup = sorted({h for h in headers if headers.count(h) > 1})
        raise FileRejected(f"{path.name}: 表头重复: {'、'.join(dup)}")
    schema = pa.schema([(h, pa.string()) for h in headers])
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    con.register(f"{target}_src", reader)
    try:
        return _finish(con, f"{target}_src", headers, target, "xlsx", "xlsx")
    finally:
        con.unregister(f"{target}_src")
