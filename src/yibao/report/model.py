"""A report as data: sections of paragraphs and tables whose figures carry their sources.

The docx and the html are two renderings of one model, so that the text, the numbers and the
appendix (附录:数据来源) cannot disagree.  A figure (:class:`Fig`) is the value as shown plus
where it comes from: the stored table or indicator, what it is, and the query text from the run
record (``_run_queries``) or the input file and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Source:
    table: str  # stored table or indicator code
    what: str  # Chinese: which value of it
    query: str | None = None  # SQL text that produced the table (from _runs)
    origin: str | None = None  # input file and key, for manual values


@dataclass(frozen=True)
class Fig:
    shown: str  # as printed: "213,092.98"
    unit: str  # 万元, 人, %, 元/人 …
    source: Source


Segment = str | Fig


@dataclass
class Para:
    segments: list[Segment]
    style: str = "body"  # body | note | right (signature lines)


@dataclass
class TableBlock:
    caption: str
    header: list[str]
    rows: list[list[Segment]]
    notes: list[str] = field(default_factory=list)
    widths: list[float] | None = None  # mm per column; None lets the renderer share the width


@dataclass
class Chart:
    path: Path
    caption: str


Block = Para | TableBlock | Chart


@dataclass
class Section:
    level: int  # 1 一、 2 (一) 3 1.
    heading: str
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    numbered: bool = True  # yearbook entries are headed 【概况】, not 一、


@dataclass
class Report:
    title: str
    recipient: str | None
    sections: list[Section]
    signature: list[str]
    annexes: list[str] = field(default_factory=list)

    def figures(self) -> list[Fig]:
        """Every figure in reading order (tables included), for the appendix."""
        out: list[Fig] = []

        def walk(sections: list[Section]) -> None:
            for s in sections:
                for b in s.blocks:
                    if isinstance(b, Para):
                        out.extend(x for x in b.segments if isinstance(x, Fig))
                    elif isinstance(b, TableBlock):
                        for row in b.rows:
                            out.extend(x for x in row if isinstance(x, Fig))
                walk(s.children)

        walk(self.sections)
        return out

    def sources(self) -> list[Source]:
        """Distinct sources in order of first use; a figure's number is its source's index + 1."""
        seen: dict[Source, None] = {}
        for f in self.figures():
            seen.setdefault(f.source, None)
        return list(seen)


def queries_of(sources: list[Source]) -> dict[str, tuple[int, str]]:
    """table → (query number, SQL text), each table's query listed once in the appendix."""
    out: dict[str, tuple[int, str]] = {}
    for src in sources:
        if src.query and src.table not in out:
            out[src.table] = (len(out) + 1, src.query)
    return out


def text_of(segments: list[Segment]) -> str:
    return "".join(s if isinstance(s, str) else f"{s.shown}{s.unit}" for s in segments)


CN_NUMERALS = "一二三四五六七八九十"


def numbering(level: int, i: int) -> str:
    """一、 / (一) / 1. as GB/T 9704 headings number them."""
    cn = CN_NUMERALS[i - 1] if i <= 10 else str(i)
    return {1: f"{cn}、", 2: f"({cn})", 3: f"{i}."}.get(level, "")
