"""The derived tables `yibao payment` writes (declared here, imported into schema.derived.DERIVED).

Money identities are DataTests: budget control conserves Σ settlement + retained reserve + the
band differences = the total budget, DIP conserves Σ settlements + personal shares = the DIP
budget, each to the fen (a rounding residual is stored and shown, never dropped).
"""

from __future__ import annotations

from yibao.schema.model import Column, DataTest, DType, Lineage, Table


def c(name: str, dtype: DType, label: str, unit: str = "", *, personal: bool = False) -> Column:
    return Column(name, dtype, label, unit=unit, personal=personal)


def m(name: str, label: str) -> Column:
    return c(name, "money", label, "元")


YEAR = c("year", "int32", "年度")
HOSP = c("fixmedins_code", "string", "定点医疗机构编号")
_HOSP_CLAIMS = Lineage(
    "claims", "s.fixmedins_code = t.fixmedins_code AND year(s.setl_time) = t.year"
)

PAYMENT_BUDGET_HOSPITALS = Table(
    "payment_budget_hospitals",
    "总额控制年度清算(医院)",
    "One row per year and hospital under total budget control.",
    columns=(
        YEAR,
        HOSP,
        c("fixmedins_name", "string", "定点医疗机构名称"),
        c("hosp_lv", "string", "医院等级"),
        c("has_history", "bool", "有上年数据"),
        m("last_year_actual", "上年实际统筹支出"),
        c("growth", "rate", "增长率", "比例"),
        m("budget_total", "年度总额"),
        m("reserve", "预留质量保证金"),
        m("budget_advance", "可预拨总额(总额−保证金)"),
        m("advances", "月度预拨合计"),
        m("actual", "本年实际统筹支出"),
        c("use_rate", "ratio", "总额使用率", "比例"),
        c("band", "string", "清算分档"),
        m("settlement", "年终清算应付"),
        c("score", "dec2", "考核得分", "分"),
        m("reserve_paid", "返还质量保证金"),
        m("total_paid", "全年应付合计(清算+返还)"),
        m("balance", "清算补拨(+)/扣回(−)"),
        c("crossed_month", "int32", "首次超进度月份"),
        c("ahead_at_end", "bool", "年末超进度"),
    ),
    key=("year", "fixmedins_code"),
    produced_by="payment",
    year_column="year",
    lineage=(_HOSP_CLAIMS,),
    identities=(
        "budget_total = budget_advance + reserve",
        "total_paid = settlement + reserve_paid; balance = total_paid − advances",
    ),
    tests=(
        DataTest(
            "budget_split",
            "年度总额 = 可预拨总额 + 预留质量保证金",
            "SELECT year, fixmedins_code FROM {t} WHERE budget_total <> budget_advance + reserve",
        ),
        DataTest(
            "budget_paid_adds_up",
            "全年应付 = 清算应付 + 返还保证金;补拨 = 全年应付 − 预拨",
            "SELECT year, fixmedins_code FROM {t} WHERE total_paid <> settlement + reserve_paid "
            "OR balance <> total_paid - advances",
        ),
        DataTest(
            "reserve_paid_within_reserve",
            "返还保证金不超过预留保证金",
            "SELECT year, fixmedins_code FROM {t} WHERE reserve_paid > reserve OR reserve_paid < 0",
        ),
    ),
)

PAYMENT_BUDGET_MONTHS = Table(
    "payment_budget_months",
    "总额控制月度预拨与使用进度",
    "One row per year, hospital and month: advance, spending and progress against time.",
    columns=(
        YEAR,
        HOSP,
        c("month", "int32", "月份"),
        m("advance", "本月预拨"),
        m("spent", "本月统筹支出"),
        m("cum_spent", "累计统筹支出"),
        c("cum_use", "ratio", "累计使用率", "比例"),
        c("elapsed", "ratio", "时间进度", "比例"),
        c("ahead", "bool", "超进度"),
    ),
    key=("year", "fixmedins_code", "month"),
    produced_by="payment",
    year_column="year",
    lineage=(_HOSP_CLAIMS,),
    tests=(
        DataTest(
            "advances_add_up",
            "各月预拨之和 = 医院可预拨总额",
            "SELECT t.year, t.fixmedins_code FROM {t} t JOIN payment_budget_hospitals h "
            "USING (year, fixmedins_code) GROUP BY t.year, t.fixmedins_code, h.budget_advance "
            "HAVING sum(t.advance) <> h.budget_advance",
            needs=("payment_budget_hospitals",),
        ),
    ),
)

