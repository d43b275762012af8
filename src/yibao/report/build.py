"""``yibao report``: compose the report for a kind and write docx, xlsx annexes, html (and pdf).

Kinds follow the seeds: ``self`` is a bureau's 绩效自评报告 (seeds 001, 002, 004), ``evaluation``
a third-party 绩效评价报告 addressed to the 财政局 (seed 000), ``yearbook`` the fund-operation
summary of a yearbook (seed 003).  All three share the outline every seed uses.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from yibao.engine.workspace import Workspace
from yibao.report import charts, content
from yibao.report.data import Data
from yibao.report.docx_render import render_docx
from yibao.report.html_render import render_html
from yibao.report.model import Report, Section

KINDS = ("self", "evaluation", "yearbook")
TITLES = {
    "self": "{region}{year}年度城乡居民基本医疗保险基金补助项目绩效自评报告",
    "evaluation": "{region}{year}年度城乡居民基本医疗保险基金补助项目绩效评价报告",
    "yearbook": "{region}{year}年医疗保险基金运行情况",
}


@dataclass
class ReportFiles:
    docx: Path
    html: Path
    xlsx: list[Path] = field(default_factory=list)
    pdf: Path | None = None
    charts: list[Path] = field(default_factory=list)


def compose(
    d: Data, kind: str, out: Path, evaluation: list[Section] | None = None
) -> tuple[Report, list[Path]]:
    """The report model and the chart files it embeds."""
    for table, step in (("finance_subsidy", "finance"), ("finance_accounts", "finance")):
        d.require(table, step)
    made = [
        c
        for c in (
            charts.arrival_by_level(d, out),
            charts.spending_composition(d, out),
            charts.hospital_comparison(d, out),
            charts.balance_trend(d, out),
        )
        if c is not None
    ]
    basic = content.basic_facts(d)
    funds = content.funds(d)
    supervision = content.supervision(d)
    if supervision is not None:
        funds.children.append(supervision)
    by_name = {c.path.name: c for c in made}
    _attach(funds, "资金到位情况", by_name.get("chart_arrival.png"))
    _attach(
        funds, "资金使用情况", by_name.get("chart_spending.png"), by_name.get("chart_trend.png")
    )
    _attach(funds, "基金监管情况", by_name.get("chart_hospitals.png"))
    problems, remedies = content.problems_and_remedies(d)
    if kind == "yearbook":
        region = d.region_label()
        report = Report(
            title=TITLES[kind].format(region=region, year=d.year),
            recipient=None,
            sections=content.yearbook(d),
            signature=[],
        )
        return report, []
    sections = [basic]
    if kind == "evaluation":
        sections.append(_evaluation_process(d))
    sections += evaluation or []
    sections += [
        funds,
        problems,
        remedies,
        content.use_of_results(d, kind),
        content.other_matters(d),
    ]
    region = d.region_label()
    signer = "第三方评价机构" if kind == "evaluation" else f"{region}医疗保障局"
    report = Report(
        title=TITLES[kind].format(region=region, year=d.year),
        recipient=f"{region}财政局" if kind == "evaluation" else None,
        sections=sections,
        signature=[signer, f"{date.today():%Y年%-m月%-d日}"],
    )
    return report, [c.path for c in made]


def _attach(s: Section, heading: str, *made: object) -> None:
    for child in s.children:
        if child.heading == heading:
            child.blocks += [m for m in made if m is not None]


def _evaluation_process(d: Data) -> Section:
    s = Section(1, "评价工作开展情况")
    s.blocks.append(
        content.P(
            f"受{d.region_label()}财政局委托,评价组按照《项目支出绩效评价管理办法》(财预〔2020〕10号)"
            "的要求,制定评价方案和指标体系,收集参保登记、结算、财政补助到账、基金明细账和预算"
            "资料,对全部结算单按待遇政策逐张复核报销金额,运行基金监管筛查规则识别重复参保、"
            "无效参保和可疑结算,开展满意度调查,并与项目单位核对数据后形成本报告。"
        )
    )
    return s


def write_report(
    ws: Workspace,
    year: int,
    out: Path,
    *,
    kind: str = "self",
    pdf: bool = False,
    framework: str | None = None,
) -> ReportFiles:
    """Write the report of ``year``; with a framework, evaluated first if it was not stored."""
    from yibao.report.evaluation import ensure_evaluated, evaluation_section, write_self_table

    out.mkdir(parents=True, exist_ok=True)
    d = Data(ws, year)
    evaluation = None
    if framework and kind != "yearbook":
        ensure_evaluated(ws, year, framework)
        evaluation = [evaluation_section(d, framework)]
    report, made = compose(d, kind, out, evaluation)
    annexes = [
        a
        for a in sorted((ws.path / "reports").glob(f"*{year}*.xlsx"))
        if "未脱敏" not in a.name  # an unmasked work list never leaves the workspace
    ]
    report.annexes = ([f"{year}年度项目支出绩效自评表"] if evaluation else []) + [
        a.stem for a in annexes
    ]
    stem = report.title
    files = ReportFiles(
        docx=render_docx(report, out / f"{stem}.docx"),
        html=render_html(report, out / f"{stem}.html"),
        charts=made,
    )
    if evaluation:
        table = write_self_table(d, framework, out / f"附件_{year}年度项目支出绩效自评表.xlsx")
        if table is not None:
            files.xlsx.append(table)
    for annex in annexes:
        target = out / annex.name
        shutil.copyfile(annex, target)
        files.xlsx.append(target)
    if pdf:
        from yibao.report.pdf import to_pdf

        files.pdf = to_pdf(files.docx, out)
    return files
