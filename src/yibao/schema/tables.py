"""Canonical schema v1: the tables the seed reports describe, in national platform field codes."""

from __future__ import annotations

from decimal import Decimal

from yibao.schema.codes import (  # re-exported: the one domain vocabulary
    BUDGET_LEVEL,
    BUDGET_LEVEL_ALIASES,
    DIRECTION,
    EMP_RETIRED,
    EMP_RETIRED_ALIASES,
    FLAG,
    FLAG_ALIASES,
    GENDER,
    GENDER_ALIASES,
    HOSP_LEVEL,
    HOSP_LEVEL_ALIASES,
    INSUTYPE,
    INSUTYPE_ALIASES,
    MED_TYPE,
    MED_TYPE_ALIASES,
    OFFSITE_ALIASES,
    PSN_IDET,
    PSN_IDET_ALIASES,
    REGION_LEVEL,
)
from yibao.schema.model import Column, RowRule, Table

SCHEMA_VERSION = 1

ZERO = Decimal("0")


def _psn_idet(required: bool = False) -> Column:
    return Column(
        "psn_idet_type",
        "string",
        "人员身份类别",
        "决定资助参保和待遇倾斜的身份",
        aliases=("人员类别", "身份类别", "psn_type"),
        codes=PSN_IDET,
        value_aliases=PSN_IDET_ALIASES,
        required=required,
    )


REGIONS = Table(
    "regions",
    "统筹区/行政区",
    "One row per county-level region of the fund (GB/T 2260).",
    columns=(
        Column(
            "region_code",
            "string",
            "行政区划代码",
            aliases=("admdvs", "区划代码", "医保区划"),
            required=True,
            check="area",
        ),
        Column("region_name", "string", "行政区划名称", aliases=("区划名称", "地区")),
        Column("parent_code", "string", "上级区划代码", aliases=("上级代码",), check="area"),
        Column("level", "string", "区划级别", codes=REGION_LEVEL),
        Column(
            "county_class",
            "string",
            "县市区分类",
            "中央及省级补助分担档次,如'一类'",
            aliases=("分担类别", "县类别"),
        ),
        Column(
            "registered_pop", "int", "户籍人口", unit="人", aliases=("户籍人口数",), min_value=0
        ),
        Column("resident_pop", "int", "常住人口", unit="人", aliases=("常住人口数",), min_value=0),
    ),
    key=("region_code",),
)

PERSONS = Table(
    "persons",
    "人员",
    "One row per person (人员编号); personal data, masked in reports.",
    columns=(
        Column("psn_no", "string", "人员编号", aliases=("个人编号", "psn_id"), required=True),
        Column(
            "certno",
            "string",
            "证件号码",
            "公民身份号码(GB 11643)",
            aliases=("身份证号", "身份证号码", "公民身份号码", "idcard"),
            required=True,
            check="certno",
            personal=True,
        ),
        Column("psn_name", "string", "姓名", aliases=("人员姓名", "name"), personal=True),
        Column(
            "gend",
            "string",
            "性别",
            aliases=("gender", "sex"),
            codes=GENDER,
            value_aliases=GENDER_ALIASES,
        ),
        Column("brdy", "date", "出生日期", aliases=("birthday", "出生年月日")),
        Column(
            "region_code",
            "string",
            "户籍区划代码",
            aliases=("admdvs", "区划代码", "参保地区划"),
            required=True,
            check="area",
        ),
        Column("household_id", "string", "家庭编号", aliases=("户号", "家庭户号", "hh_id")),
        _psn_idet(),
        Column("death_date", "date", "死亡日期", aliases=("dead_date", "死亡时间")),
    ),
    key=("psn_no",),
    row_rules=(
        RowRule("birth_before_death", ("brdy", "death_date"), "出生日期晚于死亡日期"),
        RowRule("brdy_matches_certno", ("brdy", "certno"), "出生日期与身份证号中的出生日期不一致"),
    ),
)


def _emp_retired() -> Column:
    return Column(
        "emp_retired",
        "string",
        "在职退休状态",
        "职工医保:在职 0 / 退休 1(退休人员待遇比例更高,个人账户另按年龄段划入)",
        aliases=("在职退休", "退休标志", "retr_flag", "在职状态"),
        codes=EMP_RETIRED,
        value_aliases=EMP_RETIRED_ALIASES,
    )


