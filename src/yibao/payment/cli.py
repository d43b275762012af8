"""`yibao payment WORKSPACE --year Y --method budget|dip` and `yibao payment build-catalogue`."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from yibao.engine.workspace import Workspace, WorkspaceError
from yibao.payment.step import CatalogueStep, PaymentStep
from yibao.pipeline.context import build_context
from yibao.pipeline.contract import StepFailed
from yibao.pipeline.runs import run_step
from yibao.policy.model import PolicyError


def parse_years(text: str | None) -> list[int]:
    try:
        years = sorted({int(y) for y in (text or "").split(",") if y.strip()})
    except ValueError:
        raise ValueError(f"--years 应写作 2017,2018,2019,得到 {text!r}") from None
    if not years:
        raise ValueError("build-catalogue 需要 --years Y1,Y2,Y3")
    return years


def run_payment_cli(
    *,
    target: str,
    workspace: Path | None,
    year: int | None,
    method: str,
    years: str | None,
    scores: Path | None,
    policy: str | None,
    engine: str,
    out: Console,
    err: Console,
) -> int:
    catalogue = target == "build-catalogue"
    ws_path = workspace if catalogue else Path(target)
    if ws_path is None:
        err.print(
            "[red]错误[/red]: 缺少工作区目录:yibao payment build-catalogue WORKSPACE --years …"
        )
        return 2
    try:
        if catalogue:
            step_years = parse_years(years)
            step = CatalogueStep(step_years)
            ctx_year = max(step_years)
        else:
            if year is None:
                err.print("[red]错误[/red]: 缺少 --year")
                return 2
            step, ctx_year = PaymentStep(method, scores), year
        ws = Workspace.open(ws_path)
    except (ValueError, StepFailed, WorkspaceError) as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    with ws:
        try:
            with out.status("计算中 …", spinner="dots"):
                result = run_step(build_context(ws, ctx_year, policy=policy, engine=engine), step)
        except StepFailed as exc:
            err.print(f"[red]错误[/red]: {exc}")
            return 2
        except PolicyError as exc:
            err.print(f"[red]错误[/red]: {exc}")
            return 2
    for n in result.notes:
        err.print(f"[yellow]提示[/yellow]: {n.text}")
    if catalogue:
        info = result.detail
        out.print(
            f"病种目录 {info['catalogue_id']}:核心病种 {info['core_groups']} 个"
            f"(例数 ≥ {info['cutoff']},覆盖 {info['core_coverage']:.2%} 病例),"
            f"综合病种 {info['integrated_groups']} 个,共 {info['cases']:,} 例"
        )
        return 0
    s = result.detail.summary
    t = RichTable("项目", "值")
    for k, v in s.items():
        if k != "params":
            t.add_row(k, str(v))
    out.print(t)
    out.print(f"医院清算表: {result.outputs[0]}")
    return 1 if result.findings else 0
