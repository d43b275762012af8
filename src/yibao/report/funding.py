"""The funding block of the 项目支出绩效自评表 (财预〔2020〕10号 annex, the 2022/23 layout).

年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分 come from the stored finance
tables (``finance_budget``: 年初预算, 上年结转, 可用预算, 实际支出) and the framework's
budget-execution line (``evaluate_lines``: its weight and score).  The block is drawn only when
the framework scores budget execution; its rate is the same Σ 实际支出 ÷ Σ 可用预算 that the
indicator ``budget_execution_rate`` computes, so the block and the line cannot disagree.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.money import percent
from yibao.report.data import Data
from yibao.report.model import Fig, Segment, TableBlock

BUDGET_LINE = "budget_execution_rate"
HEADER = ["项目资金(万元)", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
DASH = "—"


def budget_totals(d: Data) -> dict[str, Decimal] | None:
    """Σ over the year's budget projects of every region; None when finance has not run."""
    if not d.exists("finance_budget"):
        return None
    rows = d.rows(
        "SELECT count(*) AS n, sum(budget) AS budget, sum(coalesce(carry_over, 0)) AS carry, "
        "sum(budget_total) AS total, sum(actual) AS actual FROM finance_budget WHERE year = ?",
        [d.year],
    )
    return rows[0] if rows and rows[0]["n"] else None


def funding_block(d: Data, framework: str, lines: list[dict]) -> TableBlock | None:
    """The block, or None when the framework has no budget-execution line or no budget data."""
    line = next((x for x in lines if x["code"] == BUDGET_LINE), None)
    t = budget_totals(d) if line is not None else None
    if line is None or t is None:
        return None
    what = f"{framework} {line['name']}"

    def wan(v: Decimal, label: str) -> Fig:
        return d.wan(v, "finance_budget", f"预算执行 {label}")

    rate = t["actual"] / t["total"] if t["total"] else None
    total: list[Segment] = [
        "年度资金总额",
        wan(t["budget"], "年初预算合计"),
        wan(t["total"], "可用预算(年初预算 + 上年结转)合计"),
        wan(t["actual"], "实际支出合计"),
        Fig(f"{line['weight']}", "", d.src("evaluate_lines", f"{what} 分值")),
        Fig(
            DASH if rate is None else f"{percent(rate):.2f}%",
            "",
            d.src("finance_budget", "预算执行率(实际支出合计 ÷ 可用预算合计)"),
        ),
        Fig(f"{line['score']}", "", d.src("evaluate_lines", f"{what} 得分")),
    ]
    current: list[Segment] = [
        "其中:当年预算",
        wan(t["budget"], "年初预算合计"),
        wan(t["budget"], "年初预算合计"),
        DASH,
        DASH,
        DASH,
        DASH,
    ]
    carried: list[Segment] = [
        "上年结转资金",
        DASH,
        wan(t["carry"], "上年结转合计"),
        DASH,
        DASH,
        DASH,
        DASH,
    ]
    return TableBlock(
        f"表 {d.year}年度项目支出绩效自评表:项目资金",
        HEADER,
        [total, current, carried],
        notes=["执行数不按资金来源拆分;全年预算数 = 年初预算数 + 上年结转资金。"],
        widths=[30, 22, 22, 22, 14, 18, 14],
    )


def funding_sheet(wb, d: Data, lines: list[dict]) -> None:  # noqa: ANN001
    """The same block as a sheet of the 自评表 annex (amounts in 万元 as numbers)."""
    from yibao.money import wan

    line = next((x for x in lines if x["code"] == BUDGET_LINE), None)
    t = budget_totals(d) if line is not None else None
    if line is None or t is None:
        return
    ws = wb.create_sheet("项目资金")
    rate = percent(t["actual"] / t["total"]) if t["total"] else None
    ws.append(HEADER)
    ws.append(
        [
            "年度资金总额",
            wan(t["budget"]),
            wan(t["total"]),
            wan(t["actual"]),
            line["weight"],
            rate,
            line["score"],
        ]
    )
    ws.append(["其中:当年预算", wan(t["budget"]), wan(t["budget"]), None, None, None, None])
    ws.append(["上年结转资金", None, wan(t["carry"]), None, None, None, None])
    ws.append(["执行率为百分数;执行数不按资金来源拆分。"])
