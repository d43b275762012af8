"""Command line: ``yibao …`` (Typer).  Help texts are bilingual; messages to users are Chinese."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable
from rich.text import Text

from yibao.console import SafeConsole as Console
from yibao.crash import SafeGroup
from yibao.pipeline.contract import Engine

app = typer.Typer(
    help="yibao 医保: 医保基金运行与绩效评价 / medical-insurance fund toolkit. "
    "退出码 exit: 0 完成, 1 部分完成(见各命令), 2 请求被拒绝, 3 程序内部错误(见日志)",
    no_args_is_help=True,
    add_completion=False,
    cls=SafeGroup,
)
policy_app = typer.Typer(help="政策参数 / dated policy parameters", no_args_is_help=True)
schema_app = typer.Typer(help="标准数据结构 / canonical schema", no_args_is_help=True)
bench_app = typer.Typer(help="性能测量 / benchmarks", no_args_is_help=True)
user_app = typer.Typer(help="本地用户与角色 / local users and roles", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(user_app, name="user")
app.add_typer(schema_app, name="schema")
app.add_typer(bench_app, name="bench")

# Piped output (files, CI logs, tests) gets wide lines instead of folded table cells.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]错误[/red]: {message}")
    raise typer.Exit(code)


@app.command()
def init(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace directory")],
    policy: Annotated[str, typer.Option(help="政策预设或 YAML / policy preset")] = "demo-county",
    name: Annotated[str | None, typer.Option(help="工作区名称")] = None,
) -> None:
    """新建工作区 / create a workspace (yibao.yaml + workspace.duckdb)."""
    from yibao.engine import Workspace
    from yibao.engine.workspace import is_workspace

    if is_workspace(workspace):
        _fail(f"{workspace} 已经是 yibao 工作区,未做任何改动(要重新开始请换一个目录)")
    if workspace.exists() and not workspace.is_dir():
        _fail(f"{workspace} 是一个文件,不能作为工作区目录")
    with Workspace.create(workspace, name=name, policy=policy):
        pass
    out.print(f"已创建工作区 {workspace}")


def ingest_notes(result) -> list[str]:  # noqa: ANN001 - IngestResult
    """What ingest skipped or dropped, one line each (titles, blank/total rows, headers)."""
    lines = []
    if result.title_rows:
        lines.append(
            f"已跳过表头上方的 {len(result.title_rows)} 行(标题): {'、'.join(result.title_rows)}"
        )
    if result.rows_blank or result.rows_totals:
        lines.append(
            f"已跳过 {result.rows_blank} 个空行(或表尾说明行)、"
            f"{result.rows_totals} 个合计/小计/总计行(不是数据,未导入也未隔离)"
        )
    if result.ignored_headers:
        lines.append(f"未识别的列(未导入): {'、'.join(result.ignored_headers)}")
    for hint in result.header_hints:
        lines.append(f"  {hint}如是,请把该列表头改为建议的名称后重新导入")
    return lines


@app.command()
def ingest(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    file: Annotated[Path, typer.Argument(help="CSV(UTF-8/GBK) / XLSX / Parquet 文件")],
    table: Annotated[str, typer.Option("--table", "-t", help="目标表 / target table, e.g. claims")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果")] = False,
) -> None:
    """导入文件 / load a file. 退出码 exit: 0 全部接收, 1 部分行被隔离, 2 文件被拒绝(未导入)."""
    from yibao.engine import Workspace
    from yibao.engine.workspace import WorkspaceError
    from yibao.ingest import ingest_file

    try:  # never created implicitly: a mistyped path must not become a new workspace
        ws = Workspace.open(workspace)
    except WorkspaceError as exc:
        _fail(str(exc))
    with ws, out.status(f"正在导入 {file.name} → {table} …", spinner="dots") as status:
        result = ingest_file(
            ws,
            file,
            table,
            step=lambda name: status.update(f"正在导入 {file.name} → {table}:{name} …"),
        )
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        style = {0: "green", 1: "yellow", 2: "red"}[result.exit_status]
        out.print(f"[{style}]{result.message}[/{style}]")
        for line in ingest_notes(result):
            out.print(Text(line))
        for reason, n in result.reasons:
            out.print(Text(f"  隔离 {n} 行: {reason}"))
    raise typer.Exit(result.exit_status)


@app.command()
def quarantine(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    load_id: Annotated[int | None, typer.Option(help="只看某个导入批次")] = None,
    limit: Annotated[int, typer.Option(help="最多显示行数")] = 50,
    unmask: Annotated[
        bool, typer.Option(help="显示未脱敏的个人信息(需用户库中的稽核/审计用户)")
    ] = False,
    user: Annotated[
        str | None, typer.Option(help="用户名(或环境变量 YIBAO_USER);密码见 YIBAO_PASSWORD")
    ] = None,
) -> None:
    """查看被隔离的行及原因 / list quarantined cells with their reasons."""
    from yibao.control.users import record_unmask, require_unmask
    from yibao.engine import Workspace
    from yibao.privacy import mask_value

    with Workspace.open(workspace, read_only=not unmask) as ws:
        who = require_unmask(ws.con, user) if unmask else None
        where = "WHERE load_id = ?" if load_id is not None else ""
        rows = ws.con.execute(
            "SELECT load_id, file_name, row_no, column_name, header, value, reason "
            f"FROM _quarantine "
            f"{where} ORDER BY load_id, row_no, column_name LIMIT ?",
            [*([load_id] if load_id is not None else []), int(limit)],
        ).fetchall()
        if who is not None:
            scope = f"_quarantine load_id={load_id}" if load_id is not None else "_quarantine"
            record_unmask(ws.con, who, "quarantine --unmask", scope=scope, rows=len(rows))
    t = RichTable("批次", "文件", "行", "列", "值", "原因")
    for lid, fname, row, col, header, value, reason in rows:
        shown = value if unmask else mask_value(col, value)
        cells = (str(lid), fname, str(row), header or _column_label(col), shown or "", reason)
        t.add_row(*(Text(c) for c in cells))  # data: never markup
    out.print(t)


def _column_label(col: str) -> str:
    return "整行" if col == "_record" else col


@app.command()
def idcheck(
    ids: Annotated[list[str] | None, typer.Argument(help="身份证号 / resident ID numbers")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="每行一个号码的文本文件")
    ] = None,
) -> None:
    """校验身份证号(GB 11643) / check resident IDs; one JSON object per line, exit 0."""
    from yibao.identity.idcard import check_id

    values = list(ids or [])
    if file is not None:
        if not file.is_file():
            _fail(f"文件不存在: {file}")
        values += [
            ln.strip() for ln in file.read_text(encoding="utf-8-sig").splitlines() if ln.strip()
        ]
    if not values:
        _fail("请给出至少一个身份证号,或用 --file 指定文件")
    for v in values:
        print(json.dumps(check_id(v).to_json_dict(), ensure_ascii=False))


@app.command()
def synth(
    preset: Annotated[str, typer.Option(help="合成区域预设 / region preset, e.g. yiyang-2019")],
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录 / output directory")],
    scale: Annotated[float, typer.Option(help="规模(1 = 预设的全部参保人)")] = 0.01,
    seed: Annotated[int, typer.Option(help="随机种子;同一种子输出逐字节相同")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx | parquet")] = "csv",
    encoding: Annotated[str, typer.Option(help="CSV 编码 utf-8 | gbk")] = "utf-8",
    rate: Annotated[
        list[str] | None, typer.Option(help="异常比例 类型=比例, 可多次 / anomaly rate")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出清单")] = False,
    years: Annotated[
        int, typer.Option(help="连续年度数(1–3);之前年度的结算单写入 claims_年度 文件")
    ] = 1,
) -> None:
    """生成合成区域数据 / synthetic region exports with planted anomalies and ground truth."""
    from yibao.synth.cli import run_synth

    raise typer.Exit(
        run_synth(
            preset=preset,
            out_dir=out_dir,
            scale=scale,
            seed=seed,
            fmt=fmt,
            encoding=encoding,
            rates=rate or [],
            as_json=as_json,
            years=years,
            out=out,
            err=err,
        )
    )


@app.command()
def settle(
    workspace: Annotated[Path | None, typer.Argument(help="工作区目录(与 --claims 二选一)")] = None,
    year: Annotated[int | None, typer.Option(help="结算年度(工作区模式)")] = None,
    policy: Annotated[str | None, typer.Option(help="政策预设或 YAML 文件")] = None,
    claims: Annotated[Path | None, typer.Option(help="结算单文件 CSV/XLSX/Parquet")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="输出 CSV")] = None,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    explain: Annotated[str | None, typer.Option(help="逐步说明某张结算单(结算ID)")] = None,
) -> None:
    """一站式结算复核 / re-settle claims: basic, 大病保险, 医疗救助, 离休; exit 2 on bad input."""
    from yibao.settle.cli import run_settle

    raise typer.Exit(
        run_settle(
            workspace=workspace,
            year=year,
            policy=policy,
            claims=claims,
            out_file=out_file,
            engine=engine.value,
            explain=explain,
            out=out,
            err=err,
        )
    )


@app.command()
def finance(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    year: Annotated[int, typer.Option(help="年度 / year")],
    policy: Annotated[str | None, typer.Option(help="政策预设或 YAML 文件")] = None,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    retirees: Annotated[
        Path | None, typer.Option(help="离休人员名单 CSV(人员编号, 参加革命工作时期)")
    ] = None,
) -> None:
    """基金财务 / financing: 补助应拨与到位、缴费、收支结余、大病保险结算、离休; xlsx 附件."""
    from yibao.finance.cli import run_finance_cli

    raise typer.Exit(
        run_finance_cli(
            workspace=workspace,
            year=year,
            policy=policy,
            engine=engine.value,
            roster=retirees,
            out=out,
            err=err,
        )
    )


@app.command()
def supervise(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    year: Annotated[int, typer.Option(help="筛查年度 / year")],
    rules: Annotated[
        str | None, typer.Option(help="只运行这些规则,逗号分隔 / rule codes, comma-separated")
    ] = None,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    unmask: Annotated[bool, typer.Option(help="工作清单显示未脱敏的个人信息(需稽核角色)")] = False,
    role: Annotated[
        str | None, typer.Option(help="已停用:角色取自用户库(yibao user add),见 --user")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="--unmask 的用户名(或环境变量 YIBAO_USER);密码见 YIBAO_PASSWORD"),
    ] = None,
    against_truth: Annotated[
        Path | None, typer.Option(help="yibao synth 输出目录:按真值计算召回率和精确率")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="政策预设或 YAML(默认取工作区设置)")] = None,
) -> None:
    """基金监管筛查 / screening rules → ranked findings, xlsx work list (exit 1: targets missed)."""
    from yibao.supervise.cli import run_supervise

    raise typer.Exit(
        run_supervise(
            workspace=workspace,
            year=year,
            rules=rules,
            engine=engine.value,
            unmask=unmask,
            role=role,
            user=user,
            against_truth=against_truth,
            policy=policy,
            out=out,
            err=err,
        )
    )


@app.command()
def payment(
    target: Annotated[
        str, typer.Argument(help="工作区目录,或 build-catalogue / workspace, or build-catalogue")
    ],
    workspace: Annotated[Path | None, typer.Argument(help="build-catalogue 时的工作区目录")] = None,
    year: Annotated[int | None, typer.Option(help="清算年度 / year")] = None,
    method: Annotated[str, typer.Option(help="支付方式 budget(总额控制)或 dip")] = "budget",
    years: Annotated[
        str | None, typer.Option(help="build-catalogue:数据年度,如 2017,2018,2019")
    ] = None,
    scores: Annotated[
        Path | None, typer.Option(help="考核得分 CSV(定点医疗机构编号, 考核得分),返还保证金")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="政策预设或 YAML(默认取工作区设置)")] = None,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
) -> None:
    """医保支付 / hospital payment: 总额控制或 DIP 清算, xlsx; build-catalogue 生成 DIP 目录.

    Exit 1 when hospitals are flagged (ahead of budget pace at year end, suspected up-coding)."""
    from yibao.payment.cli import run_payment_cli

    raise typer.Exit(
        run_payment_cli(
            target=target,
            workspace=workspace,
            year=year,
            method=method,
            years=years,
            scores=scores,
            policy=policy,
            engine=engine.value,
            out=out,
            err=err,
        )
    )


@app.command()
def run(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    year: Annotated[int, typer.Option(help="年度 / year")],
    source: Annotated[
        Path | None, typer.Option("--from", help="导出文件目录:按文件名或表头识别各表后导入")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="政策预设或 YAML(默认取工作区设置)")] = None,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
) -> None:
    """导入一个目录的导出文件并运行全部步骤 / ingest a folder, then settle, finance, supervise.

    退出码 exit: 0 全部完成且无隔离行和线索, 1 有隔离行、未识别文件或线索, 2 有文件被拒绝或步骤失败.
    """
    from yibao.pipeline.cli import run_cli

    raise typer.Exit(run_cli(workspace, year, source, policy, engine.value, out, err))


@app.command()
def check(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    as_json: Annotated[bool, typer.Option("--json", help="每项核对输出一行 JSON")] = False,
) -> None:
    """数据核对 / run every declared identity and key check; exit 1 lists the failing rows."""
    from yibao.pipeline.cli import check_cli

    raise typer.Exit(check_cli(workspace, as_json, out, err))


@app.command()
def trace(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    table: Annotated[str, typer.Argument(help="表名,如 finance_subsidy_due / table")],
    where: Annotated[
        list[str] | None, typer.Option("--where", help="条件 列名=值,可多次 / column=value")
    ] = None,
    limit: Annotated[int, typer.Option(help="最多追溯的行数")] = 5,
    show_sql: Annotated[bool, typer.Option("--sql", help="显示产生该表的查询文本")] = False,
) -> None:
    """追溯来源 / from a stored row to its run, query and source file rows."""
    from yibao.pipeline.cli import trace_cli

    raise typer.Exit(trace_cli(workspace, table, where or [], limit, show_sql, out, err))


@app.command()
def report(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    year: Annotated[int, typer.Option(help="年度 / year")],
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录 / output directory")],
    framework: Annotated[
        str, typer.Option(help="绩效评价框架,如 self-2020 / evaluation framework")
    ],
    kind: Annotated[
        str, typer.Option(help="self 自评报告 | evaluation 第三方评价报告 | yearbook 年鉴")
    ] = "self",
    pdf: Annotated[bool, typer.Option("--pdf", help="同时用 LibreOffice 生成 PDF")] = False,
) -> None:
    """生成绩效报告 / write the report: docx (GB/T 9704), xlsx annexes, html, pdf."""
    from yibao.report.cli import report_cli

    raise typer.Exit(report_cli(workspace, framework, year, out_dir, kind, pdf, out, err))


@app.command("check-report")
def check_report_cmd(
    file: Annotated[Path, typer.Argument(help="报告文件 .docx / .txt / .md / .pdf(有文字层)")],
    as_json: Annotated[bool, typer.Option("--json", help="每条发现输出一行 JSON")] = False,
) -> None:
    """核对任何人写的报告中的数字关系 / check the arithmetic a report states.

    退出码 exit: 0 没有发现问题, 1 有发现, 2 文件无法读取.
    """
    from yibao.report.checker.cli import check_report_cli

    raise typer.Exit(check_report_cli(file, as_json, out, err))


@app.command()
def evaluate(
    workspace: Annotated[
        Path | None, typer.Argument(help="工作区目录(全部指标由 --inputs 给出时可省略)")
    ] = None,
    framework: Annotated[str | None, typer.Option(help="评价框架,如 self-2020 / framework")] = None,
    year: Annotated[int | None, typer.Option(help="评价年度 / year")] = None,
    inputs: Annotated[
        Path | None, typer.Option(help="手工输入值 YAML(录入人、取值、原文依据)/ manual inputs")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="每个指标一行 JSON,最后一行为总分和等级")
    ] = False,
    list_all: Annotated[bool, typer.Option("--list", help="列出评价框架和指标 / list")] = False,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    user: Annotated[str | None, typer.Option(help="录入人 / who enters the inputs")] = None,
) -> None:
    """绩效评价 / score a framework: targets, actuals, scores, grade, deviation drafts."""
    from yibao.evaluate.cli import evaluate_cli, list_cli

    if list_all:
        raise typer.Exit(list_cli(out))
    if framework is None or year is None:
        _fail("需要 --framework 和 --year(或 --list)")
    raise typer.Exit(
        evaluate_cli(workspace, framework, year, inputs, as_json, engine.value, user, out, err)
    )


@app.command()
def indicators(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    year: Annotated[int, typer.Option(help="年度 / year")],
    codes: Annotated[str | None, typer.Option(help="指标代码,逗号分隔 / codes")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="每个指标和区划一行 JSON")] = False,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
) -> None:
    """计算绩效指标 / compute indicators per region and in total, without a framework."""
    from yibao.evaluate.cli import indicators_cli

    raise typer.Exit(indicators_cli(workspace, year, codes, as_json, engine.value, out, err))


@policy_app.command("list")
def policy_list() -> None:
    """列出内置政策预设 / list built-in presets."""
    from yibao.policy import load_policy, preset_names

    for name in preset_names():
        p = load_policy(name)
        out.print(f"{name}\t{p.label}")


@policy_app.command("show")
def policy_show(
    preset: Annotated[str, typer.Argument(help="预设名或 YAML 文件 / preset or file")],
    on: Annotated[str, typer.Option("--date", help="生效日期 YYYY-MM-DD / effective date")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """显示某日生效的参数 / print the parameters in force on a date."""
    from yibao.policy import PolicyError, load_policy
    from yibao.policy.render import policy_json, policy_table

    try:
        when = date.fromisoformat(on) if on else date.today()
    except ValueError:
        _fail(f"日期 {on!r} 无效,应为 YYYY-MM-DD")
    try:
        pol = load_policy(preset)
    except PolicyError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(policy_json(pol, when), ensure_ascii=False, indent=2))
    else:
        out.print(policy_table(pol, when))


@policy_app.command("new")
def policy_new(
    region: Annotated[str, typer.Argument(help="地区名称,如 赫山区 / region name")],
    source: Annotated[str, typer.Option("--from", help="从哪个预设或文件复制")] = "demo-county",
    out_file: Annotated[Path | None, typer.Option("--out", help="写入文件(默认 地区.yaml)")] = None,
) -> None:
    """生成带注释的本地政策模板 / write a commented policy file for a region to fill in."""
    from yibao.policy import PolicyError, load_policy
    from yibao.policy.template import write_template

    target = out_file or Path(f"{region}.yaml")
    try:
        write_template(region, source, target)
        p = load_policy(str(target))
    except PolicyError as exc:
        _fail(str(exc))
    out.print(
        f"已写入 {target}({len(p.parameters)} 个参数,取值来自 {source},须按本地实施细则改写);"
        f"改完后运行 yibao policy check {target}"
    )


@policy_app.command("check")
def policy_check(
    files: Annotated[list[str], typer.Argument(help="预设名或 YAML 文件")],
) -> None:
    """检查政策文件格式 / validate policy files."""
    from yibao.policy import PolicyError, load_policy

    bad = 0
    for f in files:
        try:
            p = load_policy(f)
            out.print(f"[green]通过[/green] {f}: {len(p.parameters)} 个参数")
        except PolicyError as exc:
            err.print(f"[red]错误[/red] {exc}")
            bad += 1
    raise typer.Exit(2 if bad else 0)


@schema_app.command("docs")
def schema_docs(
    out_file: Annotated[Path | None, typer.Option("--out", help="写入文件(默认打印)")] = None,
) -> None:
    """生成 docs/schema.md / generate the schema documentation."""
    from yibao.schema.docs import render_schema_md

    text = render_schema_md()
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"已写入 {out_file}")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="演示工作区目录")] = Path("out/demo"),
    quick: Annotated[bool, typer.Option("--quick", help="快速模式(一分钟内完成)")] = False,
) -> None:
    """端到端演示 / run every step that exists on sample data, ending with the reports."""
    from yibao.demo import run_demo

    code = run_demo(out_dir, quick=quick, console=out)
    raise typer.Exit(code)


@bench_app.command("ingest")
def bench_ingest(
    rows: Annotated[int, typer.Option(help="生成的结算单行数")] = 1_000_000,
    encoding: Annotated[str, typer.Option(help="utf-8 或 gbk")] = "utf-8",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    workdir: Annotated[Path | None, typer.Option(help="临时目录")] = None,
) -> None:
    """测量导入吞吐量和峰值内存 / measure ingest throughput and peak memory."""
    from yibao.bench import bench_ingest as run

    res = run(rows=rows, encoding=encoding, workdir=workdir)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        for k, v in res.items():
            out.print(f"{k}: {v}")


@bench_app.command("synth")
def bench_synth_cmd(
    preset: Annotated[str, typer.Option(help="合成区域预设")] = "yiyang-2019",
    scale: Annotated[float, typer.Option(help="规模")] = 1.0,
    fmt: Annotated[str, typer.Option("--format", help="csv | parquet")] = "csv",
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """生成器速度与峰值内存 / generator rows/s and peak memory (issue 4)."""
    from yibao.bench import bench_synth

    res = bench_synth(preset, scale, fmt)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        for k, v in res.items():
            out.print(f"{k}: {v}")


@bench_app.command("payment")
def bench_payment_cmd(
    preset: Annotated[str, typer.Option(help="合成区域预设")] = "yiyang-2019",
    scale: Annotated[float, typer.Option(help="规模")] = 1.0,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """支付清算用时 / three generated years → DIP catalogue, DIP and budget control (issue 15)."""
    from yibao.payment.bench import bench_payment

    res = bench_payment(preset, scale, engine.value)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        for k, v in res.items():
            out.print(f"{k}: {v}")


@bench_app.command("settle")
def bench_settle_cmd(
    claims: Annotated[int, typer.Option("--claims", help="生成并结算的结算单数")] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    repeat: Annotated[int, typer.Option(help="每项重复次数,报告中位数")] = 3,
    memory_limit: Annotated[str, typer.Option(help="DuckDB 内存上限")] = "3GB",
) -> None:
    """测量一站式结算链的速度(与单次扫描、单次窗口计算对比) / settle benchmark."""
    from yibao.bench import bench_settle

    res = bench_settle(claims, memory_limit=memory_limit, repeat=repeat)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        for k, v in res.items():
            out.print(f"{k}: {v}")


@bench_app.command("supervise")
def bench_supervise_cmd(
    workspace: Annotated[
        Path, typer.Argument(help="已导入并结算的工作区;不存在时配合 --preset 生成")
    ],
    year: Annotated[int | None, typer.Option(help="筛查年度(用 --preset 生成时取其年度)")] = None,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    preset: Annotated[
        str | None, typer.Option(help="工作区不存在时先用 yibao synth 生成,如 yiyang-2019")
    ] = None,
    scale: Annotated[float, typer.Option(help="生成规模")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """测量全部监管规则的用时和峰值内存 / time the whole rule catalogue on a workspace."""
    from yibao.bench import bench_supervise

    res = bench_supervise(workspace, year, engine=engine, preset=preset, scale=scale)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        for k, v in res.items():
            out.print(f"{k}: {v}")


@bench_app.command("city")
def bench_city_cmd(
    preset: Annotated[str, typer.Option(help="合成区域预设")] = "yiyang-2019",
    scale: Annotated[float, typer.Option(help="规模")] = 1.0,
    seed: Annotated[int, typer.Option(help="随机种子")] = 1,
    engine: Annotated[Engine, typer.Option(help="计算引擎 / engine")] = Engine.duckdb,
    cache: Annotated[Path | None, typer.Option(help="区域数据缓存目录")] = None,
    memory_limit: Annotated[str, typer.Option(help="工作区 DuckDB 内存上限")] = "4GB",
    pdf: Annotated[bool, typer.Option("--pdf", help="报告步骤同时生成 PDF")] = False,
    keep: Annotated[bool, typer.Option("--keep", help="保留测量用的工作区")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """城市年度 yibao run 逐步用时、CPU 与峰值内存 / time yibao run step by step."""
    from yibao.benchcity import city_cli

    raise typer.Exit(
        city_cli(preset, scale, seed, engine.value, cache, memory_limit, pdf, keep, as_json, out)
    )


_WS_OPTION = typer.Option(
    "--workspace", "-w", help="工作区目录(默认环境变量 YIBAO_WORKSPACE 或当前目录)"
)


def _user_ws(workspace: Path | None) -> Path:
    import os

    return workspace or Path(os.environ.get("YIBAO_WORKSPACE", "."))


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="用户名 / user name")],
    role: Annotated[str, typer.Option(help="角色:稽核、审计、科员、管理员")],
    workspace: Annotated[Path | None, _WS_OPTION] = None,
) -> None:
    """添加或更新用户(密码加盐散列后存入工作区) / add a user; password from prompt or
    YIBAO_PASSWORD."""
    from yibao.control.users import PASSWORD_ENV, add_user, canonical_role, read_password
    from yibao.engine import Workspace

    canonical_role(role)  # refuse an unknown role before asking for a password
    password = read_password(f"用户 {name} 的新密码: ")
    if password is None:
        _fail(f"需要密码:请在终端中运行,或设置环境变量 {PASSWORD_ENV}")
    with Workspace.open(_user_ws(workspace)) as ws:
        u = add_user(ws.con, name, role, password)
    out.print(f"已添加用户 {u.name}(角色:{u.role})")


@user_app.command("list")
def user_list(workspace: Annotated[Path | None, _WS_OPTION] = None) -> None:
    """列出用户及角色 / list users and roles."""
    from yibao.control.users import list_users
    from yibao.engine import Workspace

    with Workspace.open(_user_ws(workspace)) as ws:
        for u in list_users(ws.con):
            out.print(f"{u.name}\t{u.role}")


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="用户名")],
    workspace: Annotated[Path | None, _WS_OPTION] = None,
) -> None:
    """删除用户 / remove a user."""
    from yibao.control.users import remove_user
    from yibao.engine import Workspace

    with Workspace.open(_user_ws(workspace)) as ws:
        if not remove_user(ws.con, name):
            _fail(f"没有用户 {name}")
    out.print(f"已删除用户 {name}")


@app.command()
def serve(
    workspace: Annotated[Path, typer.Argument(help="工作区目录 / workspace")],
    host: Annotated[str, typer.Option(help="监听地址 / bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
) -> None:
    """启动网页工作台 / start the web workbench (issue 18)."""
    from yibao.engine.workspace import WorkspaceError
    from yibao.web.app import serve as run_server

    try:
        run_server(workspace, host=host, port=port)
    except WorkspaceError as exc:
        _fail(str(exc))


def _log_from_env() -> None:
    """``YIBAO_LOG=DEBUG`` (or INFO) writes yibao's own log to stderr: where an import or a
    step spends its time.  The log holds SQL and timings, never cell values."""
    import logging
    import os

    level = os.environ.get("YIBAO_LOG", "").upper()
    if level in ("DEBUG", "INFO", "WARNING"):
        logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("yibao").setLevel(level)


def main() -> None:  # pragma: no cover
    _log_from_env()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
