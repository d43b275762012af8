"""Derived tables: what each pipeline step writes, declared like the canonical tables.

Every table a step stores is declared here with its grain, key, columns (type, unit, 中文 label,
personal flag), the step that produces it, the column by which a re-run replaces a year, how a
row finds its source rows (``yibao trace``) and the identities it must satisfy, as queries that
return the offending rows (``yibao check``).  DDL, masking, docs/schema.md and the drift test
all read this one registry.
"""

from __future__ import annotations

from yibao.control.cases import CASE_TABLES
from yibao.evaluate.tables import EVALUATE_TABLES
from yibao.finance.employee_tables import EMPLOYEE_TABLES
from yibao.payment.tables import PAYMENT_TABLES
from yibao.schema.model import Column, DataTest, DType, Lineage, Table


def c(
    name: str, dtype: DType, label: str, unit: str = "", *, personal: bool = False, desc: str = ""
) -> Column:
    return Column(name, dtype, label, desc, unit=unit, personal=personal)


def _money(name: str, label: str, desc: str = "") -> Column:
    return c(name, "money", label, "元", desc=desc)


YEAR = c("year", "int32", "年度")
_FUNDS = (
    ("hifp_pay", "统筹基金支出"),
    ("hifob_pay", "职工大额医疗费用补助支出"),
    ("hifmi_pay", "大病保险支出"),
    ("maf_pay", "医疗救助支出"),
    ("psn_part_amt", "个人负担"),
)
_BY_CLAIM = Lineage("claims", "s.setl_id = t.setl_id")

SETTLEMENTS = Table(
    "settlements",
    "结算复核结果",
    "One row per 结算单 of a settled year: the payments by policy, with the trace in fen/ppm.",
    columns=(
        c("setl_id", "string", "结算ID"),
        c("psn_no", "string", "人员编号"),
        c("year", "int", "结算年度"),
        *(_money(n, label) for n, label in _FUNDS),
        c(
            "kind",
            "string",
            "待遇类别",
            desc="离休干部/住院/门诊慢特病/普通门诊;职工住院/职工门诊慢特病/职工普通门诊",
        ),
        c("policy_from", "date", "适用政策起始日"),
        c("deductible_fen", "int", "起付标准", "分"),
        c("ratio_ppm", "int", "统筹支付比例", "百万分之一"),
        c("basic_raw_fen", "int", "本单统筹应付(封顶前)", "分"),
        c("basic_cum_fen", "int", "年度累计统筹应付", "分"),
        c("basic_cap_fen", "int", "统筹年度最高支付限额", "分"),
        c(
            "hifob_cap_fen",
            "int",
            "统筹加大额补助的累计上限",
            "分",
            desc="职工住院与慢特病;其余为 0",
        ),
        c("ci_base_fen", "int", "大病保险本单合规费用", "分"),
        c("ci_cum_fen", "int", "大病保险年度累计合规费用", "分"),
        c("poor", "bool", "困难群体(大病倾斜)"),
        c("ci_f_before_fen", "int", "大病保险本单前累计应付", "分"),
        c("ci_f_after_fen", "int", "大病保险本单后累计应付", "分"),
        c("maf_rate_ppm", "int", "医疗救助比例", "百万分之一"),
        c("maf_base_fen", "int", "医疗救助本单基数", "分"),
        c("maf_raw_fen", "int", "医疗救助本单应付(封顶前)", "分"),
        c("maf_cum_fen", "int", "医疗救助年度累计", "分"),
        c("maf_limit_fen", "int", "医疗救助年度限额", "分"),
        c("acct_pay_fen", "int", "个人账户支出(记录)", "分"),
        c("acct_excess_fen", "int", "个人账户支出超过个人负担的部分", "分", desc="大于 0 即为差异"),
        c("psn_idet_type", "string", "人员身份类别(结算所用)"),
        c(
            "psn_idet_source",
            "string",
            "身份来源",
            desc="结算单 / 参保登记(当年度)/ 人员登记(persons)/ 未记录,按普通人员",
        ),
        c("policy_name", "string", "政策"),
        c("settled_at", "timestamp", "复核时间"),
    ),
    key=("setl_id",),
    produced_by="settle",
    year_column="year",
    lineage=(_BY_CLAIM,),
    identities=("medfee_sumamt = hifp_pay + hifob_pay + hifmi_pay + maf_pay + psn_part_amt",),
    tests=(
        DataTest(
            "settlement_adds_up",
            "医疗费总额 = 统筹基金 + 大额补助 + 大病保险 + 医疗救助 + 个人负担",
            "SELECT t.setl_id, t.year, c.medfee_sumamt, t.hifp_pay, t.hifob_pay, t.hifmi_pay, "
            "t.maf_pay, t.psn_part_amt FROM {t} t JOIN claims c USING (setl_id) WHERE "
            "c.medfee_sumamt <> t.hifp_pay + coalesce(t.hifob_pay, 0) + t.hifmi_pay + t.maf_pay "
            "+ t.psn_part_amt",
            needs=("claims",),
        ),
        DataTest(
            "settlement_non_negative",
            "各项基金支付不为负",
            "SELECT setl_id, year, hifp_pay, hifob_pay, hifmi_pay, maf_pay FROM {t} "
            "WHERE hifp_pay < 0 OR hifob_pay < 0 OR hifmi_pay < 0 OR maf_pay < 0",
        ),
        DataTest(
            "settlement_unique",
            "每张结算单只有一条复核结果",
            "SELECT setl_id, count(*) AS n FROM {t} GROUP BY setl_id HAVING count(*) > 1",
        ),
        DataTest(
            "settlement_has_claim",
            "每条复核结果都有对应的结算单",
            "SELECT t.setl_id, t.year FROM {t} t ANTI JOIN claims c USING (setl_id)",
            needs=("claims",),
        ),
    ),
)