def _employer() -> tuple[Column, Column]:
    return (
        Column("emp_no", "string", "单位编号", aliases=("单位编码", "emp_code", "参保单位编号")),
        Column("emp_name", "string", "单位名称", aliases=("参保单位名称", "emp_nm", "工作单位")),
    )


#: Employee enrolments (职工医保, 310): employer, contribution base and both parts, end date.
_EMPLOYEE_ENROLMENT = (
    *_employer(),
    Column(
        "contribution_base",
        "money",
        "缴费基数",
        "职工医保月缴费基数(按当地平均工资的 60 %–300 % 保底封顶)",
        unit="元/月",
        aliases=("clct_bas", "cont_base", "月缴费基数", "缴费工资"),
        min_value=ZERO,
    ),
    Column(
        "emp_contribution",
        "money",
        "单位缴费金额",
        "职工医保单位缴费(年度合计);个人缴费记在 contribution",
        unit="元",
        aliases=("单位缴费", "emp_clct_amt", "单位缴纳金额"),
        min_value=ZERO,
    ),
    _emp_retired(),
    Column("end_date", "date", "参保终止日期", aliases=("enddate", "停保日期", "终止参保日期")),
)


ENROLMENTS = Table(
    "enrolments",
    "参保登记",
    "One row per person, insurance type, region and year (年度参保).",
    columns=(
        Column("psn_no", "string", "人员编号", aliases=("个人编号",), required=True),
        Column(
            "year",
            "int",
            "参保年度",
            aliases=("年度", "insu_year"),
            required=True,
            min_value=1998,
            max_value=2100,
        ),
        Column(
            "insutype",
            "string",
            "险种类型",
            aliases=("险种", "险种类型代码"),
            required=True,
            codes=INSUTYPE,
            value_aliases=INSUTYPE_ALIASES,
        ),
        Column(
            "region_code",
            "string",
            "参保区划代码",
            aliases=("insu_admdvs", "参保地"),
            required=True,
            check="area",
        ),
        Column(
            "certno",
            "string",
            "证件号码",
            aliases=("身份证号", "身份证号码"),
            check="certno",
            personal=True,
        ),
        _psn_idet(),
        Column("enrol_date", "date", "参保日期", aliases=("begndate", "参保时间")),
        Column(
            "contribution",
            "money",
            "个人缴费金额",
            unit="元",
            aliases=("缴费金额", "个人缴费"),
            min_value=ZERO,
        ),
        Column(
            "subsidised_amt",
            "money",
            "资助参保金额",
            "医疗救助等代缴的个人缴费",
            unit="元",
            aliases=("资助金额", "代缴金额"),
            min_value=ZERO,
        ),
        Column(
            "paid_by",
            "string",
            "缴费来源",
            aliases=("资助来源",),
            codes={
                "个人": "个人缴纳",
                "医疗救助": "医疗救助全额资助",
                "部分资助": "医疗救助/财政部分资助",
                "单位": "单位缴纳",
                "财政": "财政全额",
            },
        ),
        *_EMPLOYEE_ENROLMENT,
    ),
    key=("psn_no", "year", "insutype", "region_code"),
)

INSTITUTIONS = Table(
    "institutions",
    "定点医药机构",
    "One row per designated medical institution or pharmacy.",
    columns=(
        Column(
            "fixmedins_code",
            "string",
            "定点医药机构编号",
            aliases=(
                "机构编码",
                "医院编码",
                "定点机构编码",
                "医疗机构编码",
                "医疗机构代码",
                "定点医疗机构编码",
                "定点医药机构编码",
            ),
            required=True,
        ),
        Column(
            "fixmedins_name",
            "string",
            "定点医药机构名称",
            aliases=("机构名称", "医院名称", "医疗机构名称", "定点医疗机构名称"),
            required=True,
        ),
        Column(
            "hosp_lv",
            "string",
            "医院等级",
            aliases=("机构等级", "医疗机构等级"),
            codes=HOSP_LEVEL,
            value_aliases=HOSP_LEVEL_ALIASES,
        ),
        Column(
            "region_code",
            "string",
            "所在区划代码",
            aliases=("admdvs", "区划代码"),
            check="area",
            required=True,
        ),
        Column(
            "fixmedins_type",
            "string",
            "机构类型",
            aliases=("定点类型",),
            codes={"1": "定点医疗机构", "2": "定点零售药店"},
            value_aliases={"医院": "1", "医疗机构": "1", "药店": "2", "零售药店": "2"},
        ),
        Column("beds", "int", "核定床位数", unit="张", aliases=("床位数",), min_value=0),
    ),
    key=("fixmedins_code",),
)

