"""Console side of ``yibao report``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from yibao.engine.workspace import Workspace, WorkspaceError
from yibao.report.build import KINDS, write_report
from yibao.report.data import ReportDataMissing
from yibao.report.pdf import PdfUnavailable


def report_cli(
    workspace: Path,
    framework: str,
    year: int,
    out_dir: Path,
    kind: str,
    pdf: bool,
    out: Console,
    err: Console,
) -> int:
    if kind not in KINDS:
        err.print(f"[red]错误[/red]: 未知的报告类型 {escape(kind)};可选 {'、'.join(KINDS)}")
        return 2
    try:
        ws = Workspace.open(workspace)
    except WorkspaceError as exc:
        err.print(f"[red]错误[/red]: {escape(str(exc))}")
        return 2
    with ws:
        try:
            with out.status("正在生成报告 …", spinner="dots"):
                files = write_report(ws, year, out_dir, kind=kind, pdf=pdf, framework=framework)
        except (ReportDataMissing, PdfUnavailable) as exc:
            err.print(f"[red]错误[/red]: {escape(str(exc))}")
            return 2
    out.print(f"已生成报告:{escape(str(files.docx))}", highlight=False)
    out.print(f"  网页版:{escape(str(files.html))}", highlight=False)
    if files.pdf:
        out.print(f"  PDF:{escape(str(files.pdf))}", highlight=False)
    for x in files.xlsx:
        out.print(f"  附件:{escape(str(x))}", highlight=False)
    return 0
