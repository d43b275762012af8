"""Match an export's headers to canonical columns (field code, canonical name or 中文 label).

Also: which of the first rows is the header (exports put a title such as
"2021年度住院结算明细" above it), and which canonical column a dropped header probably meant
("是否指 …?"), so that a near miss is never lost without a word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from yibao.schema.model import Table

#: Rows searched for the header (title rows, notes, a blank line above it).
HEADER_SEARCH_ROWS = 20
#: Endings that name the kind of a field, not the field: 入院日期 ~ 入院时间, 主要诊断 ~ 主诊断编码.
_KIND_SUFFIXES = (
    "日期",
    "时间",
    "编码",
    "代码",
    "编号",
    "名称",
    "金额",
    "支出",
    "支付",
    "号码",
    "号",
)
SUGGEST_RATIO = 0.6


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
    #: unknown header → canonical columns it probably means (not in the file otherwise)
    suggestions: dict[str, list[str]] = field(default_factory=dict)


def _lookup(table: Table) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in table.columns:
        for name in col.header_names():
            lookup.setdefault(norm_header(name), col.name)
    return lookup


def header_score(table: Table, row: list[str]) -> int:
    """How many cells of ``row`` are known headers of ``table`` (distinct columns)."""
    lookup = _lookup(table)
    return len({lookup[n] for v in row if v and (n := norm_header(str(v))) in lookup})


def find_header_row(table: Table | None, rows: list[list[str]]) -> int:
    """Index of the header among the first rows: the one matching the most known headers
    (the first such); 0 when no table is given or nothing matches."""
    if table is None or not rows:
        return 0
    scores = [header_score(table, r) for r in rows[:HEADER_SEARCH_ROWS]]
    best = max(scores)
    return scores.index(best) if best > 0 else 0


def _stem(n: str) -> str:
    for suffix in _KIND_SUFFIXES:
        if n.endswith(suffix) and len(n) > len(suffix) + 1:
            return n[: -len(suffix)]
    return n


def suggest(table: Table, header: str, taken: set[str]) -> list[str]:
    """Canonical columns (not ``taken``) a dropped header is close to, best first."""
    n = norm_header(header)
    if not n:
        return []
    stem = _stem(n)
    scored: dict[str, float] = {}
    for col in table.columns:
        if col.name in taken:
            continue
        for name in col.header_names():
            m = norm_header(name)
            ratio = SequenceMatcher(None, n, m).ratio()
            if _stem(m) == stem or (len(stem) >= 2 and (_stem(m).startswith(stem))):
                ratio = max(ratio, 0.9)
            if ratio >= SUGGEST_RATIO:
                scored[col.name] = max(scored.get(col.name, 0.0), ratio)
    return sorted(scored, key=lambda c: (-scored[c], c))[:2]


def map_headers(table: Table, headers: list[str]) -> HeaderMap:
    lookup = _lookup(table)
    found: dict[str, list[int]] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        canon = lookup.get(norm_header(h))
        if canon is None:
            if h:
                unknown.append(h)
        else:
            found.setdefault(canon, []).append(i)
    ambiguous = {c: [headers[i] for i in pos] for c, pos in found.items() if len(pos) > 1}
    columns = {c: pos[0] for c, pos in found.items()}
    missing = [c.name for c in table.columns if c.required and c.name not in columns]
    suggestions = {h: s for h in unknown if (s := suggest(table, h, set(columns)))}
    return HeaderMap(
        columns=columns,
        unknown=unknown,
        missing_required=missing,
        ambiguous=ambiguous,
        suggestions=suggestions,
    )


def suggestion_text(table: Table, header: str, cols: list[str]) -> str:
    """「入院日期」是否指 入院时间(adm_time)?"""
    shown = " 或 ".join(f"{table.column(c).label}({c})" for c in cols)
    return f"「{header}」是否指 {shown}?"
