"""The report as a GB/T 9704 document (python-docx).

A4; margins 37 / 35 / 28 / 26 mm; a 2号 小标宋 title; 黑体, 楷体 and 仿宋-bold headings; 仿宋_GB2312
3号 body with a 2-character first-line indent and fixed 28 pt line spacing; page numbers "— 1 —"
(a PAGE field) in 4号 宋体.  python-docx sets only the Latin font name, so every run also gets its
Chinese font on ``w:eastAsia``.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from yibao.report.fonts import FANGSONG, HEI, KAI, SONG, TITLE
from yibao.report.model import (
    Chart,
    Para,
    Report,
    Section,
    TableBlock,
    numbering,
    queries_of,
    text_of,
)

SIZE_2, SIZE_3, SIZE_4, SIZE_S4 = Pt(22), Pt(16), Pt(14), Pt(12)  # 二号 三号 四号 小四
LINE = Pt(28)
LANG = "zh-CN"


def set_font(run, name: str, size: Pt, bold: bool = False) -> None:  # noqa: ANN001
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    _lang(rpr)


def _lang(rpr) -> None:  # noqa: ANN001
    """Tag the run zh-CN: Noto CJK is one collection of JP/KR/SC/TC faces, and LibreOffice picks
    the face by the text's language (without a tag it took the JP face, with Japanese glyph
    forms for characters such as 说 and 门)."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    for attr in ("w:val", "w:eastAsia"):
        lang.set(qn(attr), LANG)


def _para(doc, text: str, font: str, size: Pt, *, bold=False, indent=True, align=None):  # noqa: ANN001, ANN202
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
    if align is not None:
        p.alignment = align
    set_font(p.add_run(text), font, size, bold)
    return p


def _page_number(section) -> None:  # noqa: ANN001
    """Footer "— N —", centred, with a PAGE field Word and LibreOffice both update."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run("— "), SONG, SIZE_4)
    run = p.add_run()
    set_font(run, SONG, SIZE_4)
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)
    set_font(p.add_run(" —"), SONG, SIZE_4)


def _table(doc, t: TableBlock) -> None:  # noqa: ANN001
    _para(doc, t.caption, HEI, SIZE_S4, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, h in enumerate(t.header):
        cell = table.cell(0, j)
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(h), HEI, Pt(10.5), True)
    for i, row in enumerate(t.rows, 1):
        for j, seg in enumerate(row):
            cell = table.cell(i, j)
            cell.text = ""
            text = seg if isinstance(seg, str) else seg.shown
            set_font(cell.paragraphs[0].add_run(text), FANGSONG, Pt(10.5))
    if t.widths:
        table.autofit = False
        for col, mm in zip(table.columns, t.widths, strict=False):
            col.width = Mm(mm)  # the grid: LibreOffice reads column widths from here
        for row in table.rows:
            for cell, mm in zip(row.cells, t.widths, strict=False):
                cell.width = Mm(mm)
    for n in t.notes:
        _para(doc, n, FANGSONG, SIZE_S4, indent=False)


def _section(doc, s: Section, index: int) -> None:  # noqa: ANN001
    font, bold = {1: (HEI, False), 2: (KAI, False), 3: (FANGSONG, True)}[min(s.level, 3)]
    _para(
        doc,
        f"{numbering(s.level, index) if s.numbered else ''}{s.heading}",
        font,
        SIZE_3,
        bold=bold,
    )
    for b in s.blocks:
        if isinstance(b, Para):
            align = WD_ALIGN_PARAGRAPH.RIGHT if b.style == "right" else None
            size = SIZE_S4 if b.style == "note" else SIZE_3
            _para(doc, text_of(b.segments), FANGSONG, size, indent=b.style != "right", align=align)
        elif isinstance(b, TableBlock):
            _table(doc, b)
        elif isinstance(b, Chart):
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(str(b.path), width=Mm(150))
            _para(doc, b.caption, FANGSONG, SIZE_S4, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, child in enumerate(s.children, 1):
        _section(doc, child, i)


def render_docx(report: Report, path: Path) -> Path:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    _page_number(sec)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FANGSONG, SIZE_3
    _lang(normal.element.get_or_add_rPr())
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    _lang(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))
    _para(doc, report.title, TITLE, SIZE_2, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "", FANGSONG, SIZE_3, indent=False)
    if report.recipient:
        _para(doc, f"{report.recipient}:", FANGSONG, SIZE_3, indent=False)
    for i, s in enumerate(report.sections, 1):
        _section(doc, s, i)
    for line in report.signature:
        _para(doc, line, FANGSONG, SIZE_3, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if report.annexes:
        _para(doc, "附件:" + ";".join(report.annexes), FANGSONG, SIZE_3)
    doc.add_section(WD_SECTION.NEW_PAGE)
    _para(doc, "附录:数据来源", HEI, SIZE_3, indent=False)
    _para(
        doc,
        "正文和表格中的每个数字都由 yibao 从工作区数据计算;下列各项给出数值、所在的表或指标,"
        "以及产生该表的查询(取自运行记录)。",
        FANGSONG,
        SIZE_S4,
        indent=False,
    )
    figures, sources = report.figures(), report.sources()
    queries = queries_of(sources)
    for n, src in enumerate(sources, 1):
        values = "、".join(dict.fromkeys(f"{f.shown}{f.unit}" for f in figures if f.source == src))
        line = f"[{n}] {values}:{src.what}(表 {src.table}"
        line += f",查询 Q{queries[src.table][0]})" if src.table in queries else ")"
        if src.origin:
            line += f";录入:{src.origin}"
        _para(doc, line, FANGSONG, SIZE_S4, indent=False)
    if queries:
        _para(doc, "查询文本(取自运行记录 _run_queries)", HEI, SIZE_S4, indent=False)
    for table, (q, sql) in queries.items():
        _para(doc, f"Q{q} 表 {table}", FANGSONG, SIZE_S4, indent=False)
        # Whitespace folded: the text is for tracing, not for reading as a listing.
        _para(doc, " ".join(sql.split()), "Noto Sans Mono CJK SC", Pt(6.5), indent=False)
    doc.save(str(path))
    return path