_MONEY_FIELDS = (
    ("medfee_sumamt", "医疗费总额", ("总费用", "医疗总费用")),
    ("inscp_scp_amt", "符合政策范围金额", ("政策范围内金额", "合规费用", "符合范围金额")),
    ("hifp_pay", "基本医疗保险统筹基金支出", ("统筹基金支付", "统筹支付", "基本医保支付")),
    # 大病补充医疗保险基金支出: the name several provincial 结算清单 exports give the same fund.
    (
        "hifmi_pay",
        "居民大病保险资金支出",
        ("大病保险支付", "大病支付", "大病保险基金支出", "大病补充医疗保险基金支出"),
    ),
    ("maf_pay", "医疗救助基金支出", ("医疗救助支付", "救助支付")),
    ("psn_part_amt", "个人负担总金额", ("个人负担", "个人自付")),
    ("hifob_pay", "职工大额医疗费用补助基金支出", ("大额医疗费用补助", "大额补助支付", "大额支付")),
    ("cvlserv_pay", "公务员医疗补助资金支出", ("公务员医疗补助", "公务员补助支付")),
    ("acct_pay", "个人账户支出", ("个人账户支付", "个账支付", "个人账户")),
)

CLAIMS = Table(
    "claims",
    "结算单",
    "One row per settlement (结算单, setl_id); amounts in 元.",
    columns=(
        Column("setl_id", "string", "结算ID", aliases=("结算编号", "结算流水号"), required=True),
        Column("mdtrt_id", "string", "就诊ID", aliases=("就医登记号", "住院号", "就诊流水号")),
        Column("psn_no", "string", "人员编号", aliases=("个人编号",), required=True),
        Column(
            "certno",
            "string",
            "证件号码",
            aliases=("身份证号", "身份证号码"),
            check="certno",
            personal=True,
        ),
        Column(
            "insutype",
            "string",
            "险种类型",
            aliases=("险种",),
            required=True,
            codes=INSUTYPE,
            value_aliases=INSUTYPE_ALIASES,
        ),
        Column(
            "med_type",
            "string",
            "医疗类别",
            aliases=("就医类别", "med_type_code"),
            required=True,
            codes=MED_TYPE,
            value_aliases=MED_TYPE_ALIASES,
        ),
        Column(
            "fixmedins_code",
            "string",
            "定点医药机构编号",
            aliases=(
                "机构编码",
                "医院编码",
                "医疗机构编码",
                "医疗机构代码",
                "定点医疗机构编码",
                "定点医药机构编码",
                "定点机构编码",
            ),
            required=True,
        ),
        Column(
            "hi_setl_lv",
            "string",
            "医保结算等级",
            aliases=("结算等级", "医院等级"),
            codes=HOSP_LEVEL,
            value_aliases=HOSP_LEVEL_ALIASES,
        ),
        Column(
            "offsite_flag",
            "string",
            "异地就医标志",
            aliases=("offsite", "异地标志", "out_flag", "yd_flag"),
            codes=FLAG,
            value_aliases=OFFSITE_ALIASES,
        ),
        _psn_idet(),
        # A date header maps to its datetime column (入院日期 → 入院时间, at 00:00).
        Column(
            "adm_time",
            "timestamp",
            "入院时间",
            aliases=("begntime", "就诊时间", "开始时间", "入院日期", "就诊日期"),
        ),
        Column("dscg_time", "timestamp", "出院时间", aliases=("endtime", "结束时间", "出院日期")),
        Column("setl_time", "timestamp", "结算时间", aliases=("结算日期",), required=True),
        Column(
            "dise_codg",
            "string",
            "主诊断编码",
            aliases=(
                "dscg_maindiag_code",
                "诊断编码",
                "主要诊断编码",
                "主要诊断",
                "主要诊断代码",
                "出院主要诊断编码",
            ),
            personal=True,
            check="diagnosis",
        ),
        Column(
            "oprn_oprt_code",
            "string",
            "主要手术操作编码",
            "ICD-9-CM-3 医保版 2.0 main procedure; empty for conservative treatment.",
            aliases=("手术操作编码", "主手术操作编码", "oprn_oprt_codg"),
            check="procedure",
        ),
        Column("dept_codg", "string", "科室编码", aliases=("科别", "科室代码", "dept_code")),
        Column(
            "act_ipt_days", "int", "实际住院天数", unit="天", aliases=("住院天数",), min_value=0
        ),
        *(
            Column(
                n,
                "money",
                lab,
                unit="元",
                aliases=al,
                required=n in ("medfee_sumamt", "inscp_scp_amt"),
                min_value=ZERO,
            )
            for n, lab, al in _MONEY_FIELDS
        ),
        _emp_retired(),
    ),
    key=("setl_id",),
    row_rules=(
        RowRule(
            "inscp_le_medfee", ("inscp_scp_amt", "medfee_sumamt"), "符合政策范围金额大于医疗费总额"
        ),
        RowRule("adm_le_dscg", ("adm_time", "dscg_time"), "入院时间晚于出院时间"),
        RowRule(
            "funds_le_medfee",
            ("hifp_pay", "hifob_pay", "cvlserv_pay", "hifmi_pay", "maf_pay", "medfee_sumamt"),
            "基金支付合计大于医疗费总额",
        ),
    ),
    identities=(
        "medfee_sumamt = hifp_pay + hifob_pay + cvlserv_pay + hifmi_pay + maf_pay + acct_pay "
        "+ 个人现金(psn_part_amt = acct_pay + 个人现金;居民结算单新列缺省为 0)",
    ),
)

