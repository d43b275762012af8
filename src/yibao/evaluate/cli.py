"""``yibao evaluate`` and ``yibao indicators``: tables and JSON lines (exact Decimal numbers)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from yibao.policy.model import PolicyError

_MARK = "\u0000D"
_RAW = re.compile(r'"\\u0000D([-0-9.E+]+)"')


def dumps(obj: dict[str, Any]) -> str:
    """JSON with every Decimal written as its exact decimal text (65.36, never 65.359999…)."""

    def enc(x: Any) -> Any:
        if isinstance(x, Decimal):
            return f"{_MARK}{x}"
        if isinstance(x, dict):
            return {k: enc(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [enc(v) for v in x]
        return x

    return _RAW.sub(r"\1", json.dumps(enc(obj), ensure_ascii=False, default=str))


def list_cli(out: Console) -> int:
    from yibao.evaluate.frameworks import framework_names, load_framework
    from yibao.indicators.registry import INDICATORS, PENDING, load_library

    load_library()
    t = RichTable(title="评价框架 / frameworks")
    for col in ("框架", "名称", "依据", "适用起始", "指标数"):
        t.add_column(col)
    for name in framework_names():
        fw = load_framework(name)
        t.add_row(fw.name, fw.label, fw.reference, str(fw.valid_from), str(len(fw.lines)))
    out.print(t)
    t = RichTable(title="指标库 / indicators")
    for col in ("代码", "名称", "单位", "方向", "来源"):
        t.add_column(col)
    for ind in INDICATORS.values():
        t.add_row(
            ind.code, ind.name, ind.unit, ind.direction, "数据" if ind.data_backed else "输入"
        )
    for code, why in PENDING.items():
        t.add_row(code, why, "", "", "待登记")
    out.print(t)
    return 0


def evaluate_cli(
    workspace: Path | None,
    framework: str,
    year: int,
    inputs: Path | None,
    as_json: bool,
    engine: str,
    user: str | None,
    out: Console,
    err: Console,
) -> int:
    from yibao.evaluate.frameworks import load_framework
    from yibao.evaluate.inputs import load_inputs
    from yibao.evaluate.run import EvaluateError, evaluate

    try:
        fw = load_framework(framework)
        if workspace is None:
            inp = load_inputs(inputs, fw, user=user) if inputs else None
            ev = evaluate(fw, year, inputs=inp, engine=engine)
        else:
            ev = _in_workspace(workspace, framework, year, inputs, engine, user)
    except (PolicyError, EvaluateError) as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    except _Failed as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    if as_json:
        for x in ev.lines:
            out.file.write(dumps(x.as_json()) + "\n")
        out.file.write(dumps(ev.summary()) + "\n")
        return 0
    print_evaluation(ev, out)
    return 0


class _Failed(Exception):
    pass


def _in_workspace(
    workspace: Path, framework: str, year: int, inputs: Path | None, engine: str, user: str | None
):  # noqa: ANN202
    from yibao.control.cases import CaseSyncStep
    from yibao.engine import Workspace
    from yibao.engine.workspace import WorkspaceError
    from yibao.evaluate.step import EvaluateStep
    from yibao.pipeline.context import build_context
    from yibao.pipeline.contract import StepFailed
    from yibao.pipeline.runs import run_step

    try:
        ws = Workspace.open(workspace)
    except WorkspaceError as exc:
        raise _Failed(str(exc)) from None
    with ws:
        ctx = build_context(ws, year, engine=engine, user=user)
        try:
            # The case indicators read the workbench's cases: sync them first, as yibao run does.
            run_step(ctx, CaseSyncStep())
            return run_step(ctx, EvaluateStep(framework, inputs)).detail
        except StepFailed as exc:
            raise _Failed(str(exc)) from None


def print_evaluation(ev, out: Console) -> None:  # noqa: ANN001
    """The score table: 一级/三级 indicator, target, actual, completion, weight, score, source."""
    from yibao.evaluate.deviation import fmt

    """The score table: 一级/三级 indicator, target, actual, completion, weight, score, source."""
    fw = ev.framework
    t = RichTable(title=f"{fw.label}({ev.year} 年,框架 {fw.name})")
    for col in ("序号", "一级指标", "三级指标", "目标", "实际", "完成率", "分值", "得分", "来源"):
        t.add_column(col)
    for x in ev.lines:
        j = x.as_json()
        actual = (
            "—"
            if x.actual is None
            else fmt(x.actual, "" if isinstance(x.actual, str) else j["unit"])
        )
        t.add_row(
            str(x.seq),
            j["level1"] or "",
            x.name,
            x.target,
            actual,
            "" if x.completion is None else f"{x.completion}%",
            str(x.weight),
            str(x.score),
            {"query": "数据", "input": "输入", "missing": "缺失"}[x.source],
        )
    out.print(t)
    out.print(f"总分 {ev.total} 分,等级 {ev.grade}(依据:{fw.reference})")
    if ev.note:
        out.print(ev.note)
    for x in ev.lines:
        if x.deviation and x.code != "manual_adjustment":
            out.print(f"[yellow]偏离[/yellow] {x.name}:{x.deviation}")
            out.print(f"  改进措施(草稿):{x.remedy}")


def indicators_cli(
    workspace: Path,
    year: int,
    codes: str | None,
    as_json: bool,
    engine: str,
    out: Console,
    err: Console,
) -> int:
    from yibao.engine import Workspace
    from yibao.engine.workspace import WorkspaceError
    from yibao.indicators.compute import compute
    from yibao.indicators.registry import get_indicator
    from yibao.pipeline.context import resolve_policy

    wanted = [c.strip() for c in codes.split(",") if c.strip()] if codes else None
    try:
        for c in wanted or []:
            get_indicator(c)
        ws = Workspace.open(workspace)
    except (KeyError, WorkspaceError) as exc:
        err.print(f"[red]错误[/red]: {str(exc).strip(chr(39))}")
        return 2
    with ws:
        values, notes = compute(ws, year, wanted, engine=engine, policy=resolve_policy(ws, None))
    for n in notes:
        err.print(f"[yellow]注意[/yellow]: {n.text}")
    if as_json:
        for v in values:
            out.file.write(dumps(v.as_json()) + "\n")
        return 0
    t = RichTable(title=f"{year} 年绩效指标")
    for col in ("代码", "名称", "区划", "值", "单位", "分子", "分母"):
        t.add_column(col)
    for v in values:
        j = v.as_json()
        t.add_row(
            v.code,
            j["name"],
            v.region_code or "合计",
            str(v.value),
            v.unit,
            str(v.numerator),
            str(v.denominator),
        )
    out.print(t)
    return 0


def evaluation_markdown(ev, heading: str) -> str:  # noqa: ANN001
    """The score table as a Markdown report section (the demo report appends it)."""
    fw = ev.framework
    lines = [
        heading,
        "",
        f"框架 `{fw.name}`:{fw.label}(依据:{fw.reference})。",
        "",
        "| 序号 | 一级指标 | 三级指标 | 目标 | 实际 | 完成率 | 分值 | 得分 | 来源 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in ev.lines:
        j = x.as_json()
        actual = "—" if x.actual is None else str(x.actual)
        done = "" if x.completion is None else f"{x.completion}%"
        lines.append(
            f"| {x.seq} | {j['level1'] or ''} | {x.name} | {x.target} | {actual} | {done} | "
            f"{x.weight} | {x.score} | {x.source} |"
        )
    lines += ["", f"**总分 {ev.total} 分,等级 {ev.grade}**(总分为各行四舍五入后得分之和)。", ""]
    for x in ev.lines:
        if x.deviation:
            lines.append(f"- {x.name}:偏离原因(草稿){x.deviation};改进措施(草稿){x.remedy}")
    return "\n".join(lines) + "\n"