SETTLE_DISCREPANCIES = Table(
    "settle_discrepancies",
    "结算复核差异",
    "One row per 结算单 whose recorded fund payments differ from the re-settlement, or whose "
    "personal-account payment exceeds the re-settled personal part.",
    columns=(
        c("setl_id", "string", "结算ID"),
        YEAR,
        c("fixmedins_code", "string", "定点医药机构编号"),
        c("psn_no", "string", "人员编号"),
        c("med_type", "string", "医疗类别"),
        *(
            col
            for n, label in _FUNDS
            for col in (
                _money(f"recorded_{n}", f"{label}(记录)"),
                _money(f"computed_{n}", f"{label}(复核)"),
                _money(f"diff_{n}", f"{label}差额(记录−复核)"),
            )
        ),
        _money("recorded_acct_pay", "个人账户支出(记录)"),
        _money(
            "acct_excess",
            "个人账户支出超过复核个人负担的部分",
            "个人账户只能支付个人负担部分;大于 0 即为差异",
        ),
    ),
    key=("setl_id",),
    produced_by="settle",
    year_column="year",
    lineage=(_BY_CLAIM,),
    identities=("diff_* = recorded_* − computed_*",),
    tests=(
        DataTest(
            "discrepancy_is_difference",
            "差额 = 记录 − 复核",
            "SELECT setl_id, year FROM {t} WHERE "
            + " OR ".join(
                f"diff_{n} <> coalesce(recorded_{n} - computed_{n}, 0)" for n, _ in _FUNDS
            ),
        ),
    ),
)

SETTLE_DISCREPANCY_SUMMARY = Table(
    "settle_discrepancy_summary",
    "结算复核差异汇总",
    "One row per year, 定点医药机构 and fund with at least one differing 结算单.",
    columns=(
        YEAR,
        c("fixmedins_code", "string", "定点医药机构编号"),
        c("fund", "string", "基金"),
        c("claims", "int", "不一致张数", "张"),
        _money("recorded", "记录合计"),
        _money("computed", "复核合计"),
        _money("diff", "差额"),
    ),
    key=("year", "fixmedins_code", "fund"),
    produced_by="settle",
    year_column="year",
    tests=(
        DataTest(
            "summary_is_difference",
            "汇总差额 = 记录合计 − 复核合计",
            "SELECT year, fixmedins_code, fund FROM {t} WHERE diff <> recorded - computed",
        ),
    ),
)

