"""`yibao finance`: run, store, write the annexes and print a short Chinese summary."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rich.console import Console

from yibao.engine.backend import EngineUnavailable, unknown_engine
from yibao.engine.workspace import Workspace, WorkspaceError
from yibao.finance.params import LEVELS, pct
from yibao.finance.retiree import RosterError
from yibao.finance.run import FinanceReport
from yibao.money import wan
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step
from yibao.pipeline.steps import FinanceStep
from yibao.policy import PolicyError

ZERO = Decimal("0.00")


def summary_lines(rep: FinanceReport) -> list[str]:
    """The console summary: what is due, what arrived, where the fund stands."""
    y = rep.year
    lines = [f"{y} 年基金财务(政策 {rep.policy_name},引擎 {rep.engine})"]
    n = sum(rep.insured.values())
    due = sum((d.due for d in rep.due), ZERO)
    if n:
        lines.append(
            f"城乡居民参保 {n:,} 人,人均财政补助 {rep.params.subsidy_per_person} 元,"
            f"应补助 {wan(due)} 万元"
        )
    for level in LEVELS:
        rows = [a for a in rep.arrivals if a.level == level]
        if not rows:
            continue
        d = sum((a.due for a in rows), ZERO)
        g = sum((a.received for a in rows), ZERO)
        s = sum((a.settlement for a in rows), ZERO)
        r = "—" if not d else pct(g / d)
        extra = f",另上年清算 {s} 元(不计入到位率)" if s else ""
        lines.append(f"  {level}:应补助 {wan(d)} 万元,到位 {wan(g)} 万元,到位率 {r}{extra}")
    for a in rep.short_levels():
        name = rep.region_names.get(a.region_code, a.region_code)
        lines.append(
            f"  [短缺] {name}({a.region_code}){a.level}少拨 {a.shortfall} 元(到位率 "
            f"{pct(a.rate) if a.rate is not None else '—'})"
        )
    b = rep.book
    if b.balances:
        lines.append(
            f"基金收入 {wan(b.income_ledger)} 万元,支出 {wan(b.expense_ledger)} 万元,"
            f"年末累计结余 {wan(b.closing or ZERO)} 万元,可支付 {b.months_of_reserve or '—'} 个月"
        )
        diffs = [ln for ln in b.lines if ln["diff"]]
        for ln in diffs:
            lines.append(f"  {ln['label']}:明细账与业务数据相差 {ln['diff']} 元")
        if b.balances[-1].gap:
            lines.append(f"  [不平] 余额与 期初+收入−支出 相差 {b.balances[-1].gap} 元")
    if rep.insurer is not None:
        i = rep.insurer
        lines.append(
            f"大病保险:保费 {wan(i.premium)} 万元,赔付 {wan(i.claims)} 万元,"
            f"盈利率 {pct(i.profit_rate) if i.profit_rate is not None else '—'};{i.note}"
        )
    if rep.retiree is not None:
        t = rep.retiree
        lines.append(
            f"离休人员 {t.retirees} 人:支付 {wan(t.paid)} 万元(含现金补足 {t.topup} 元)"
            + (f",预算执行率 {pct(t.budget_rate)}" if t.budget_rate is not None else "")
        )
    projects: dict[str, list[dict]] = {}
    for r in rep.budget:
        projects.setdefault(r["project"], []).append(r)
    for project, rows in projects.items():
        matched = [r for r in rows if r["actual"] is not None]
        budget = sum((r["budget_total"] for r in matched), ZERO)
        spent = sum((r["actual"] for r in matched), ZERO)
        text = f"预算 {project}:{len(rows)} 个科目"
        if matched:
            text += (
                f",可对应明细账的 {wan(budget)} 万元(含结转),执行 {wan(spent)} 万元,"
                f"执行率 {pct(spent / budget) if budget else '—'}"
            )
        if len(matched) < len(rows):
            text += f";{len(rows) - len(matched)} 个科目明细账无对应支出"
        lines.append(text)
    return lines


def run_finance_cli(
    *,
    workspace: Path,
    year: int,
    policy: str | None,
    engine: str,
    roster: Path | None,
    out: Console,
    err: Console,
) -> int:
    if engine not in ("duckdb", "pyspark"):
        err.print(f"[red]错误[/red]: {unknown_engine(engine)}")
        return 2
    if roster is not None and not roster.is_file():  # never silently ignored (issue 12)
        err.print(f"[red]错误[/red]: 离休人员名单文件不存在: {roster};未做任何计算")
        return 2
    try:
        with Workspace.open(workspace) as ws:
            ctx = build_context(ws, year, policy=policy, engine=engine)
            result = run_step(ctx, FinanceStep(roster))
    except (WorkspaceError, PolicyError, RosterError, EngineUnavailable) as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    rep, files = result.detail, result.outputs
    for line in summary_lines(rep):
        out.print(line, highlight=False)
    if rep.notes:
        out.print("说明:", highlight=False)
        for n in rep.notes:
            out.print(f"  · {n}", highlight=False)
    out.print(
        "结果已写入工作区表 finance_subsidy、finance_accounts、finance_balance 等;附件:",
        highlight=False,
    )
    for f in files:
        out.print(f"  {f}", highlight=False)
    return 0
