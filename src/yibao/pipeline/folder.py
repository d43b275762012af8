"""Recognise a bureau's folder of exports: which canonical table each file holds.

A file's table is found from its name (English or Chinese table names, e.g. ``claims.csv``,
``2021年结算单.xlsx``) or, failing that, from its header row: the table whose columns the headers
match best, with every required column present.  A file that neither identifies is listed with
the reason, never guessed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from yibao.ingest.headers import map_headers
from yibao.schema.tables import TABLE_ALIASES, TABLES

#: Load order: reference tables first, then people, then money.
LOAD_ORDER = (
    "regions",
    "institutions",
    "persons",
    "enrolments",
    "claims",
    "subsidy_receipts",
    "fund_ledger",
    "budgets",
    "survey_responses",
    "contributions",
)
EXPORT_SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")


@dataclass(frozen=True)
class FileMatch:
    path: Path
    table: str | None
    how: str  # 文件名 / 表头 / the reason it was not recognised

    @property
    def recognised(self) -> bool:
        return self.table is not None


def _fold(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s_\-.·()（）\[\]【】0-9年度月]", "", s)


def _names() -> list[tuple[str, str]]:
    """(folded name, table) for every way a file name may say its table, longest first."""
    pairs = {(_fold(t.name), t.name) for t in TABLES.values()}
    pairs |= {(_fold(t.name.rstrip("s")), t.name) for t in TABLES.values()}
    pairs |= {
        (_fold(part), name) for label, name in TABLE_ALIASES.items() for part in label.split("/")
    }
    return sorted(pairs, key=lambda p: -len(p[0]))


def table_from_name(path: Path) -> str | None:
    stem = _fold(path.stem)
    hits = {table for name, table in _names() if name and name in stem}
    if len(hits) == 1:
        return hits.pop()
    # Several names inside one (结算单 also contains 结算): the longest one decides.
    for name, table in _names():
        if name and name in stem:
            return table
    return None


def read_headers(path: Path) -> list[str]:
    """The first row of an export, without reading the rest."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            row = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            return [str(v) for v in row if v is not None]
        finally:
            wb.close()
    head = path.read_bytes()[:65536]
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return []
    first = text.splitlines()[0] if text else ""
    return next(csv.reader(io.StringIO(first)), [])


def table_from_headers(headers: list[str]) -> tuple[str | None, str]:
    """The best-matching table with all required columns, or None and why."""
    scored = []
    for t in TABLES.values():
        hm = map_headers(t, headers)
        scored.append((len(hm.columns), not hm.missing_required, t.name, hm))
    complete = sorted((s for s in scored if s[1]), key=lambda s: -s[0])
    if complete and (len(complete) == 1 or complete[0][0] > complete[1][0]):
        return complete[0][2], "表头"
    if complete:
        names = "、".join(TABLES[s[2]].label for s in complete[:2])
        return None, f"表头同样符合 {names},无法确定;请在文件名中写明表名"
    best = max(scored, key=lambda s: s[0])
    if best[0] == 0:
        return None, "文件名和表头都无法确定是哪张表"
    t = TABLES[best[2]]
    missing = "、".join(t.column(c).label for c in best[3].missing_required)
    return None, f"表头最接近「{t.label}」,但缺少必需的列: {missing}"


def recognise(folder: Path) -> tuple[list[FileMatch], list[Path]]:
    """(exports in load order with their tables, other files skipped)."""
    matches, others = [], []
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        if path.suffix.lower() not in EXPORT_SUFFIXES or path.name.startswith((".", "~$")):
            others.append(path)
            continue
        table = table_from_name(path)
        if table is not None:
            matches.append(FileMatch(path, table, "文件名"))
            continue
        try:
            headers = read_headers(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
            matches.append(FileMatch(path, None, f"无法读取表头: {type(exc).__name__}"))
            continue
        table, how = table_from_headers(headers)
        matches.append(FileMatch(path, table, how))
    order = {name: i for i, name in enumerate(LOAD_ORDER)}
    matches.sort(key=lambda m: (order.get(m.table or "", len(order)), m.path.name))
    return matches, others