SUBSIDY_RECEIPTS = Table(
    "subsidy_receipts",
    "财政补助到账",
    "One row per subsidy transfer received by the fund account.",
    columns=(
        Column(
            "year",
            "int",
            "补助年度",
            aliases=("年度",),
            required=True,
            min_value=1998,
            max_value=2100,
        ),
        Column(
            "region_code",
            "string",
            "区划代码",
            aliases=("admdvs", "县市区"),
            required=True,
            check="area",
        ),
        Column(
            "budget_level",
            "string",
            "财政级次",
            aliases=("补助级次", "资金级次", "级次"),
            required=True,
            codes=BUDGET_LEVEL,
            value_aliases=BUDGET_LEVEL_ALIASES,
        ),
        Column(
            "amount",
            "money",
            "到账金额",
            "负数表示上年清算扣回",
            unit="元",
            aliases=("金额", "拨付金额"),
            required=True,
        ),
        Column("receipt_date", "date", "到账日期", aliases=("拨付日期", "日期"), required=True),
        Column("doc_no", "string", "文号", aliases=("指标文号", "拨款文号"), required=True),
        Column(
            "is_settlement",
            "string",
            "是否清算",
            "上年度清算款标志",
            aliases=("清算标志",),
            codes=FLAG,
            value_aliases=FLAG_ALIASES,
        ),
        Column("note", "string", "备注", aliases=("摘要", "说明")),
    ),
    key=("year", "region_code", "budget_level", "receipt_date", "doc_no"),
)

FUND_LEDGER = Table(
    "fund_ledger",
    "基金收支明细账",
    "One row per ledger entry of a fund account; amounts in 元.",
    columns=(
        Column("voucher_no", "string", "凭证号", aliases=("凭证编号",), required=True),
        Column("entry_date", "date", "记账日期", aliases=("日期", "业务日期"), required=True),
        Column(
            "region_code", "string", "区划代码", aliases=("admdvs",), check="area", required=True
        ),
        Column(
            "fund",
            "string",
            "基金",
            aliases=("基金类型", "险种"),
            required=True,
            codes={
                "居民医保": "城乡居民基本医疗保险基金",
                "职工医保": "职工基本医疗保险基金",
                "大病保险": "城乡居民大病保险资金",
                "医疗救助": "医疗救助基金",
                "离休统筹": "离休人员医药费统筹",
            },
        ),
        Column(
            "account",
            "string",
            "账户",
            aliases=("账户类型",),
            required=True,
            codes={"财政专户": "社会保障基金财政专户", "收入户": "收入户", "支出户": "支出户"},
        ),
        Column(
            "direction", "string", "收支方向", aliases=("收支",), required=True, codes=DIRECTION
        ),
        Column("category", "string", "收支科目", aliases=("科目", "类别"), required=True),
        Column(
            "amount", "money", "金额", unit="元", aliases=("发生额",), required=True, min_value=ZERO
        ),
        Column("note", "string", "摘要", aliases=("备注",)),
    ),
    key=("voucher_no", "fund", "account"),
)