# --- finance ------------------------------------------------------------------------------------

_REGION = c("region_code", "string", "行政区划代码")
_LEVEL = c("budget_level", "string", "财政级次")
_ENROLMENTS_OF_REGION = Lineage(
    "enrolments", "s.region_code = t.region_code AND s.year = t.year AND s.insutype = '390'"
)

FINANCE_SUBSIDY_DUE = Table(
    "finance_subsidy_due",
    "财政补助应拨额",
    "One row per year, county and budget level: insured × per-person share, rounded once.",
    columns=(
        YEAR,
        _REGION,
        c("county_class", "string", "县市区分类"),
        _LEVEL,
        c("insured", "int", "城乡居民参保人数", "人"),
        c("per_person", "price", "人均分担额", "元/人", desc="定额补助的级次为空"),
        _money("standard", "人均财政补助标准"),
        _money("due", "应补助额"),
    ),
    key=("year", "region_code", "budget_level"),
    produced_by="finance",
    year_column="year",
    lineage=(_ENROLMENTS_OF_REGION,),
    identities=("Σ 各级次 due = round(insured × standard)",),
    tests=(
        DataTest(
            "levels_sum_to_total",
            "各级财政应补助额之和 = 参保人数 × 人均补助标准",
            "SELECT year, region_code, sum(due) AS levels_total, "
            "round(max(insured) * max(standard), 2) AS expected FROM {t} "
            "GROUP BY year, region_code HAVING sum(due) <> round(max(insured) * max(standard), 2)",
        ),
        DataTest(
            "share_times_insured",
            "按人均分担的级次:应补助额 = 参保人数 × 人均分担额(县级为差额,不在此列)",
            "SELECT year, region_code, budget_level, insured, per_person, due FROM {t} "
            "WHERE per_person IS NOT NULL AND budget_level <> '县级' "
            "AND due <> round(insured * per_person, 2)",
        ),
    ),
)

FINANCE_SUBSIDY = Table(
    "finance_subsidy",
    "财政补助到位",
    "One row per year, county and budget level: due against arrived, with the arrival rate.",
    columns=(
        YEAR,
        _REGION,
        c("region_name", "string", "行政区划名称"),
        c("county_class", "string", "县市区分类"),
        _LEVEL,
        c("insured", "int", "参保人数", "人"),
        c("per_person", "price", "人均分担额", "元/人"),
        _money("due", "应补助额"),
        _money("received", "当年到位"),
        _money("settlement", "上年清算"),
        _money("received_net", "到位净额"),
        c("arrival_rate", "ratio", "到位率", "比例"),
        _money("shortfall", "短缺额"),
        c("status", "string", "状态"),
    ),
    key=("year", "region_code", "budget_level"),
    produced_by="finance",
    year_column="year",
    lineage=(
        _ENROLMENTS_OF_REGION,
        Lineage(
            "subsidy_receipts",
            "s.region_code = t.region_code AND s.budget_level = t.budget_level AND s.year = t.year",
        ),
    ),
    tests=(
        DataTest(
            "net_is_received_plus_settlement",
            "到位净额 = 当年到位 + 上年清算",
            "SELECT year, region_code, budget_level FROM {t} "
            "WHERE received_net <> received + settlement",
        ),
    ),
)

FINANCE_SUBSIDY_QUARTERLY = Table(
    "finance_subsidy_quarterly",
    "财政补助分季度到位",
    "One row per year, budget level and quarter: received and cumulative arrival.",
    columns=(
        YEAR,
        _LEVEL,
        c("quarter", "string", "季度"),
        _money("received", "本季到位"),
        _money("cumulative", "累计到位"),
        _money("due", "应补助额"),
        c("cumulative_rate", "ratio", "累计到位率", "比例"),
    ),
    key=("year", "budget_level", "quarter"),
    produced_by="finance",
    year_column="year",
)

