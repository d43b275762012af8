"""The tables the evaluate step writes, declared on the derived-table registry."""

from __future__ import annotations

from yibao.schema.model import Column, DataTest, DType, Lineage, Table


def c(name: str, dtype: DType, label: str, unit: str = "", desc: str = "") -> Column:
    return Column(name, dtype, label, desc, unit=unit)


YEAR = c("year", "int32", "年度")
FRAMEWORK = c("framework", "string", "评价框架")
_WHO = (
    c("entered_by", "string", "录入人", desc="手工输入值、得分和文字的录入人"),
    c("entered_at", "timestamp", "录入时间"),
    c("input_file", "string", "输入文件", desc="--inputs 文件;空表示全部由数据计算"),
)

INDICATOR_VALUES = Table(
    "indicator_values",
    "绩效指标值",
    "One row per year, data-backed indicator and region (region_code null: the whole workspace).",
    columns=(
        YEAR,
        c("code", "string", "指标代码"),
        c("name", "string", "指标名称"),
        c("region_code", "string", "行政区划代码", desc="空为全区合计"),
        c("value", "price", "指标值", desc="比率为百分数:65.36 表示 65.36%"),
        c("unit", "string", "单位"),
        c("numerator", "price", "分子"),
        c("denominator", "price", "分母"),
        c("sample_size", "int", "样本量", "人"),
        c("ci95_low", "dec2", "95% 区间下限", "%"),
        c("ci95_high", "dec2", "95% 区间上限", "%"),
        c("engine", "string", "计算引擎"),
    ),
    key=("year", "code", "region_code"),
    produced_by="evaluate",
    year_column="year",
    lineage=(Lineage("regions", "s.region_code = t.region_code"),),
)

EVALUATE_LINES = Table(
    "evaluate_lines",
    "绩效评价指标得分",
    "One row per year, framework and indicator line: target, actual, score, deviation draft.",
    columns=(
        YEAR,
        FRAMEWORK,
        c("seq", "int32", "序号"),
        c("code", "string", "指标代码"),
        c("name", "string", "三级指标"),
        c("level1", "string", "一级指标"),
        c("level2", "string", "二级指标"),
        c("unit", "string", "单位"),
        c("direction", "string", "指标方向", desc="正向 / 反向 / 定性"),
        c("target", "string", "年度指标值"),
        c("actual", "string", "实际完成值"),
        c("completion", "dec2", "完成率", "%"),
        c("weight", "dec2", "分值", "分"),
        c("score", "dec2", "得分", "分"),
        c("source", "string", "来源", desc="query(由数据计算)/ input(手工输入)/ missing"),
        c("evidence", "string", "依据", desc="输入值引用的原文,或计算所用查询的指标代码"),
        c("deviation", "string", "偏离原因(草稿)"),
        c("remedy", "string", "改进措施(草稿)"),
        c("status", "string", "状态", desc="草稿 / 已确认(录入人确认或修改后)"),
        *_WHO,
    ),
    key=("year", "framework", "seq"),
    produced_by="evaluate",
    year_column="year",
    tests=(
        DataTest(
            "score_within_weight",
            "得分在 0 与分值之间(扣分调整行除外)",
            "SELECT year, framework, seq, code, weight, score FROM {t} "
            "WHERE code <> 'manual_adjustment' AND (score < 0 OR score > weight)",
        ),
    ),
)

EVALUATE_RESULTS = Table(
    "evaluate_results",
    "绩效评价结果",
    "One row per year and framework: total (sum of the rounded line scores) and grade.",
    columns=(
        YEAR,
        FRAMEWORK,
        c("label", "string", "评价框架名称"),
        c("reference", "string", "依据"),
        c("total", "dec2", "总分", "分"),
        c("grade", "string", "等级"),
        c("lines", "int", "指标数", "项"),
        c("below_target", "int", "未达目标指标数", "项"),
        c("stated_total", "dec2", "原文自评分", "分"),
        c("note", "string", "说明"),
        c("engine", "string", "计算引擎"),
        *_WHO,
    ),
    key=("year", "framework"),
    produced_by="evaluate",
    year_column="year",
    tests=(
        DataTest(
            "total_is_sum_of_lines",
            "总分 = 各指标得分之和",
            "SELECT r.year, r.framework, r.total, sum(l.score) AS lines_sum FROM {t} r "
            "JOIN evaluate_lines l ON l.year = r.year AND l.framework = r.framework "
            "GROUP BY r.year, r.framework, r.total HAVING r.total <> sum(l.score)",
            needs=("evaluate_lines",),
        ),
    ),
)

EVALUATE_TABLES = (INDICATOR_VALUES, EVALUATE_LINES, EVALUATE_RESULTS)
