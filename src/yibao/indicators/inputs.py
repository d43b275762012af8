"""Indicators that a person enters with evidence (``--inputs``), until a capability computes them.

They carry the same metadata as data-backed ones; frameworks and ``--inputs`` files name them by
code.  A code whose capability is not built yet goes in ``PENDING`` (not here), so that a
framework naming it gets a clear error and nobody mistakes an input for a computation; the DIP and
budget-control indicators are computed by the payment capability (``yibao.payment.indicators``).
"""

from __future__ import annotations

from yibao.indicators.registry import (
    AWARENESS_LEVELS,
    TOTAL_YEAR,
    Indicator,
    register,
)


def _input(code: str, name: str, unit: str, direction: str, formula: str, **kw: object) -> None:
    register(
        Indicator(
            code=code,
            name=name,
            unit=unit,
            direction=direction,  # type: ignore[arg-type]
            formula=formula,
            sources=("input",),
            grain=TOTAL_YEAR,
            value_kind="level" if direction == "定性" and kw.get("levels") else "count",
            **kw,  # type: ignore[arg-type]
        )
    )


_input(
    "awareness_level",
    "参保群众政策知晓度",
    "等级",
    "定性",
    "调查或评价人员判断的知晓程度:普遍知晓 > 基本知晓 > 部分知晓 > 不知晓",
    levels=AWARENESS_LEVELS,
    seed="000",
)
_input(
    "drug_online_purchase_rate",
    "药品网采率",
    "%",
    "正向",
    "公立医疗机构在省平台采购药品的比例",
    seed="001",
)
_input(
    "hvc_online_purchase_rate",
    "高值医用耗材网采率",
    "%",
    "正向",
    "公立医疗机构在省平台采购高值医用耗材的比例",
    seed="001",
)
_input(
    "village_service_coverage",
    "村(社区)级医保服务覆盖率",
    "%",
    "正向",
    "能提供帮办代办服务的村(社区)数 ÷ 村(社区)总数",
    seed="001",
)
_input(
    "offsite_chronic_institutions",
    "门诊慢特病跨省联网定点医疗机构数",
    "家",
    "正向",
    "开通门诊慢特病相关治疗费用跨省联网结算的定点医疗机构数(每县区)",
    seed="001",
)
_input(
    "training_sessions", "医保业务培训次数", "次", "正向", "当年开展的医保各类培训次数", seed="001"
)
_input("audit_rate", "费用审核率", "%", "正向", "经审核的医药费用单据占全部单据的比例", seed="002")
_input(
    "retiree_coverage_rate",
    "离休干部一站式结算覆盖率",
    "%",
    "正向",
    "持社保卡一站式结算的离休干部比例",
    seed="002",
)
_input("ci_deductible", "大病保险起付线", "元", "定性", "协议确定的大病保险起付标准", seed="004")
_input(
    "ci_premium", "大病保险筹资标准", "元/人", "正向", "每名参保人员的大病保险筹资额", seed="004"
)
_input(
    "insured_target_completion",
    "城镇基本医疗保险覆盖人数",
    "人",
    "正向",
    "年末覆盖人数",
    seed="003",
)
_input(
    "collection_amount", "职工医保基金征收额", "万元", "正向", "全年征收的职工医保基金", seed="003"
)
_input(
    "employee_data_upload_rate",
    "职工医保数据上传率",
    "%",
    "正向",
    "职工医保业务数据上传率",
    seed="003",
)
_input(
    "resident_data_upload_rate",
    "居民医保数据上传率",
    "%",
    "正向",
    "居民医保业务数据上传率",
    seed="003",
)