PAYMENT_BUDGET_SUMMARY = Table(
    "payment_budget_summary",
    "总额控制清算汇总(资金守恒)",
    "One row per year: the total budget against what was settled, the reserve and the bands.",
    columns=(
        YEAR,
        c("hospitals", "int", "医院数", "家"),
        m("budget_total", "年度总额合计"),
        m("reserve", "预留保证金合计"),
        m("advances", "月度预拨合计"),
        m("actual", "实际统筹支出合计"),
        m("settlement", "清算应付合计"),
        m("reserve_paid", "返还保证金合计"),
        m("reserve_retained", "未返还保证金(留基金)"),
        m("band_difference", "分档清算差额(可预拨总额−清算应付)"),
        m("difference", "守恒差额(总额−清算−返还−未返还−分档差额)"),
        c("params", "string", "参数"),
    ),
    key=("year",),
    produced_by="payment",
    year_column="year",
    identities=("budget_total = settlement + reserve_paid + reserve_retained + band_difference",),
    tests=(
        DataTest(
            "budget_conserved",
            "年度总额 = 清算应付 + 返还保证金 + 未返还保证金 + 分档差额(差额为 0)",
            "SELECT year, difference FROM {t} WHERE difference <> 0 OR budget_total <> "
            "settlement + reserve_paid + reserve_retained + band_difference",
        ),
        DataTest(
            "budget_summary_matches_hospitals",
            "汇总 = 各医院之和",
            "SELECT s.year FROM {t} s JOIN (SELECT year, sum(budget_total) b, sum(settlement) st "
            "FROM payment_budget_hospitals GROUP BY year) h USING (year) "
            "WHERE s.budget_total <> h.b OR s.settlement <> h.st",
            needs=("payment_budget_hospitals",),
        ),
    ),
)

PAYMENT_DIP_CATALOGUE = Table(
    "payment_dip_catalogue",
    "DIP 病种目录",
    "One row per catalogue and group: core groups (diagnosis + procedure) and integrated groups.",
    columns=(
        c("catalogue_id", "string", "目录编号"),
        c("year", "int32", "目录最近数据年度"),
        c("group_code", "string", "病种编码"),
        c("group_kind", "string", "病种类型"),
        c("dx_key", "string", "主诊断(亚目)"),
        c("proc_key", "string", "主要手术操作"),
        c("chapter", "string", "诊断章节"),
        c("treatment", "string", "治疗方式"),
        c("cases", "int", "病例数", "例"),
        m("std_cost", "标准费用(加权次均)"),
        c("rw", "ratio", "RW"),
        c("score", "dec2", "病种分值", "分"),
    ),
    key=("catalogue_id", "group_code"),
    produced_by="payment_catalogue",
    year_column="year",
    tests=(
        DataTest(
            "scores_positive",
            "病种分值大于 0",
            "SELECT catalogue_id, group_code FROM {t} WHERE score <= 0 OR std_cost <= 0",
        ),
    ),
)

PAYMENT_DIP_CATALOGUE_INFO = Table(
    "payment_dip_catalogue_info",
    "DIP 病种目录说明",
    "One row per catalogue built from claims history (`yibao payment build-catalogue`).",
    columns=(
        c("catalogue_id", "string", "目录编号"),
        c("year", "int32", "目录最近数据年度"),
        c("years", "string", "数据年度"),
        c("weights", "string", "年度权重"),
        c("cutoff", "int", "核心病种例数临界值", "例"),
        c("core_groups", "int", "核心病种数", "个"),
        c("integrated_groups", "int", "综合病种数", "个"),
        c("cases", "int", "病例数", "例"),
        c("core_coverage", "ratio", "核心病种病例覆盖率", "比例"),
        m("mean_cost", "全部病例加权次均费用"),
        c("score_scale", "int", "分值倍数", "倍"),
        c("built_at", "timestamp", "生成时间"),
    ),
    key=("catalogue_id",),
    produced_by="payment_catalogue",
    year_column="year",
)

