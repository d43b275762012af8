"""Presentation of ``yibao run``, ``yibao check`` and ``yibao trace`` for the console."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from yibao.engine.workspace import Workspace, WorkspaceError
from yibao.pipeline.checks import run_checks
from yibao.pipeline.runner import RunSummary, run_folder
from yibao.pipeline.trace import TraceError, trace
from yibao.policy import PolicyError
from yibao.schema import DERIVED

VERDICT = {0: "全部接收", 1: "部分隔离", 2: "拒绝"}


def print_summary(s: RunSummary, ws_path: Path, out: Console) -> None:
    if s.files:
        t = RichTable("文件", "表", "识别依据", "总行数", "接收", "隔离", "结果", title="导入")
        for m, r in s.files:
            if r is None:
                t.add_row(escape(m.path.name), "—", escape(m.how), "", "", "", "[yellow]未导入[/]")
                continue
            how = "已导入过,未改动" if r.already_loaded else VERDICT[r.exit_status]
            t.add_row(
                escape(m.path.name),
                m.table or "",
                m.how,
                f"{r.rows_total:,}",
                f"{r.rows_accepted:,}",
                f"{r.rows_quarantined:,}",
                how if r.exit_status != 2 else f"[red]{escape(r.message)}[/red]",
            )
        out.print(t)
    for p in s.skipped:
        out.print(f"  跳过非导出文件: {escape(p.name)}", highlight=False)
    t = RichTable("步骤", "结果", "写入的表(本年度行数)", "说明", title=f"{s.year} 年度各步骤")
    for o in s.steps:
        if o.error:
            t.add_row(o.step.label, "[red]失败[/red]", "", escape(o.error))
            continue
        res = o.result
        assert res is not None
        tables = "、".join(f"{DERIVED[k].label} {v:,}" for k, v in res.tables.items())
        notes = [n for n in res.notes if n.severity != "info"]
        text = ";".join(escape(n.text) for n in notes[:3]) + (
            f" 等 {len(notes)} 条" if len(notes) > 3 else ""
        )
        t.add_row(o.step.label, "完成", tables, text)
    out.print(t)
    outputs = [f for o in s.steps if o.result for f in o.result.outputs]
    out.print(f"工作区: {ws_path}(表可用 DuckDB 查询;yibao check / yibao trace 核对与追溯)")
    for f in outputs:
        out.print(f"  输出: {escape(str(f))}", highlight=False)


def run_cli(
    workspace: Path,
    year: int,
    source: Path | None,
    policy: str | None,
    engine: str,
    out: Console,
    err: Console,
) -> int:
    if source is not None and not source.is_dir():
        err.print(f"[red]错误[/red]: 导出文件目录不存在: {escape(str(source))}")
        return 2
    try:
        ws = Workspace.open(workspace)
    except WorkspaceError as exc:
        err.print(f"[red]错误[/red]: {escape(str(exc))}")
        return 2
    with ws:
        try:
            with out.status("运行中 …", spinner="dots") as status:
                summary = run_folder(
                    ws,
                    year,
                    source=source,
                    policy=policy,
                    engine=engine,
                    progress=lambda m: status.update(escape(m)),
                )
        except PolicyError as exc:
            err.print(f"[red]错误[/red]: {escape(str(exc))}")
            return 2
        print_summary(summary, workspace, out)
    code = summary.exit_code
    verdict = {0: "全部完成,无隔离行和线索", 1: "完成;有被隔离的行、未识别的文件或监管线索,请查看"}
    out.print(verdict.get(code, "[red]有文件被拒绝或步骤失败,见上表[/red]"))
    return code


def check_cli(workspace: Path, as_json: bool, out: Console, err: Console) -> int:
    """Exit 0 when every check that could run holds, 1 when one fails, 2 without a workspace."""
    try:
        ws = Workspace.open(workspace, read_only=True)
    except WorkspaceError as exc:
        err.print(f"[red]错误[/red]: {escape(str(exc))}")
        return 2
    with ws:
        results = run_checks(ws)
    failed = [r for r in results if r.skipped is None and r.failures]
    if as_json:
        for r in results:
            print(
                json.dumps(
                    {
                        "table": r.table,
                        "test": r.test,
                        "label": r.label,
                        "status": "skipped" if r.skipped else ("fail" if r.failures else "pass"),
                        "failures": r.failures,
                        "sample": r.sample,
                    },
                    ensure_ascii=False,
                    default=str,
                )
            )
        return 1 if failed else 0
    ran = [r for r in results if r.skipped is None]
    out.print(f"核对 {len(ran)} 项(另有 {len(results) - len(ran)} 项因表尚未生成而未运行)")
    for r in failed:
        out.print(f"[red]不通过[/red] {r.table}: {r.label} —— {r.failures:,} 行", highlight=False)
        for row in r.sample:
            cells = ",".join(f"{k}={v}" for k, v in row.items())
            out.print(f"    {escape(cells)}", highlight=False)
    out.print("[green]全部通过[/green]" if not failed else f"[red]{len(failed)} 项不通过[/red]")
    return 1 if failed else 0


def trace_cli(
    workspace: Path,
    table: str,
    where: list[str],
    limit: int,
    show_sql: bool,
    out: Console,
    err: Console,
) -> int:
    try:
        ws = Workspace.open(workspace, read_only=True)
    except WorkspaceError as exc:
        err.print(f"[red]错误[/red]: {escape(str(exc))}")
        return 2
    with ws:
        try:
            traces = trace(ws, table, where, limit)
        except TraceError as exc:
            err.print(f"[red]错误[/red]: {escape(str(exc))}")
            return 2
    if not traces:
        err.print(f"[yellow]表 {escape(table)} 中没有符合条件的行[/yellow]")
        return 1
    for i, rt in enumerate(traces, 1):
        cells = ",".join(f"{k}={v}" for k, v in rt.row.items() if v is not None)
        out.print(f"[bold]第 {i} 行[/bold] {escape(cells)}", highlight=False)
        if rt.run:
            r = rt.run
            out.print(
                f"  由 {r['step']} 第 {r['run_id']} 次运行写入:年度 {r['year']},政策 "
                f"{escape(str(r['policy_name']))}(哈希 {str(r['policy_hash'])[:12]}),"
                f"引擎 {r['engine']},{r['started_at']:%Y-%m-%d %H:%M:%S};"
                f"输入批次 {r['input_loads']}",
                highlight=False,
            )
        for label, sql in rt.queries:
            text = f"\n{escape(sql)}" if show_sql else "(加 --sql 显示查询文本)"
            out.print(f"  查询「{escape(label or '')}」{text}", highlight=False)
        for src in rt.sources:
            nums = "、".join(str(n) for n in src.row_numbers)
            more = f" 等 {src.rows:,} 行" if src.rows > len(src.row_numbers) else ""
            out.print(
                f"  来源 {src.table}:文件 {escape(src.file_name)}(批次 {src.load_id})"
                f" 第 {nums} 行{more}",
                highlight=False,
            )
        if not rt.sources:
            out.print("  (没有找到来源行)", highlight=False)
    return 0
