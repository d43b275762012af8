"""`yibao supervise`: run the rules, print a summary, write the work list, compare with truth."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from yibao.control.users import AccessDenied, record_unmask, require_unmask
from yibao.engine.backend import unknown_engine
from yibao.engine.workspace import Workspace, WorkspaceError
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step
from yibao.pipeline.steps import SuperviseStep
from yibao.policy import PolicyError
from yibao.supervise.params import SuperviseParamError
from yibao.supervise.report import report_path
from yibao.supervise.run import SuperviseError, SuperviseOutcome
from yibao.supervise.truth import PRECISION_TARGET, RECALL_TARGET, compare_truth


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def run_supervise(
    *,
    workspace: Path,
    year: int,
    rules: str | None,
    engine: str,
    unmask: bool,
    role: str | None,
    against_truth: Path | None,
    policy: str | None,
    out: Console,
    err: Console,
    user: str | None = None,
) -> int:
    """Exit 0 done; 1 done but the truth targets were missed; 2 nothing done (bad request).

    ``--unmask`` needs a user of the workspace's user store whose role may unmask
    (:mod:`yibao.control.users`); ``role`` (the old ``--role``/``YIBAO_ROLE``) grants nothing.
    """
    if role and not unmask:
        err.print("[yellow]提示[/yellow]: --role 已停用,角色取自用户库(yibao user add)")
    if engine not in ("duckdb", "pyspark"):
        err.print(f"[red]错误[/red]: {unknown_engine(engine)}")
        return 2
    try:
        ws = Workspace.open(workspace)
    except WorkspaceError as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    with ws:
        try:
            who = require_unmask(ws.con, user) if unmask else None
        except AccessDenied as exc:
            err.print(f"[red]错误[/red]: {exc}")
            if role:
                err.print("  (--role 和 YIBAO_ROLE 不再授予查看权限:角色须来自用户库)")
            return 2
        try:
            with out.status(f"正在筛查 {year} 年度 …", spinner="dots"):

                def audit(outcome: SuperviseOutcome) -> None:
                    """Written before the unmasked work list exists (issue 11: audit first)."""
                    record_unmask(
                        ws.con,
                        who,
                        "supervise --unmask",
                        scope=f"supervise_findings year={year}",
                        rows=sum(r.findings for r in outcome.runs),
                        output=str(report_path(ws, year, True)),
                    )

                label = f"{who.name}({who.role})" if who else ""
                step = SuperviseStep(
                    rules, unmask=unmask, role=label, before_unmask=audit if who else None
                )
                result = run_step(build_context(ws, year, policy=policy, engine=engine), step)
                outcome, path = result.detail, Path(result.outputs[0])
        except (SuperviseError, SuperviseParamError, PolicyError) as exc:
            err.print(f"[red]错误[/red]: {exc}")
            return 2
        t = RichTable("规则", "名称", "线索数", "涉及金额(元)", "用时(秒)")
        for run in outcome.runs:
            if run.skipped:
                t.add_row(run.rule.code, run.rule.name, "未运行", "", run.skipped)
            else:
                t.add_row(
                    run.rule.code,
                    run.rule.name,
                    str(run.findings),
                    f"{run.amount:,.2f}",
                    f"{run.seconds:.2f}",
                )
        out.print(t)
        for w in outcome.warnings:
            err.print(f"[yellow]提示[/yellow]: {w}")
        total = sum(r.findings for r in outcome.runs)
        masked = "未脱敏" if unmask else "证件号码、姓名、诊断已脱敏"
        out.print(f"共 {total} 条线索,工作清单({masked}): {path}")
        if against_truth is None:
            return 0
        try:
            scores = compare_truth(
                ws, year, against_truth, [r.rule.code for r in outcome.runs if not r.skipped]
            )
        except FileNotFoundError as exc:
            err.print(f"[red]错误[/red]: {exc}")
            return 2
    t = RichTable("异常类型", "规则", "埋设", "发现", "命中", "召回率", "精确率", "达标")
    missed = False
    for s in scores:
        if s.rule is None:
            t.add_row(s.kind, "—(不属于监管筛查)", str(s.planted), "", "", "", "", "")
            continue
        ok = s.meets_targets
        missed |= not ok
        t.add_row(
            s.kind,
            s.rule,
            str(s.planted),
            str(s.found),
            str(s.matched),
            _pct(s.recall),
            _pct(s.precision),
            "是" if ok else "[red]否[/red]",
        )
    out.print(t)
    out.print(f"目标:召回率 ≥ {RECALL_TARGET:.0%},精确率 ≥ {PRECISION_TARGET:.0%}(每种埋设类型)")
    return 1 if missed else 0