PAYMENT_DIP_CASES = Table(
    "payment_dip_cases",
    "DIP 病例入组与分值",
    "One row per inpatient 结算单 of the year at a local hospital: group, outlier class, points.",
    columns=(
        YEAR,
        c("setl_id", "string", "结算ID"),
        HOSP,
        c("month", "int32", "结算月份"),
        c("group_code", "string", "病种编码", personal=True),
        c("group_kind", "string", "病种类型"),
        m("medfee", "医疗费总额"),
        m("hifp", "统筹基金支出"),
        m("std_cost", "病种标准费用"),
        c("base_score", "dec2", "病种分值", "分"),
        c("outlier", "string", "病例类型"),
        c("case_score", "dec2", "病例分值(偏差校正后)", "分"),
        c("coefficient", "ratio", "系数(等级×年龄×严重程度)"),
        c("points", "dec2", "结算分值", "分"),
    ),
    key=("setl_id",),
    produced_by="payment",
    year_column="year",
    lineage=(Lineage("claims", "s.setl_id = t.setl_id"),),
)

PAYMENT_DIP_HOSPITALS = Table(
    "payment_dip_hospitals",
    "DIP 年度清算(医院)",
    "One row per year and local hospital with DIP cases.",
    columns=(
        YEAR,
        HOSP,
        c("fixmedins_name", "string", "定点医疗机构名称"),
        c("hosp_lv", "string", "医院等级"),
        c("cases", "int", "DIP 病例数", "例"),
        c("low_cases", "int", "低倍率病例", "例"),
        c("high_cases", "int", "高倍率病例", "例"),
        c("review_cases", "int", "特病单议病例", "例"),
        c("points", "price", "结算总分值", "分"),
        c("cmi", "ratio", "病例组合指数 CMI"),
        c("cost_index", "ratio", "费用消耗指数(实际÷标准)"),
        m("medfee", "医疗费总额"),
        m("personal_share", "个人及其他负担(医疗费−统筹)"),
        m("hifp", "统筹基金已记录支出"),
        m("credit", "分值折算金额(分值×点值)"),
        m("settlement", "DIP 统筹应付(折算金额−个人负担)"),
        m("advances", "月度预结算合计"),
        m("balance", "清算补拨(+)/扣回(−)"),
        c("upcoding_suspect", "bool", "疑似高套分值"),
    ),
    key=("year", "fixmedins_code"),
    produced_by="payment",
    year_column="year",
    lineage=(_HOSP_CLAIMS,),
    identities=("settlement = credit − personal_share", "balance = settlement − advances"),
    tests=(
        DataTest(
            "dip_settlement_adds_up",
            "统筹应付 = 折算金额 − 个人负担;补拨 = 应付 − 预结算",
            "SELECT year, fixmedins_code FROM {t} WHERE settlement <> credit - personal_share "
            "OR balance <> settlement - advances",
        ),
        DataTest(
            "dip_hospitals_match_cases",
            "医院分值 = 其病例分值之和",
            "SELECT h.year, h.fixmedins_code FROM {t} h JOIN (SELECT year, fixmedins_code, "
            "sum(points) p, count(*) n FROM payment_dip_cases WHERE points IS NOT NULL "
            "GROUP BY ALL) c USING (year, fixmedins_code) WHERE h.points <> c.p OR h.cases <> c.n",
            needs=("payment_dip_cases",),
        ),
    ),
)

_MONTH_SUMS = (
    ("cases", "cases"),
    ("points", "points"),
    ("personal_share", "personal_share"),
    ("advance", "advances"),
    ("credit", "credit"),
    ("settlement", "settlement"),
    ("balance", "balance"),
)

