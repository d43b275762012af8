"""Indicators from the inspection cases people record in the workbench (``supervise_cases``).

Seed 001 reports 现场检查家次, 追回 and 处罚 as the outcome of inspectors' work: yibao computes
them from its own case records (copied into the workspace by the ``cases`` step), not from a
number typed in.  A case counts for the year of the findings it was opened from; amounts count
once the case is closed.  ``supervision_confirmed_rate`` is supervision precision as people
confirmed it: findings of closed cases concluded 属实 over all findings of closed cases.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from yibao.indicators.library import NUM, by_region_and_total
from yibao.indicators.registry import Source, indicator

SOURCES = ("supervise_cases",)


def _cases(src: Source) -> ir.Table:
    t = src.t("supervise_cases")
    return t.filter(t.year == src.year)


@indicator(
    code="inspections_count",
    name="现场检查家次",
    unit="家次",
    direction="正向",
    formula="稽核案件中已记录现场检查的案件数(每案一家次定点医药机构)",
    sources=SOURCES,
    value_kind="count",
    seed="001",
)
def inspections_count(src: Source) -> ir.Table:
    return by_region_and_total(_cases(src), lambda t: t.inspected.cast("int64").sum().fill_null(0))


@indicator(
    code="recovered_amount",
    name="追回违规使用医保基金",
    unit="元",
    direction="正向",
    formula="已结案稽核案件记录的追回金额之和",
    sources=SOURCES,
    value_kind="money",
    seed="001",
)
def recovered_amount(src: Source) -> ir.Table:
    return by_region_and_total(
        _cases(src), lambda t: t.recovered.sum().fill_null(ibis.literal(0).cast(NUM))
    )


@indicator(
    code="penalty_amount",
    name="行政处罚金额",
    unit="元",
    direction="正向",
    formula="已结案稽核案件记录的罚款金额之和",
    sources=SOURCES,
    value_kind="money",
    seed="001",
)
def penalty_amount(src: Source) -> ir.Table:
    return by_region_and_total(
        _cases(src), lambda t: t.penalty.sum().fill_null(ibis.literal(0).cast(NUM))
    )


@indicator(
    code="supervision_confirmed_rate",
    name="监管线索人工核实属实率",
    unit="%",
    direction="正向",
    formula="已结案案件中结论为属实的线索数 ÷ 已结案案件的线索数",
    sources=("supervise_case_findings",),
    value_kind="percent",
)
def supervision_confirmed_rate(src: Source) -> ir.Table:
    t = src.t("supervise_case_findings")
    t = t.filter((t.year == src.year) & t.conclusion.notnull())
    return by_region_and_total(
        t,
        lambda x: (x.conclusion == "属实").cast("int64").sum(),
        lambda x: x.count(),
    )
