"""`yibao supervise`: run the rules, print a summary, write the work list, compare with truth."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from yibao.engine.workspace import Workspace, WorkspaceError
from yibao.pipeline.context import build_context
from yibao.pipeline.runs import run_step
from yibao.pipeline.steps import SuperviseStep
from yibao.policy import PolicyError
from yibao.supervise.params import SuperviseParamError
from yibao.supervise.report import ROLE_ENV, UNMASK_ROLES, unmask_allowed
from yibao.supervise.run import SuperviseError
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
) -> int:
    """Exit 0 done; 1 done but the truth targets were missed; 2 nothing done (bad request)."""
    allowed, used = unmask_allowed(role)
    if unmask and not allowed:
        roles = "、".join(sorted(UNMASK_ROLES))
        err.print(
            "[red]错误[/red]: 查看未脱敏的证件号码、姓名和诊断需要稽核或审计角色"
            f"(当前角色:{used or '无'})。请用 --role 稽核 或设置环境变量 {ROLE_ENV}=inspector;"
            f"允许的角色:{roles}"
        )
        return 2
    if engine not in ("duckdb", "pyspark"):
        err.print(f"[red]错误[/red]: 未知的计算引擎 {engine!r};可选 duckdb、pyspark")
        return 2
    try:
        ws = Workspace.open(workspace)
    except WorkspaceError as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    with ws:
        try:
            with out.status(f"正在筛查 {year} 年度 …", spinner="dots"):
                step = SuperviseStep(rules, unmask=unmask, role=used)
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
