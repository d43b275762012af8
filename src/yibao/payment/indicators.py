"""The payment indicators, for the indicator library (issue 13) to register.

Each is a code, a Chinese name, a unit, a formula and a function over a workspace that reads the
stored payment tables (so the indicator and the settlement can never disagree).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from yibao.engine.workspace import Workspace


@dataclass(frozen=True)
class PaymentIndicator:
    code: str
    name: str
    unit: str
    formula: str
    grain: str  # "year" or "hospital × month"


DIP_CASE_COVERAGE = PaymentIndicator(
    "dip_case_coverage",
    "DIP 病种覆盖率",
    "比例",
    "入组 DIP 目录病种(核心 + 综合)的本地住院病例数 ÷ 住院病例数(含异地)",
    "year",
)
DIP_FUND_SHARE = PaymentIndicator(
    "dip_fund_share",
    "DIP 基金支付占比",
    "比例",
    "按 DIP 结算病例的统筹基金支出 ÷ 住院统筹基金支出",
    "year",
)
BUDGET_USE_PROGRESS = PaymentIndicator(
    "budget_use_progress",
    "总额使用进度",
    "比例",
    "医院累计统筹支出 ÷ 可预拨总额,与时间进度(月份 ÷ 12)对照",
    "hospital × month",
)
INDICATORS = (DIP_CASE_COVERAGE, DIP_FUND_SHARE, BUDGET_USE_PROGRESS)


def _summary_value(ws: Workspace, year: int, column: str) -> Decimal | None:
    row = ws.con.execute(
        f"SELECT {column} FROM payment_dip_summary WHERE year = ?", [year]
    ).fetchone()
    return row[0] if row else None


def dip_case_coverage(ws: Workspace, year: int) -> Decimal | None:
    """None when `yibao payment --method dip` has not run for the year."""
    return _summary_value(ws, year, "dip_case_coverage")


def dip_fund_share(ws: Workspace, year: int) -> Decimal | None:
    return _summary_value(ws, year, "dip_fund_share")


def budget_use_progress(ws: Workspace, year: int) -> list[dict[str, Any]]:
    """Per hospital and month: cumulative use, time elapsed, ahead of pace."""
    rows = ws.con.execute(
        "SELECT fixmedins_code, month, cum_use, elapsed, ahead FROM payment_budget_months "
        "WHERE year = ? ORDER BY fixmedins_code, month",
        [year],
    ).fetchall()
    keys = ("fixmedins_code", "month", "cum_use", "elapsed", "ahead")
    return [dict(zip(keys, r, strict=True)) for r in rows]
