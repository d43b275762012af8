"""The report's 绩效目标及完成情况 section and the 项目支出绩效自评表, from the stored evaluation.

The evaluate step stores one row per indicator line (``evaluate_lines``: target, actual, weight,
score, the deviation cause and remedy as drafted or as a person confirmed them) and one result
(``evaluate_results``: total and grade).  The report shows them as the 自评表 layout of
财预〔2020〕10号 and writes the shortfalls out as text.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from yibao.engine.workspace import Workspace
from yibao.report.data import Data, ReportDataMissing
from yibao.report.funding import funding_block, funding_sheet
from yibao.report.model import Fig, Para, Section, TableBlock
from yibao.xlsxsafe import polish_workbook

ADJUSTMENT = "manual_adjustment"  # an explicit ± line of a framework (seed 002's unexplained −2)
HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
]


def stored(d: Data, framework: str) -> tuple[dict, list[dict]] | None:
    if not d.exists("evaluate_results") or not d.exists("evaluate_lines"):
        return None
    res = d.rows(
        "SELECT * FROM evaluate_results WHERE year = ? AND framework = ?", [d.year, framework]
    )
    if not res:
        return None
    lines = d.rows(
        "SELECT * FROM evaluate_lines WHERE year = ? AND framework = ? ORDER BY seq",
        [d.year, framework],
    )
    return res[0], lines


def _fig(d: Data, value: Decimal | None, unit: str, what: str, table: str) -> Fig:
    return Fig("—" if value is None else f"{value}", unit, d.src(table, what))


def _deviation(line: dict) -> str:
    parts = [x for x in (line.get("deviation"), line.get("remedy")) if x]
    return ";".join(parts)


SHORT = 40  # characters of the deviation shown in the table; the full text follows it


def _short(line: dict) -> str:
    text = _deviation(line)
    return text if len(text) <= SHORT else text[:SHORT].rstrip(",;、") + "…(详见下文)"


def evaluation_section(d: Data, framework: str) -> Section:
    found = stored(d, framework)
    if found is None:
        raise ReportDataMissing(
            f"工作区没有 {d.year} 年度按框架 {framework} 的绩效评价结果,"
            f"请先运行 yibao evaluate WORKSPACE --framework {framework} --year {d.year}"
        )
    res, lines = found
    s = Section(1, "绩效目标及完成情况")
    overall = Section(2, "总体完成情况")
    scored = [x for x in lines if x["code"] != ADJUSTMENT]
    below = [
        x for x in scored if x["score"] is not None and x["weight"] and x["score"] < x["weight"]
    ]
    adjust = [x for x in lines if x["code"] == ADJUSTMENT]
    overall.blocks.append(
        Para(
            [
                f"按照{res['label']}" + (f"({res['reference']})" if res["reference"] else ""),
                f"设置的 {len(scored)} 项指标评价,本项目自评得分",
                _fig(
                    d, res["total"], "分", f"{framework} 总分(各指标得分之和)", "evaluate_results"
                ),
                f",评价等级为“{res['grade']}”。",
                f"其中 {len(scored) - len(below)} 项指标得满分,{len(below)} 项未得满分。"
                if scored
                else "",
            ]
        )
    )
    for x in adjust:
        overall.blocks.append(Para([f"另:{x['name']}{x['score']} 分。{x['deviation'] or ''}"]))
    if res.get("note"):
        overall.blocks.append(Para([str(res["note"])], "note"))
    s.children.append(overall)
    detail = Section(2, "绩效指标完成情况")
    rows = []
    for x in lines:
        what = f"{framework} {x['name']}"
        rows.append(
            [
                x["level1"] or "",
                x["level2"] or "",
                x["name"] or "",
                x["target"] or "",
                x["actual"] if x["actual"] not in (None, "None") else "未提供",
                _fig(d, x["weight"], "", f"{what} 分值", "evaluate_lines"),
                _fig(d, x["score"], "", f"{what} 得分", "evaluate_lines"),
                _short(x),
            ]
        )
    weight = sum((x["weight"] or Decimal(0) for x in lines), Decimal(0))
    rows.append(
        [
            "合计",
            "",
            "",
            "",
            "",
            _fig(d, weight, "", f"{framework} 分值合计", "evaluate_lines"),
            _fig(d, res["total"], "", f"{framework} 总分(各指标得分之和)", "evaluate_results"),
            "",
        ]
    )
    if (funding := funding_block(d, framework, lines)) is not None:
        detail.blocks.append(funding)
    detail.blocks.append(
        TableBlock(
            f"表 {d.year}年度项目支出绩效自评表",
            HEADER,
            rows,
            widths=[14, 14, 24, 16, 16, 14, 14, 44],
        )
    )
    s.children.append(detail)
    if below:
        dev = Section(2, "偏离绩效目标的原因和改进措施")
        for i, x in enumerate(below, 1):
            actual = x["actual"] if x["actual"] not in (None, "", "None") else "未提供"
            text = f"{i}. “{x['name']}”年度目标 {x['target']},实际完成 {actual},"
            dev.blocks.append(
                Para(
                    [
                        text,
                        "得",
                        _fig(
                            d, x["score"], "分", f"{framework} {x['name']} 得分", "evaluate_lines"
                        ),
                        "(分值",
                        _fig(
                            d, x["weight"], "分", f"{framework} {x['name']} 分值", "evaluate_lines"
                        ),
                        ")。",
                        f"偏离原因:{x['deviation'] or '待补充'}。" if x.get("deviation") else "",
                        f"改进措施:{x['remedy']}。" if x.get("remedy") else "",
                    ]
                )
            )
        s.children.append(dev)
    return s


def write_self_table(d: Data, framework: str, path: Path) -> Path | None:
    """附件:项目支出绩效自评表 (xlsx), the same lines as the report's table."""
    found = stored(d, framework)
    if found is None:
        return None
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    res, lines = found
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效自评表"
    ws.append([f"{d.year}年度项目支出绩效自评表({res['label']})"])
    ws.append(HEADER)
    for x in lines:
        ws.append(
            [
                x["level1"],
                x["level2"],
                x["name"],
                x["target"],
                x["actual"],
                x["weight"],
                x["score"],
                _deviation(x),
            ]
        )
    ws.append(
        [
            "合计",
            None,
            None,
            None,
            None,
            sum((x["weight"] or Decimal(0) for x in lines), Decimal(0)),
            res["total"],
            None,
        ]
    )
    ws.append([f"评价等级:{res['grade']}"])
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGH", (12, 14, 28, 16, 16, 8, 8, 48), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3, min_col=6, max_col=7):
        for cell in row:
            cell.number_format = "0.00"
    for row in ws.iter_rows(min_row=3, min_col=8, max_col=8):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    ws.freeze_panes = "A3"
    funding_sheet(wb, d, lines)
    polish_workbook(wb)  # widths, frozen header, filter, rates as numbers
    wb.save(path)
    return path


def ensure_evaluated(ws: Workspace, year: int, framework: str) -> None:
    """Evaluate the year with ``framework`` through the pipeline when it has not been stored."""
    d = Data(ws, year)
    if stored(d, framework) is not None:
        return
    from yibao.evaluate.step import EvaluateStep
    from yibao.pipeline.context import build_context
    from yibao.pipeline.contract import StepFailed
    from yibao.pipeline.runs import run_step

    try:
        run_step(build_context(ws, year), EvaluateStep(framework))
    except StepFailed as exc:
        raise ReportDataMissing(f"按框架 {framework} 评价 {year} 年度失败: {exc}") from None
