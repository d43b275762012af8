"""Match an export's headers to canonical columns (field code, canonical name or 中文 label)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from yibao.schema.model import Table


def norm_header(h: str) -> str:
    """Fold width, case, spaces and bracketed units: '医疗费总额(元)' matches '医疗费总额'."""
    s = unicodedata.normalize("NFKC", h).strip().lower()
    s = re.sub(r"[(\[（【].*?[)\]）】]$", "", s)
    return re.sub(r"[\s_\-·]", "", s)


@dataclass(frozen=True)
class HeaderMap:
    columns: dict[str, int]  # canonical name → position in the file
    unknown: list[str]  # headers that match nothing (kept out of the table, reported)
    missing_required: list[str]  # canonical names
    ambiguous: dict[str, list[str]]  # canonical name → several file headers


def map_headers(table: Table, headers: list[str]) -> HeaderMap:
    lookup: dict[str, str] = {}
    for col in table.columns:
        for name in col.header_names():
            lookup.setdefault(norm_header(name), col.name)
    found: dict[str, list[int]] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        canon = lookup.get(norm_header(h))
        if canon is None:
            unknown.append(h)
        else:
            found.setdefault(canon, []).append(i)
    ambiguous = {c: [headers[i] for i in pos] for c, pos in found.items() if len(pos) > 1}
    columns = {c: pos[0] for c, pos in found.items()}
    missing = [c.name for c in table.columns if c.required and c.name not in columns]
    return HeaderMap(
        columns=columns, unknown=unknown, missing_required=missing, ambiguous=ambiguous
    )
