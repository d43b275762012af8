"""``yibao demo``: generate a county, load it into a workspace and run every step that exists.

The input is the synthetic generator's `demo-county` (issue 4): GBK CSV exports of a county
of 60,000 insured (3,000 with ``--quick``) with planted anomalies and their ground truth.  The
demo checks its own findings against that truth, so a run that prints green has been verified.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import ibis
from rich.console import Console

from yibao.engine import Workspace
from yibao.engine.workspace import CONFIG, DB
from yibao.evaluate.cli import evaluation_markdown, print_evaluation
from yibao.finance.run import FinanceReport
from yibao.money import wan
from yibao.pipeline.cli import print_summary
from yibao.pipeline.context import resolve_policy
from yibao.pipeline.folder import LOAD_ORDER
from yibao.pipeline.runner import run_folder
from yibao.policy.render import policy_json
from yibao.privacy import mask_value
from yibao.report.build import ReportFiles, write_report
from yibao.settle.run import discrepancy_summary, hospital_label, hospital_names
from yibao.supervise.run import SuperviseOutcome

DEMO_PRESET = "demo-county"
DEMO_SEED = 2021
DEMO_YEAR = 2021
DEMO_FRAMEWORK = "self-2020"
SCALE_FULL = 0.2
SCALE_QUICK = 0.01


def sample_dir() -> Path:
    """examples/demo-county in the source tree: the hand-made fixture the tests use."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "examples" / "demo-county"
        if cand.is_dir():
            return cand
    raise FileNotFoundError("找不到示例数据 examples/demo-county(请在源码目录中运行)")


