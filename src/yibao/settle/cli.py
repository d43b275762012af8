"""`yibao settle`: the file mode, the workspace mode and --explain."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from yibao.engine.backend import unknown_engine
from yibao.engine.workspace import Workspace
from yibao.ingest.readers import FileRejected
from yibao.money import money_expr, rate_expr
from yibao.pipeline.context import build_context
from yibao.pipeline.contract import StepFailed
from yibao.pipeline.runs import run_step
from yibao.pipeline.steps import SettleStep
from yibao.policy import PolicyError
from yibao.settle.explain import explain_row
from yibao.settle.params import SettlePolicyError
from yibao.settle.run import (
    OUTPUT_HEAD,
    discrepancy_summary,
    hospital_label,
    hospital_names,
    settle_file,
)

MAX_ERRORS_SHOWN = 50
#: Hospitals in the by-hospital table, largest differences first; the rest are counted.
HOSPITALS_SHOWN = 30


def column_label(column: str) -> str:
    """医疗类别 rather than med_type in a message."""
    from yibao.schema import get_table

    claims = get_table("claims")
    return claims.column(column).label if column in claims.column_names else column


def _print_errors(errors: list[dict], total: int, err: Console, source: str) -> None:
    err.print(f"[red]错误[/red]: {source} 有 {total} 处问题,未做结算(不静默地算错):")
    for e in errors[:MAX_ERRORS_SHOWN]:
        where = f"第 {e['row']} 行" if e.get("row") else f"结算ID {e.get('setl_id')}"
        value = "(空)" if e["value"] is None or e["value"] == "" else e["value"]
        label = e.get("label") or column_label(e["column"])
        err.print(Text(f"  {where} {label}: {value} — {e['reason']}"))
    if total > MAX_ERRORS_SHOWN:
        err.print(f"  …… 另有 {total - MAX_ERRORS_SHOWN} 处")


def readable_columns(t: ir.Table) -> ir.Table:
    """Payments first, then the trace in 元 (``*_yuan``) and ratios as fractions (0.85), then
    the exact integer trace (``*_fen``, ``*_ppm``) kept for scripts that read it."""
    head = [c for c in OUTPUT_HEAD if c in t.columns]
    rest = [c for c in t.columns if c not in OUTPUT_HEAD]
    readable = []
    for c in rest:
        if c.endswith("_fen"):
            readable.append(money_expr(t[c]).name(c[: -len("_fen")] + "_yuan"))
        elif c.endswith("_ppm"):
            readable.append(rate_expr(t[c]).name(c[: -len("_ppm")]))
    plain = [t[c] for c in rest if not c.endswith(("_fen", "_ppm"))]
    exact = [t[c] for c in rest if c.endswith(("_fen", "_ppm"))]
    return t.select(*head, *plain, *readable, *exact)


def _write_csv(result: pa.Table, path: Path) -> None:
    """Readable columns (see :func:`readable_columns`); DuckDB writes DECIMAL(18,2) with its
    two places."""
    con = duckdb.connect()
    con.register("_result", result)
    expr = readable_columns(ibis.duckdb.from_connection(con).table("_result"))
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({ibis.to_sql(expr, dialect='duckdb')}) TO '{target}' (HEADER)")
    con.close()


def run_settle(
    *,
    workspace: Path | None,
    year: int | None,
    policy: str | None,
    claims: Path | None,
    out_file: Path | None,
    engine: str,
    explain: str | None,
    out: Console,
    err: Console,
) -> int:
    if engine not in ("duckdb", "pyspark"):
        err.print(f"[red]错误[/red]: {unknown_engine(engine)}")
        return 2
    try:
        if claims is not None:
            return _file_mode(policy or "demo-county", claims, out_file, engine, explain, out, err)
        if workspace is not None:
            return _workspace_mode(workspace, year, policy, engine, explain, out, err)
    except (PolicyError, SettlePolicyError, FileRejected) as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    err.print(
        "[red]错误[/red]: 请给出工作区(yibao settle WORKSPACE --year Y)"
        "或结算单文件(--policy P --claims F --out F.csv)"
    )
    return 2


def _with_id(table: pa.Table, setl_id: str) -> list[dict[str, Any]]:
    """The rows of one claim, found by Arrow (not a Python loop over the file)."""
    return table.filter(pc.equal(table.column("setl_id"), setl_id)).to_pylist()


def _file_mode(
    policy: str,
    claims: Path,
    out_file: Path | None,
    engine: str,
    explain: str | None,
    out: Console,
    err: Console,
) -> int:
    if not claims.is_file():
        err.print(f"[red]错误[/red]: 文件不存在: {claims}")
        return 2
    outcome = settle_file(policy, claims, engine=engine, today=date.today())
    if not outcome.ok:
        _print_errors(outcome.errors, outcome.error_count, err, claims.name)
        return 2
    result = outcome.result
    if explain:
        rows = _with_id(result, explain)
        if not rows:
            err.print(f"[red]错误[/red]: {claims.name} 中没有结算ID {explain}")
            return 2
        out.print(explain_row(rows[0], _with_id(outcome.claims, explain)[0]))
        return 0
    if out_file is None:
        err.print("[red]错误[/red]: 请用 --out 指定输出 CSV,或用 --explain 查看某张结算单")
        return 2
    _write_csv(result, out_file)
    out.print(f"已结算 {result.num_rows} 张结算单({outcome.policy.label}),结果写入 {out_file}")
    return 0


def _workspace_mode(
    workspace: Path,
    year: int | None,
    policy: str | None,
    engine: str,
    explain: str | None,
    out: Console,
    err: Console,
) -> int:
    from yibao.engine import Workspace

    with Workspace.open(workspace) as ws:
        if explain:
            return _explain_stored(ws, explain, out, err)
        if year is None:
            err.print("[red]错误[/red]: 工作区模式需要 --year")
            return 2
        with out.status(f"正在复核 {year} 年度结算单 …", spinner="dots"):
            try:
                ctx = build_context(ws, year, policy=policy, engine=engine)
                outcome = run_step(ctx, SettleStep()).detail
            except StepFailed as exc:
                outcome = exc.detail
        if not outcome.ok:
            _print_errors(
                outcome.errors, outcome.error_count, err, f"{workspace} 的 {year} 年度结算单"
            )
            return 2
        n = outcome.rows
        by_hosp, by_fund = discrepancy_summary(ws, year)
        n_diff = ws.count(f"settle_discrepancies WHERE year = {int(year)}")
        out.print(
            f"已复核 {year} 年度 {n} 张结算单({outcome.policy.label});"
            f"记录的基金支付与复核结果不一致的 {n_diff} 张(见表 settle_discrepancies)"
        )
        t = RichTable(
            "基金",
            "不一致张数",
            "不一致单记录合计",
            "不一致单复核合计",
            "差额(记录−复核)",
            title="按基金",
        )
        for label, cnt, rec, comp, diff in by_fund:
            t.add_row(label, str(cnt), f"{rec:,}", f"{comp:,}", f"{diff:,}")
        out.print(t)
        if by_hosp:
            h = RichTable(
                "定点机构",
                "不一致张数",
                "统筹差额",
                "大额补助差额",
                "大病差额",
                "救助差额",
                title="按定点医药机构",
            )
            names = hospital_names(ws)
            for code, cnt, *diffs in by_hosp[:HOSPITALS_SHOWN]:
                h.add_row(hospital_label(code, names), str(cnt), *(f"{d:,}" for d in diffs))
            out.print(h)
            if len(by_hosp) > HOSPITALS_SHOWN:
                out.print(
                    f"另有 {len(by_hosp) - HOSPITALS_SHOWN} 家定点医药机构存在不一致,未列出;"
                    "全部见表 settle_discrepancies"
                )
        return 0


def _explain_stored(ws: Workspace, setl_id: str, out: Console, err: Console) -> int:
    exists = ws.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'settlements'"
    ).fetchone()[0]
    if not exists:
        err.print("[red]错误[/red]: 工作区还没有结算结果,请先运行 yibao settle WORKSPACE --year Y")
        return 2
    cur = ws.con.execute("SELECT * FROM settlements WHERE setl_id = ?", [setl_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        err.print(f"[red]错误[/red]: 没有结算ID {setl_id} 的结算结果")
        return 2
    ccur = ws.con.execute("SELECT * FROM claims WHERE setl_id = ?", [setl_id])
    claim = dict(zip([d[0] for d in ccur.description], ccur.fetchone(), strict=True))
    out.print(explain_row(dict(zip(cols, row, strict=True)), claim))
    return 0