FINANCE_CONTRIBUTIONS = Table(
    "finance_contributions",
    "个人缴费核对",
    "One row per year, county and 人员身份类别: contribution due against recorded.",
    columns=(
        YEAR,
        _REGION,
        c("category", "string", "人员身份类别"),
        c("insured", "int", "参保人数", "人"),
        _money("standard", "个人缴费标准"),
        _money("subsidy_per_person", "人均资助额"),
        _money("due", "应缴额"),
        _money("due_subsidy", "应资助额"),
        _money("due_person", "个人应缴额"),
        _money("recorded", "记录缴费"),
        _money("recorded_subsidy", "记录资助"),
        _money("gap", "缴费差额"),
        _money("gap_subsidy", "资助差额"),
        c("missing", "int", "缺缴费记录人数", "人"),
    ),
    key=("year", "region_code", "category"),
    produced_by="finance",
    year_column="year",
    lineage=(
        Lineage(
            "enrolments",
            "s.region_code = t.region_code AND s.year = t.year AND s.insutype = '390' "
            "AND coalesce(s.psn_idet_type, '普通人员') = t.category",
        ),
    ),
    tests=(
        DataTest(
            "due_splits",
            "应缴额 = 应资助额 + 个人应缴额",
            "SELECT year, region_code, category FROM {t} WHERE due <> due_subsidy + due_person",
        ),
    ),
)

FINANCE_ACCOUNTS = Table(
    "finance_accounts",
    "基金收支",
    "One row per year, fund, direction and account line: ledger next to business data.",
    columns=(
        YEAR,
        c("fund", "string", "基金"),
        c("direction", "string", "收支方向"),
        c("line", "string", "科目代码"),
        c("label", "string", "科目"),
        _money("ledger", "明细账金额"),
        _money("source", "业务数据金额"),
        _money("diff", "差额"),
    ),
    key=("year", "fund", "line"),
    produced_by="finance",
    year_column="year",
    lineage=(Lineage("fund_ledger", "year(s.entry_date) = t.year"),),
)

FINANCE_BALANCE = Table(
    "finance_balance",
    "基金结余滚存",
    "One row per report year and book year rolled forward: opening, income, expense, closing.",
    columns=(
        YEAR,
        c("report_year", "int32", "报告年度"),
        _money("opening", "期初结余"),
        _money("stated_opening", "账载期初"),
        _money("income", "收入"),
        _money("expense", "支出"),
        _money("closing", "期末结余"),
        _money("transfers_net", "内部划转净额"),
        _money("book_balance", "明细账累计余额"),
        _money("gap", "差额"),
        c("months_of_reserve", "dec2", "可支付月数", "月"),
    ),
    key=("report_year", "year"),
    produced_by="finance",
    year_column="report_year",
    lineage=(Lineage("fund_ledger", "year(s.entry_date) = t.year"),),
    identities=("closing = opening + income − expense", "opening(y) = closing(y − 1)"),
    tests=(
        DataTest(
            "balance_rolls_forward",
            "期末结余 = 期初结余 + 收入 − 支出",
            "SELECT report_year, year, opening, income, expense, closing FROM {t} "
            "WHERE closing <> opening + income - expense",
        ),
        DataTest(
            "opening_is_last_closing",
            "本年期初结余 = 上年期末结余",
            "SELECT b.report_year, b.year, b.opening, a.closing AS last_closing FROM {t} b "
            "JOIN {t} a ON a.report_year = b.report_year AND a.year = b.year - 1 "
            "WHERE b.opening <> a.closing",
        ),
    ),
)

FINANCE_BUDGET = Table(
    "finance_budget",
    "预算执行",
    "One row per year, region, project and item: budget with carry-over against spending.",
    columns=(
        YEAR,
        _REGION,
        c("project", "string", "项目"),
        c("item", "string", "明细"),
        _money("budget", "年初预算"),
        _money("carry_over", "上年结转"),
        _money("budget_total", "可用预算"),
        _money("actual", "实际支出"),
        _money("balance", "结余"),
        c("execution_rate", "ratio", "预算执行率", "比例"),
        c("matched_by", "string", "支出匹配方式"),
    ),
    key=("year", "region_code", "project", "item"),
    produced_by="finance",
    year_column="year",
    lineage=(Lineage("budgets", "s.year = t.year AND s.project = t.project"),),
    tests=(
        DataTest(
            "budget_total_adds_up",
            "可用预算 = 年初预算 + 上年结转",
            "SELECT year, project, item FROM {t} "
            "WHERE budget_total <> budget + coalesce(carry_over, 0)",
        ),
    ),
)

