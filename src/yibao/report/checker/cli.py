"""Console output of ``yibao check-report``."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from yibao.report.checker.check import check_report
from yibao.report.checker.extract import ReportUnreadable

SEVERITY = {"error": "[red]错误[/red]", "warning": "[yellow]提示[/yellow]"}


def check_report_cli(path: Path, as_json: bool, out: Console, err: Console) -> int:
    try:
        findings = check_report(path)
    except ReportUnreadable as exc:
        err.print(f"[red]错误[/red]: {escape(str(exc))}")
        return 2
    if as_json:
        for f in findings:
            print(json.dumps(f.to_json(), ensure_ascii=False))
    else:
        for f in findings:
            out.print(
                f"第 {f.line} 行 {SEVERITY[f.severity]} {escape(f.stated)} → {escape(f.expected)}:"
                f"{escape(f.message)}",
                highlight=False,
            )
        errors = sum(f.severity == "error" for f in findings)
        if findings:
            out.print(f"共 {len(findings)} 处({errors} 处错误,{len(findings) - errors} 处提示)")
        else:
            out.print("[green]未发现数字关系不符[/green]")
    return 1 if findings else 0