def run_demo(out_dir: Path, *, quick: bool = False, console: Console | None = None) -> int:
    from yibao.synth.run import synthesize

    console = console or Console()
    started = time.perf_counter()
    out_dir = Path(out_dir)
    # A demo directory is ours: start it afresh so that two runs give the same result.
    for name in (DB, f"{DB}.wal", CONFIG):
        (out_dir / name).unlink(missing_ok=True)
    for sub in ("reports", "tmp", "parquet", "data"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    scale = SCALE_QUICK if quick else SCALE_FULL
    data = out_dir / "data"
    with console.status("生成示范县数据 …") as status:
        gen = synthesize(
            DEMO_PRESET,
            data,
            scale=scale,
            seed=DEMO_SEED,
            encoding="gbk",
            progress=lambda m: status.update(f"生成示范县数据: {m}"),
        )
    claims_n = gen.manifest["files"]["claims"]["rows"]
    console.print(
        f"生成 {gen.manifest['label']}(scale {scale}):{claims_n:,} 张结算单,"
        f"GBK 编码 CSV,用时 {gen.seconds:.1f} 秒 → {data}"
    )
    ws = Workspace.create(
        out_dir, name="示范县演示", policy=str((data / "policy.yaml").resolve()), region="430921"
    )
    reports = out_dir / "reports"
    reports.mkdir(exist_ok=True)
    with ws:
        with console.status("yibao run:导入全部导出文件,结算复核、基金财务、监管筛查 …") as status:
            summary = run_folder(
                ws, DEMO_YEAR, source=data, progress=lambda m: status.update(f"yibao run:{m}")
            )
        print_summary(summary, out_dir, console)
        results = [r for _, r in summary.files if r is not None]
        failed = [r for r in results if r.exit_status == 2]
        failed_steps = [o for o in summary.steps if o.error]
        if failed or failed_steps or len(results) != len(LOAD_ORDER):
            for r in failed:
                console.print(f"[red]{r.message}[/red]")
            for o in failed_steps:
                console.print(f"[red]{o.step.label}失败: {o.error}[/red]")
            return 2
        settled, rep, supervised = (o.result.detail for o in summary.steps[:3])
        policy = resolve_policy(ws, None)  # a relative path is relative to the workspace
        by_hosp, by_fund = discrepancy_summary(ws, DEMO_YEAR)
        (reports / "policy-in-force.json").write_text(
            json.dumps(policy_json(policy, date(2021, 12, 31)), ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        text = render_report(ws, results, claims_summary(ws), policy.label)
        text += render_settle_section(ws, settled.rows, by_hosp, by_fund)
        check = truth_check(ws, data, scored_binding=not quick)
        text += finance_section(rep, summary.steps[1].result.outputs, data, check)
        text += supervise_section(ws, supervised, summary.steps[2].result.outputs, data, check)
        text += check.section
        evaluation = next(o for o in summary.steps if o.step.name == "evaluate").result.detail
        text += evaluation_markdown(evaluation, "## 八、绩效评价(项目支出绩效自评表 self-2020)")
        (reports / "导入与数据质量报告.md").write_text(text, encoding="utf-8")
        official = write_official_report(ws, out_dir / "report", console)
    print_evaluation(evaluation, console)
    secs = time.perf_counter() - started
    for line in check.lines:
        console.print(line)
    if not check.ok:
        console.print("[red]演示发现与生成器植入的异常不一致,见报告第七节[/red]")
        return 1
    console.print(f"[green]演示完成[/green]: 工作区 {out_dir},报告 {reports}(用时 {secs:.1f} 秒)")
    console.print(
        f"正式报告(Word、网页、附件{'、PDF' if official.pdf else ''}): {official.docx.parent}"
    )
    return 0


def write_official_report(ws: Workspace, out: Path, console: Console) -> ReportFiles:
    """The 绩效自评报告 of the demo year, checked by yibao check-report before it is shown."""
    from yibao.report.checker import check_report
    from yibao.report.pdf import soffice

    shutil.rmtree(out, ignore_errors=True)
    with console.status("生成绩效自评报告(Word、网页、附件、PDF)…"):
        files = write_report(
            ws,
            DEMO_YEAR,
            out,
            kind="self",
            pdf=soffice() is not None,
            framework=DEMO_FRAMEWORK,
        )
    findings = check_report(files.docx)
    mark = "[green]无数字关系不符[/green]" if not findings else f"[red]{len(findings)} 处不符[/red]"
    console.print(f"报告自查(yibao check-report):{mark}")
    return files


class TruthCheck:
    """The demo's findings against the generator's ground truth."""

    def __init__(self, scored_binding: bool = True) -> None:
        # Screening targets are statistical: at --quick's 3,000 insured a hospital has a few
        # dozen admissions, so there they are shown but do not fail the demo.
        self.scored_binding = scored_binding
        self.ok = True
        self.lines: list[str] = []
        self.rows: list[tuple[str, int, int, int]] = []

    def add(self, what: str, planted: set[str], found: set[str]) -> None:
        both = len(planted & found)
        self.rows.append((what, len(planted), len(found), both))
        good = planted == found
        self.ok &= good
        mark = "[green]一致[/green]" if good else "[red]不一致[/red]"
        self.lines.append(f"  {what}: 植入 {len(planted)},发现 {len(found)},{mark}")

    def add_scored(self, what: str, planted: int, found: int, both: int, good: bool) -> None:
        """A screening rule: judged by recall and precision targets, not exact equality."""
        self.rows.append((what, planted, found, both))
        if self.scored_binding:
            self.ok &= good
        mark = "[green]达标[/green]" if good else "[red]未达标[/red]"
        if not self.scored_binding and not good:
            mark = "[yellow]未达标(快速模式样本小,仅供参考)[/yellow]"
        self.lines.append(f"  {what}: 植入 {planted},发现 {found},命中 {both},{mark}")

    @property
    def section(self) -> str:
        lines = [
            "## 七、与生成器植入的异常核对",
            "",
            "数据由 `yibao synth` 生成,`data/truth/` 记录了植入的每一处问题。",
            "",
            "| 核对项 | 植入 | 发现 | 两者都有 |",
            "|---|---|---|---|",
        ]
        lines += [f"| {w} | {p} | {f} | {b} |" for w, p, f, b in self.rows]
        lines.append("")
        return "\n".join(lines)


def finance_section(rep: FinanceReport, files: list[str], data: Path, check: TruthCheck) -> str:
    """The finance step's summary, and the short-paid level against the truth."""
    from yibao.finance.cli import summary_lines

    with (data / "truth" / "anomalies.csv").open(encoding="utf-8") as f:
        planted = {r["key"] for r in csv.DictReader(f) if r["kind"] == "subsidy_short"}
    found = {f"{a.region_code}|{a.level}" for a in rep.short_levels()}
    check.add("少拨的财政补助级次", planted, found)
    lines = ["## 五、基金财务", "", *[f"- {x}" for x in summary_lines(rep)], ""]
    lines += [f"附件:`{Path(f).name}`" for f in files]
    lines.append("")
    return "\n".join(lines)


def supervise_section(
    ws: Workspace, outcome: SuperviseOutcome, files: list[str], data: Path, check: TruthCheck
) -> str:
    """The screening summary (masked work list) and precision/recall against the truth."""
    from yibao.supervise.truth import PRECISION_TARGET, RECALL_TARGET, compare_truth

    ran = [r.rule.code for r in outcome.runs if not r.skipped]
    lines = [
        "## 六、基金监管筛查",
        "",
        f"工作清单(证件号码、姓名、诊断已脱敏):`{Path(files[0]).name}`",
        "",
        "| 规则 | 名称 | 线索数 | 涉及金额(元) |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r.rule.code} | {r.rule.name} | {r.findings} | {r.amount:,.2f} |"
        for r in outcome.runs
        if not r.skipped
    ]
    lines += [
        "",
        f"与植入异常对照(目标:召回率 ≥ {RECALL_TARGET:.0%},精确率 ≥ {PRECISION_TARGET:.0%}):",
        "",
        "| 异常类型 | 规则 | 植入 | 发现 | 命中 |",
        "|---|---|---|---|---|",
    ]
    for sc in compare_truth(ws, DEMO_YEAR, data, ran):
        if sc.rule is None:
            continue
        lines.append(f"| {sc.kind} | {sc.rule} | {sc.planted} | {sc.found} | {sc.matched} |")
        check.add_scored(f"监管筛查 {sc.kind}", sc.planted, sc.found, sc.matched, sc.meets_targets)
    lines.append("")
    return "\n".join(lines)


def truth_check(ws: Workspace, data: Path, *, scored_binding: bool = True) -> TruthCheck:
    check = TruthCheck(scored_binding)
    with (data / "truth" / "anomalies.csv").open(encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    with (data / "truth" / "quarantine.csv").open(encoding="utf-8") as f:
        expected_q = {(r["table"], r["key"].split("|")[0]) for r in csv.DictReader(f)}
    found_q = {
        (t, json.loads(rec).get("人员编号", ""))
        for t, rec in ws.con.execute("SELECT table_name, record FROM _quarantine").fetchall()
    }
    check.add(
        "导入隔离的无效身份证号行",
        {"|".join(k) for k in expected_q},
        {"|".join(k) for k in found_q},
    )
    planted = {r["key"] for r in truth if r["kind"] == "payment_mismatch"}
    found = {
        r[0]
        for r in ws.con.execute(
            "SELECT DISTINCT setl_id FROM settle_discrepancies WHERE year = 2021"
        ).fetchall()
    }
    check.add("记录支付与政策不符的结算单", planted, found)
    return check


def claims_summary(ws: Workspace) -> list[dict]:
    """Claims by 医疗类别, computed on the engine; amounts stay Decimal."""
    con = ibis.duckdb.from_connection(ws.con)
    c = con.table("claims")
    zero = ibis.literal(0, "decimal(18,2)")
    expr = (
        c.group_by("med_type")
        .aggregate(
            claims=c.count(),
            medfee=c.medfee_sumamt.sum(),
            inscp=c.inscp_scp_amt.sum(),
            hifp=c.hifp_pay.fill_null(zero).sum(),
            hifmi=c.hifmi_pay.fill_null(zero).sum(),
            maf=c.maf_pay.fill_null(zero).sum(),
            psn=c.psn_part_amt.fill_null(zero).sum(),
            broken=(
                c.medfee_sumamt
                != c.hifp_pay.fill_null(zero)
                + c.hifmi_pay.fill_null(zero)
                + c.maf_pay.fill_null(zero)
                + c.psn_part_amt.fill_null(zero)
            ).sum(),
        )
        .order_by("med_type")
    )
    return expr.to_pyarrow().to_pylist()


def render_report(ws: Workspace, results: list, summary: list[dict], policy_label: str) -> str:
    from yibao.schema.tables import MED_TYPE

    lines = [
        f"# {ws.config.get('name', '')} 演示报告:数据导入、结算复核、基金财务、监管筛查与绩效评价",
        "",
        f"政策: {policy_label}。金额单位:元(括号内为万元,四舍五入到两位小数)。",
        "",
        "## 一、导入批次",
        "",
        "| 文件 | 表 | 总行数 | 接收 | 隔离 | 结果 |",
        "|---|---|---|---|---|---|",
    ]
    verdict = {0: "全部接收", 1: "部分隔离", 2: "拒绝"}
    for r in results:
        lines.append(
            f"| {Path(r.file).name} | {r.table} | {r.rows_total} | {r.rows_accepted} | "
            f"{r.rows_quarantined} | {verdict[r.exit_status]} |"
        )
    lines += [
        "",
        "## 二、被隔离的行(个人信息已脱敏)",
        "",
        "| 文件 | 行 | 列 | 值 | 原因 |",
        "|---|---|---|---|---|",
    ]
    for fname, row, col, header, value, reason in ws.con.execute(
        "SELECT file_name, row_no, column_name, header, value, reason FROM _quarantine "
        "ORDER BY load_id, row_no, column_name"
    ).fetchall():
        lines.append(
            f"| {fname} | {row} | {header or col} | {mask_value(col, value) or ''} | {reason} |"
        )
    lines += [
        "",
        "## 三、结算单概况(按医疗类别)",
        "",
        "| 医疗类别 | 结算单数 | 医疗费总额 | 符合政策范围 | 统筹基金 | 大病保险 | 医疗救助 "
        "| 个人负担 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        cells = [
            f"{s[k]:,}（{wan(s[k])}）" for k in ("medfee", "inscp", "hifp", "hifmi", "maf", "psn")
        ]
        lines.append(
            f"| {s['med_type']} {MED_TYPE.get(s['med_type'], '')} | {s['claims']} | "
            + " | ".join(cells)
            + " |"
        )
    keys = ("medfee", "inscp", "hifp", "hifmi", "maf", "psn")
    totals = {k: sum((s[k] for s in summary), Decimal(0)) for k in keys}
    lines.append(
        "| 合计 | "
        + str(sum(s["claims"] for s in summary))
        + " | "
        + " | ".join(f"{totals[k]:,}（{wan(totals[k])}）" for k in keys)
        + " |"
    )
    broken = sum(s["broken"] for s in summary)
    lines += ["", f"恒等式 医疗费总额 = 统筹 + 大病 + 救助 + 个人负担:{broken} 张结算单不满足。"]
    for k, label in zip(
        keys,
        ("医疗费总额", "符合政策范围", "统筹基金", "大病保险", "医疗救助", "个人负担"),
        strict=True,
    ):
        parts = sum((wan(s[k]) for s in summary), Decimal(0))
        if parts != wan(totals[k]):
            lines.append(
                f"- {label}:各类别万元数之和 {parts} 与合计 {wan(totals[k])} 相差 "
                f"{parts - wan(totals[k])} 万元,系各项分别四舍五入所致;元金额精确相加。"
            )
    lines.append("")
    return "\n".join(lines)


def render_settle_section(
    ws: Workspace, settled: int, by_hosp: list[tuple], by_fund: list[tuple]
) -> str:
    """Section four: recorded fund payments against the re-settlement under the policy."""
    lines = [
        "## 四、结算复核(按政策重算与记录的基金支付比较)",
        "",
        f"复核结算单 {settled} 张。差额 = 记录值 − 复核值。",
        "",
        "| 基金 | 不一致张数 | 不一致单的记录合计 | 不一致单的复核合计 | 差额 |",
        "|---|---|---|---|---|",
    ]
    for label, n, rec, comp, diff in by_fund:
        lines.append(f"| {label} | {n} | {rec:,} | {comp:,} | {diff:,} |")
    if by_hosp:
        lines += [
            "",
            "| 定点医药机构 | 不一致张数 | 统筹差额 | 大额补助差额 | 大病差额 | 救助差额 |",
            "|---|---|---|---|---|---|",
        ]
        names = hospital_names(ws)
        lines += [
            f"| {hospital_label(code, names)} | {n} | {d1:,} | {d4:,} | {d2:,} | {d3:,} |"
            for code, n, d1, d4, d2, d3 in by_hosp
        ]
    rows = ws.con.execute(
        "SELECT setl_id, fixmedins_code, recorded_hifp_pay, computed_hifp_pay, "
        "recorded_hifmi_pay, computed_hifmi_pay, recorded_maf_pay, computed_maf_pay "
        "FROM settle_discrepancies WHERE year = 2021 ORDER BY setl_id LIMIT 50"
    ).fetchall()
    if rows:
        lines += [
            "",
            "明细(前 50 张;`yibao settle WORKSPACE --explain 结算ID` 可查看计算过程):",
            "",
            "| 结算ID | 机构 | 统筹 记录/复核 | 大病 记录/复核 | 救助 记录/复核 |",
            "|---|---|---|---|---|",
        ]
        for sid, code, r1, c1, r2, c2, r3, c3 in rows:
            lines.append(f"| {sid} | {code} | {r1}/{c1} | {r2}/{c2} | {r3}/{c3} |")
    lines.append("")
    return "\n".join(lines)