PAYMENT_DIP_MONTHS = Table(
    "payment_dip_months",
    "DIP 月度预结算与年终清算对账(医院 × 月)",
    "One row per year, local hospital with DIP cases and month of settlement: the month's "
    "cases and points, its advance at the budget point value, and its part of the year-end "
    "settlement at the settlement point value (cumulative rounding, so months add up to the "
    "hospital's year to the fen).",
    columns=(
        YEAR,
        HOSP,
        c("month", "int32", "月份"),
        c("cases", "int", "DIP 病例数", "例"),
        c("points", "price", "结算分值", "分"),
        m("medfee", "医疗费总额"),
        m("hifp", "统筹基金已记录支出"),
        m("personal_share", "个人及其他负担(医疗费−统筹)"),
        m("advance", "本月预结算(分值×预算点值−个人负担)×预付比例"),
        m("cum_advances", "累计预结算"),
        m("credit", "年终分值折算金额(结算点值,按累计取整)"),
        m("settlement", "年终统筹应付(折算金额−个人负担)"),
        m("balance", "年终清算补拨(+)/扣回(−)(应付−预结算)"),
    ),
    key=("year", "fixmedins_code", "month"),
    produced_by="payment",
    year_column="year",
    lineage=(
        Lineage(
            "claims",
            "s.fixmedins_code = t.fixmedins_code AND year(s.setl_time) = t.year "
            "AND month(s.setl_time) = t.month",
        ),
    ),
    identities=(
        "settlement = credit − personal_share; balance = settlement − advance",
        "Σ months = the hospital's cases, points, personal_share, advances, credit, settlement, "
        "balance (payment_dip_hospitals)",
    ),
    tests=(
        DataTest(
            "dip_month_adds_up",
            "每月:应付 = 折算金额 − 个人负担;补拨 = 应付 − 预结算",
            "SELECT year, fixmedins_code, month FROM {t} WHERE settlement <> credit - "
            "personal_share OR balance <> settlement - advance",
        ),
        DataTest(
            "dip_months_match_hospitals",
            "各月之和 = 医院全年(病例、分值、个人负担、预结算、折算金额、应付、补拨),到分",
            "SELECT h.year, h.fixmedins_code FROM payment_dip_hospitals h LEFT JOIN (SELECT "
            "year, fixmedins_code, "
            + ", ".join(f"sum({a}) AS {a}" for a, _ in _MONTH_SUMS)
            + " FROM {t} GROUP BY year, fixmedins_code) s USING (year, fixmedins_code) WHERE "
            + " OR ".join(f"s.{a} IS DISTINCT FROM h.{b}" for a, b in _MONTH_SUMS),
            needs=("payment_dip_hospitals",),
        ),
        DataTest(
            "dip_cum_advances",
            "累计预结算 = 本月及以前各月预结算之和",
            "SELECT year, fixmedins_code, month FROM (SELECT *, sum(advance) OVER (PARTITION BY "
            "year, fixmedins_code ORDER BY month) AS c FROM {t}) WHERE cum_advances <> c",
        ),
    ),
)

PAYMENT_DIP_SUMMARY = Table(
    "payment_dip_summary",
    "DIP 点值与清算汇总(资金守恒)",
    "One row per year: point values, the DIP budget and its conservation, and the indicators.",
    columns=(
        YEAR,
        c("catalogue", "string", "病种目录"),
        c("history_years", "string", "预算点值所用年度"),
        c("budget_point_value", "price", "预算点值", "元/分"),
        c("settlement_point_value", "price", "结算点值", "元/分"),
        m("fund_available", "DIP 可用统筹基金"),
        c("reimbursement_ratio", "rate", "统筹报销比例", "比例"),
        m("dip_budget", "DIP 总额(基金÷报销比例)"),
        c("points", "price", "总分值", "分"),
        m("settlement", "医院统筹应付合计"),
        m("personal_share", "个人及其他负担合计"),
        m("difference", "守恒差额(总额−应付−个人负担,取整所致)"),
        c("inpatient_cases", "int", "住院病例数", "例"),
        c("dip_cases", "int", "DIP 入组病例数", "例"),
        m("inpatient_fund", "住院统筹基金支出"),
        m("dip_fund", "按 DIP 支付的统筹基金"),
        c("dip_case_coverage", "ratio", "DIP 病种覆盖率", "比例"),
        c("dip_fund_share", "ratio", "DIP 基金支付占比", "比例"),
        c("params", "string", "参数"),
    ),
    key=("year",),
    produced_by="payment",
    year_column="year",
    identities=("dip_budget = settlement + personal_share + difference",),
    tests=(
        DataTest(
            "dip_conserved",
            "DIP 总额 = 医院统筹应付 + 个人负担 + 取整差额",
            "SELECT year FROM {t} WHERE dip_budget <> settlement + personal_share + difference",
        ),
        DataTest(
            "dip_summary_matches_hospitals",
            "汇总 = 各医院之和",
            "SELECT s.year FROM {t} s JOIN (SELECT year, sum(settlement) st, "
            "sum(personal_share) ps FROM payment_dip_hospitals GROUP BY year) h USING (year) "
            "WHERE s.settlement <> h.st OR s.personal_share <> h.ps",
            needs=("payment_dip_hospitals",),
        ),
    ),
)

PAYMENT_TABLES = (
    PAYMENT_BUDGET_HOSPITALS,
    PAYMENT_BUDGET_MONTHS,
    PAYMENT_BUDGET_SUMMARY,
    PAYMENT_DIP_CATALOGUE,
    PAYMENT_DIP_CATALOGUE_INFO,
    PAYMENT_DIP_CASES,
    PAYMENT_DIP_HOSPITALS,
    PAYMENT_DIP_MONTHS,
    PAYMENT_DIP_SUMMARY,
)