BUDGETS = Table(
    "budgets",
    "预算",
    "One row per budget line of a year (including carry-over, 上年结转).",
    columns=(
        Column(
            "year",
            "int",
            "预算年度",
            aliases=("年度",),
            required=True,
            min_value=1998,
            max_value=2100,
        ),
        Column(
            "region_code", "string", "区划代码", aliases=("admdvs",), check="area", required=True
        ),
        Column("project", "string", "项目名称", aliases=("项目", "资金名称"), required=True),
        Column("item", "string", "预算科目", aliases=("科目", "明细"), required=True),
        Column(
            "amount",
            "money",
            "本年预算金额",
            unit="元",
            aliases=("预算金额", "下达金额"),
            required=True,
            min_value=ZERO,
        ),
        Column("carry_over", "money", "上年结转", unit="元", aliases=("结转金额",), min_value=ZERO),
        Column("doc_no", "string", "文号", aliases=("指标文号",)),
    ),
    key=("year", "region_code", "project", "item"),
)

SURVEY_RESPONSES = Table(
    "survey_responses",
    "满意度调查",
    "One row per answer of one respondent to one question.",
    columns=(
        Column("survey_id", "string", "问卷编号", aliases=("调查编号",), required=True),
        Column("respondent_id", "string", "受访者编号", aliases=("答卷编号",), required=True),
        Column("question_id", "string", "题号", aliases=("问题编号",), required=True),
        Column("question", "string", "问题"),
        Column("answer", "string", "回答", aliases=("选项",)),
        Column(
            "score",
            "int",
            "得分",
            "1–5 分或 0–100 分",
            aliases=("分值",),
            min_value=0,
            max_value=100,
        ),
        Column("region_code", "string", "区划代码", aliases=("admdvs",), check="area"),
        Column("response_date", "date", "调查日期", aliases=("日期",)),
    ),
    key=("survey_id", "respondent_id", "question_id"),
)

CONTRIBUTIONS = Table(
    "contributions",
    "职工医保征缴",
    "One row per employer, person and contribution month (费款所属期) of employee insurance.",
    columns=(
        Column(
            "emp_no",
            "string",
            "单位编号",
            aliases=("单位编码", "emp_code", "参保单位编号"),
            required=True,
        ),
        Column("emp_name", "string", "单位名称", aliases=("参保单位名称", "emp_nm", "工作单位")),
        Column("psn_no", "string", "人员编号", aliases=("个人编号",), required=True),
        Column(
            "region_code",
            "string",
            "参保区划代码",
            aliases=("insu_admdvs", "参保地"),
            check="area",
        ),
        Column(
            "clct_ym",
            "int",
            "费款所属期",
            "年月,如 201303",
            aliases=("所属期", "缴费年月", "month", "accrym"),
            required=True,
            min_value=199801,
            max_value=210012,
        ),
        Column(
            "contribution_base",
            "money",
            "缴费基数",
            "单位申报的月缴费基数(未按保底封顶调整)",
            unit="元/月",
            aliases=("clct_bas", "cont_base", "月缴费基数", "缴费工资"),
            required=True,
            min_value=ZERO,
        ),
        Column(
            "emp_amount",
            "money",
            "单位缴费金额",
            unit="元",
            aliases=("单位缴费", "emp_clct_amt", "单位缴纳"),
            required=True,
            min_value=ZERO,
        ),
        Column(
            "psn_amount",
            "money",
            "个人缴费金额",
            unit="元",
            aliases=("个人缴费", "psn_clct_amt", "个人缴纳"),
            required=True,
            min_value=ZERO,
        ),
        Column("paid_date", "date", "到账日期", aliases=("缴费日期", "arvl_date")),
    ),
    key=("emp_no", "psn_no", "clct_ym"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        REGIONS,
        PERSONS,
        ENROLMENTS,
        INSTITUTIONS,
        CLAIMS,
        SUBSIDY_RECEIPTS,
        FUND_LEDGER,
        BUDGETS,
        SURVEY_RESPONSES,
        CONTRIBUTIONS,
    )
}
#: Chinese table names accepted by ``--table``.
TABLE_ALIASES: dict[str, str] = {t.label: t.name for t in TABLES.values()} | {
    "结算清单": "claims",
    "结算": "claims",
    "参保": "enrolments",
    "医院": "institutions",
    "征缴": "contributions",
}


def get_table(name: str) -> Table:
    key = TABLE_ALIASES.get(name, name)
    try:
        return TABLES[key]
    except KeyError:
        known = ", ".join(f"{t.name}({t.label})" for t in TABLES.values())
        raise KeyError(f"未知的表 {name!r}; 可用的表: {known}") from None
