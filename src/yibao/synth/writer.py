"""Export files in the shapes bureaus produce: CSV (UTF-8 or GBK), XLSX or Parquet.

Claims carry the national platform's field codes as headers (结算清单 interface); the other
tables carry Chinese labels, as exports from local systems do.  Chunks are appended, so memory
stays bounded by one chunk (XLSX excepted: it is built at the end and capped at Excel's limit).
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from yibao.schema.tables import TABLES

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(9, 6),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
}
FIELD_CODE_TABLES = {"claims"}
XLSX_MAX_ROWS = 1_048_575


class SynthOutputError(ValueError):
    pass


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in TABLES[table].columns])


def headers(table: str) -> list[str]:
    cols = TABLES[table].columns
    return [c.name if table in FIELD_CODE_TABLES else c.label for c in cols]


class TableWriter:
    def __init__(
        self, out: Path, table: str, fmt: str, encoding: str, name: str | None = None
    ) -> None:
        self.table = table
        self.fmt = fmt
        self.encoding = encoding
        self.path = out / f"{name or table}.{fmt}"
        self.schema = arrow_schema(table)
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pq: pq.ParquetWriter | None = None
        self.path.unlink(missing_ok=True)

    def write(self, t: pa.Table) -> None:
        # Columns a later schema added that this table's generator does not fill (e.g. the
        # employee fields of a resident claim) are written empty.
        for f in self.schema:
            if f.name not in t.column_names:
                t = t.append_column(f.name, pa.nulls(t.num_rows, f.type))
        t = t.select(self.schema.names).cast(self.schema)
        if self.table == "persons" and self.table not in FIELD_CODE_TABLES:
            t = t.set_column(
                3,
                "gend",
                pc.replace_substring_regex(
                    pc.replace_substring_regex(t["gend"], "^1$", "男"), "^2$", "女"
                ),
            )
        self.rows += t.num_rows
        if self.fmt == "csv":
            buf = io.BytesIO()
            opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            if self.rows == t.num_rows:
                buf.write((",".join(headers(self.table)) + "\n").encode())
            pacsv.write_csv(t, buf, opts)
            data = buf.getvalue()
            if self.encoding != "utf-8":
                data = data.decode("utf-8").encode(self.encoding)
            with self.path.open("ab") as f:
                f.write(data)
        elif self.fmt == "parquet":
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, self.schema)
            self._pq.write_table(t)
        elif self.fmt == "xlsx":
            if self.rows > XLSX_MAX_ROWS:
                raise SynthOutputError(
                    f"{self.table} 有 {self.rows:,} 行以上,"
                    f"超过 Excel 工作表上限 {XLSX_MAX_ROWS:,} 行;"
                    "请改用 --format csv 或 parquet,或缩小 --scale"
                )
            self._pending.append(t)
        else:
            raise SynthOutputError(f"不支持的格式 {self.fmt!r}(可用 csv、xlsx、parquet)")

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        if self.fmt == "csv" and self.rows == 0:
            self.path.write_bytes((",".join(headers(self.table)) + "\n").encode(self.encoding))
        if self.fmt == "xlsx":
            self._write_xlsx()

    def _write_xlsx(self) -> None:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        title = TABLES[self.table].label
        for ch in "[]:*?/\\":
            title = title.replace(ch, "、")
        ws = wb.create_sheet(title[:31])
        ws.append(headers(self.table))
        for t in self._pending:  # bounded by Excel's 1M rows
            for row in t.to_pylist():
                ws.append(list(row.values()))
        wb.save(self.path)
        _fix_zip_times(self.path)


def _fix_zip_times(path: Path) -> None:
    """openpyxl stamps the current time into the zip and docProps: pin both, so that the same
    seed gives the same bytes."""
    import zipfile

    src = zipfile.ZipFile(path)
    items = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in items:
            if name == "docProps/core.xml":
                import re

                data = re.sub(
                    rb"<dcterms:(created|modified)[^>]*>[^<]*<",
                    lambda m: m.group(0).split(b">")[0] + b">2000-01-01T00:00:00Z<",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
