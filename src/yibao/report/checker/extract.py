"""Text out of a report (txt, md, docx, text-layer pdf), with page-chunk breaks rejoined.

Reports copied from document-sharing sites carry page-chunk markers that split numbers and
sentences: "实际到位资金211661.4" ends one line and "7、2万元(已扣减…" starts the next.  A line that
starts with such a marker (digits and 、) after a line that did not end a sentence is joined to it,
and every character keeps the 1-based line number it had in the extracted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class ReportUnreadable(Exception):
    """The file cannot be read as a report; message in Chinese."""


@dataclass(frozen=True)
class Text:
    text: str
    lines: tuple[int, ...]  # 1-based source line of each character of ``text``

    def line_at(self, offset: int) -> int:
        return self.lines[min(max(offset, 0), len(self.lines) - 1)] if self.lines else 1


_MARKER = re.compile(r"^\s*\d{1,3}、")
CHUNK_MIN = 60  # characters: page chunks of copied reports are long paragraphs
_ENDS = ("。", "!", "！", "?", "？", ";", "；", ":", "：", "|")


def read_lines(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ReportUnreadable(f"文件不存在: {path}")
    try:
        if suffix in (".txt", ".md", ""):
            raw = path.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    return raw.decode(enc).splitlines()
                except UnicodeDecodeError:
                    continue
            raise ReportUnreadable(f"{path.name}: 无法识别文本编码(应为 UTF-8 或 GBK)")
        if suffix == ".docx":
            return _docx_lines(path)
        if suffix == ".pdf":
            return _pdf_lines(path)
    except ReportUnreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is one clear sentence
        raise ReportUnreadable(f"{path.name}: 无法读取({type(exc).__name__})") from None
    raise ReportUnreadable(f"{path.name}: 不支持的文件类型 {suffix}(可用 .docx、.txt、.md、.pdf)")


def _docx_lines(path: Path) -> list[str]:
    """Paragraphs and table rows in document order; a table row is `| a | b |` like markdown."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Document(str(path))
    out: list[str] = []
    for block in doc.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(block, doc).text)
        elif tag == "tbl":
            for row in Table(block, doc).rows:
                out.append("| " + " | ".join(c.text.strip() for c in row.cells) + " |")
    return out


def _pdf_lines(path: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    if not text.strip():
        raise ReportUnreadable(f"{path.name}: PDF 没有文字层(扫描件),无法核对")
    return text.splitlines()


def rejoin(lines: list[str]) -> Text:
    """Join page-chunk continuations; keep each character's source line."""
    chars: list[str] = []
    where: list[int] = []
    for no, line in enumerate(lines, 1):
        body = line.rstrip()
        m = _MARKER.match(body)
        joined = False
        if m and chars:
            prev = "".join(chars).rstrip("\n")
            last = prev.rsplit("\n", 1)[-1]
            # A chunk break cuts a long paragraph mid-sentence; a short heading line before a
            # numbered item ("(二)…情况" then "1、…") is not one.
            if len(last) >= CHUNK_MIN and not last.endswith(_ENDS):
                # Drop the blank separation and the marker; continue the previous line.
                while chars and chars[-1] == "\n":
                    chars.pop()
                    where.pop()
                body = body[m.end() :]
                joined = True
        if not joined and chars:
            chars.append("\n")
            where.append(no)
        chars.extend(body)
        where.extend([no] * len(body))
    return Text("".join(chars), tuple(where))