FINANCE_INSURER = Table(
    "finance_insurer",
    "大病保险承办结算",
    "One row per year: premium, claims, profit and what returns to the fund.",
    columns=(
        YEAR,
        _money("premium", "保费"),
        _money("claims", "大病保险赔付"),
        _money("profit", "盈余"),
        c("profit_rate", "ratio", "盈余率", "比例"),
        c("cap_rate", "ratio", "盈利率上限", "比例"),
        _money("cap_amount", "允许盈利额"),
        _money("returned_to_fund", "返还基金"),
        _money("fund_loss_share", "基金分担亏损"),
        _money("insurer_result", "承办机构结果"),
        c("note", "string", "说明"),
    ),
    key=("year",),
    produced_by="finance",
    year_column="year",
    tests=(
        DataTest(
            "profit_is_premium_less_claims",
            "盈余 = 保费 − 大病保险赔付",
            "SELECT year, premium, claims, profit FROM {t} WHERE profit <> premium - claims",
        ),
    ),
)

FINANCE_RETIREES = Table(
    "finance_retirees",
    "离休人员医疗费用",
    "One row per year and 离休 person: spending, quota and cash top-up.",
    columns=(
        YEAR,
        c("psn_no", "string", "人员编号"),
        _REGION,
        c("enrolled", "bool", "当年参保"),
        c("period", "string", "参加革命工作时期"),
        _money("quota", "个人医疗定额"),
        _money("inpatient", "住院费用"),
        _money("outpatient", "门诊费用"),
        _money("topup", "定额节约现金补足"),
        c("visits", "int", "就诊次数", "次"),
    ),
    key=("year", "psn_no"),
    produced_by="finance",
    year_column="year",
    lineage=(Lineage("claims", "s.psn_no = t.psn_no AND year(s.setl_time) = t.year"),),
)

FINANCE_NOTES = Table(
    "finance_notes",
    "基金财务说明",
    "One row per note of a finance run: what was assumed or found, as data.",
    columns=(
        YEAR,
        c("seq", "int32", "序号"),
        c("note", "string", "说明"),
        c("code", "string", "说明代码"),
        c("severity", "string", "级别", desc="info / warning / error"),
        c("scope", "string", "范围", desc="year / county / level / …"),
        c("scope_key", "string", "范围值"),
    ),
    key=("year", "seq"),
    produced_by="finance",
    year_column="year",
)

# --- supervision --------------------------------------------------------------------------------

SUPERVISE_FINDINGS = Table(
    "supervise_findings",
    "监管线索",
    "One row per finding of a rule in a year (the rule's key), ranked by amount at risk.",
    columns=(
        YEAR,
        c("rule", "string", "规则代码"),
        c("rule_name", "string", "规则"),
        c("rank", "int", "排序"),
        c("key", "string", "线索键", desc="参保类规则为证件号码:与证件号码相同的值一并脱敏"),
        c("setl_id", "string", "结算ID"),
        c("psn_no", "string", "人员编号"),
        Column(
            "certno", "string", "证件号码", check="certno", personal=True, description="GB 11643"
        ),
        c("psn_name", "string", "姓名", personal=True),
        c("fixmedins_code", "string", "定点医药机构编号"),
        c("fixmedins_name", "string", "定点医药机构名称"),
        c("hosp_lv", "string", "医院等级"),
        c("dise_codg", "string", "诊断代码", personal=True),
        _money("amount", "涉及金额"),
        c("score", "float", "信号强度", desc="≥ 1 表示达到或超过阈值"),
        c("evidence", "string", "证据"),
        c("engine", "string", "计算引擎"),
        c("run_at", "timestamp", "筛查时间"),
    ),
    key=("year", "rule", "key"),
    produced_by="supervise",
    year_column="year",
    lineage=(
        _BY_CLAIM,
        Lineage("persons", "s.psn_no = t.psn_no"),
        Lineage("enrolments", "s.psn_no = t.psn_no AND s.year = t.year"),
    ),
    tests=(
        DataTest(
            "finding_amount_non_negative",
            "涉及金额不为负",
            "SELECT year, rule, key, amount FROM {t} WHERE amount < 0",
        ),
        DataTest(
            "finding_rank_unique",
            "同一年度排序号唯一",
            "SELECT year, rank, count(*) AS n FROM {t} GROUP BY year, rank HAVING count(*) > 1",
        ),
    ),
)

