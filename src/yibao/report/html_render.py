"""The report as one HTML page: every figure links to its entry in 附录:数据来源."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from yibao.report.model import (
    Chart,
    Fig,
    Para,
    Report,
    Section,
    TableBlock,
    numbering,
    queries_of,
)

CSS = """
body{font-family:"FangSong","仿宋_GB2312","Noto Serif CJK SC",serif;font-size:16pt;line-height:28pt;
max-width:170mm;margin:2em auto;color:#111}
h1{font-family:"方正小标宋简体","Noto Serif CJK SC",serif;font-size:22pt;text-align:center;
font-weight:bold}
h2{font-family:"黑体","Noto Sans CJK SC",sans-serif;font-size:16pt;font-weight:normal}
h3{font-family:"楷体_GB2312","AR PL UKai CN",serif;font-size:16pt;font-weight:normal}
h4{font-size:16pt}
p{text-indent:2em;margin:0}
p.note{font-size:12pt;text-indent:0}
p.right{text-align:right}
table{border-collapse:collapse;margin:1em auto;font-size:10.5pt;line-height:1.5}
td,th{border:1px solid #333;padding:2px 6px}
td.n{text-align:right}
a.fig{color:inherit;text-decoration:none;border-bottom:1px dotted #666}
figure{text-align:center}
figure img{max-width:150mm}
pre{font-size:8pt;white-space:pre-wrap;background:#f5f5f5;padding:4px}
"""


def _segments(segments: list, ids: dict) -> str:
    out = []
    for s in segments:
        if isinstance(s, Fig):
            n = ids[s.source]
            out.append(
                f'<a class="fig" href="#src-{n}" title="{escape(s.source.what)}">'
                f"{escape(s.shown)}</a>{escape(s.unit)}"
            )
        else:
            out.append(escape(s))
    return "".join(out)


def _section(s: Section, i: int, ids: dict) -> list[str]:
    tag = {1: "h2", 2: "h3", 3: "h4"}[min(s.level, 3)]
    out = [f"<{tag}>{escape((numbering(s.level, i) if s.numbered else '') + s.heading)}</{tag}>"]
    for b in s.blocks:
        if isinstance(b, Para):
            out.append(f'<p class="{b.style}">{_segments(b.segments, ids)}</p>')
        elif isinstance(b, TableBlock):
            out.append(f"<table><caption>{escape(b.caption)}</caption><tr>")
            out.append("".join(f"<th>{escape(h)}</th>" for h in b.header) + "</tr>")
            for row in b.rows:
                cells = "".join(
                    f'<td class="{"n" if isinstance(c, Fig) else ""}">{_segments([c], ids)}</td>'
                    for c in row
                )
                out.append(f"<tr>{cells}</tr>")
            out.append("</table>")
            out += [f'<p class="note">{escape(n)}</p>' for n in b.notes]
        elif isinstance(b, Chart):
            data = base64.b64encode(Path(b.path).read_bytes()).decode("ascii")
            out.append(
                f'<figure><img alt="{escape(b.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{escape(b.caption)}</figcaption></figure>"
            )
    for j, child in enumerate(s.children, 1):
        out += _section(child, j, ids)
    return out


def render_html(report: Report, path: Path) -> Path:
    sources = report.sources()
    ids = {src: n for n, src in enumerate(sources, 1)}
    body = [f"<h1>{escape(report.title)}</h1>"]
    if report.recipient:
        body.append(f'<p class="note">{escape(report.recipient)}:</p>')
    for i, s in enumerate(report.sections, 1):
        body += _section(s, i, ids)
    body += [f'<p class="right">{escape(x)}</p>' for x in report.signature]
    if report.annexes:
        body.append(f"<p>附件:{escape(';'.join(report.annexes))}</p>")
    body.append('<h2 id="sources">附录:数据来源</h2>')
    figures = report.figures()
    queries = queries_of(sources)
    for n, src in enumerate(sources, 1):
        values = "、".join(dict.fromkeys(f"{f.shown}{f.unit}" for f in figures if f.source == src))
        link = ""
        if src.table in queries:
            q = queries[src.table][0]
            link = f',<a href="#q-{q}">查询 Q{q}</a>'
        body.append(
            f'<p class="note" id="src-{n}">[{n}] {escape(values)}:{escape(src.what)}'
            f"(表 {escape(src.table)}{link})"
            + (f";录入:{escape(src.origin)}" if src.origin else "")
            + "</p>"
        )
    if queries:
        body.append("<h3>查询文本(取自运行记录)</h3>")
    for table, (q, sql) in queries.items():
        body.append(
            f'<p class="note" id="q-{q}">Q{q} 表 {escape(table)}</p><pre>{escape(sql)}</pre>'
        )
    html = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )
    path.write_text(html, encoding="utf-8")
    return path