SUPERVISE_HOSPITAL_SUMMARY = Table(
    "supervise_hospital_summary",
    "监管线索医院汇总",
    "One row per year, 定点医药机构 and rule with findings.",
    columns=(
        YEAR,
        c("fixmedins_code", "string", "定点医药机构编号"),
        c("fixmedins_name", "string", "定点医药机构名称"),
        c("hosp_lv", "string", "医院等级"),
        c("rule", "string", "规则代码"),
        c("findings", "int", "线索数", "条"),
        _money("amount", "涉及金额"),
    ),
    key=("year", "fixmedins_code", "rule"),
    produced_by="supervise",
    year_column="year",
    lineage=(Lineage("institutions", "s.fixmedins_code = t.fixmedins_code"),),
    tests=(
        DataTest(
            "summary_counts_findings",
            "医院汇总的线索数 = 该院该规则的线索条数",
            "SELECT t.year, t.fixmedins_code, t.rule, t.findings, count(f.key) AS counted "
            "FROM {t} t LEFT JOIN supervise_findings f ON f.year = t.year "
            "AND f.fixmedins_code = t.fixmedins_code AND f.rule = t.rule "
            "GROUP BY ALL HAVING t.findings <> count(f.key)",
            needs=("supervise_findings",),
        ),
    ),
)

SUPERVISE_RUNS = Table(
    "supervise_runs",
    "监管规则运行记录",
    "One row per year and rule run: findings, amount, time and parameters.",
    columns=(
        YEAR,
        c("rule", "string", "规则代码"),
        c("rule_name", "string", "规则"),
        c("findings", "int", "线索数", "条"),
        _money("amount", "涉及金额"),
        c("seconds", "float", "用时", "秒"),
        c("engine", "string", "计算引擎"),
        c("params", "string", "参数(JSON)"),
        c("run_at", "timestamp", "运行时间"),
    ),
    key=("year", "rule"),
    produced_by="supervise",
    year_column="year",
)

DERIVED: dict[str, Table] = {
    t.name: t
    for t in (
        SETTLEMENTS,
        SETTLE_DISCREPANCIES,
        SETTLE_DISCREPANCY_SUMMARY,
        FINANCE_SUBSIDY_DUE,
        FINANCE_SUBSIDY,
        FINANCE_SUBSIDY_QUARTERLY,
        FINANCE_CONTRIBUTIONS,
        FINANCE_ACCOUNTS,
        FINANCE_BALANCE,
        FINANCE_BUDGET,
        FINANCE_INSURER,
        FINANCE_RETIREES,
        FINANCE_NOTES,
        *EMPLOYEE_TABLES,
        SUPERVISE_FINDINGS,
        SUPERVISE_HOSPITAL_SUMMARY,
        SUPERVISE_RUNS,
        *CASE_TABLES,
        *EVALUATE_TABLES,
        *PAYMENT_TABLES,
    )
}


def derived_table(name: str) -> Table:
    try:
        return DERIVED[name]
    except KeyError:
        raise KeyError(f"未登记的派生表 {name!r}") from None


def tables_of(step: str) -> list[Table]:
    """The tables a step writes, in registry order."""
    return [t for t in DERIVED.values() if t.produced_by == step]
