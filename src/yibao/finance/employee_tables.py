"""The employee-fund tables `yibao finance` writes (imported into schema.derived.DERIVED).

The personal-account balance identity (opening + credits − payments = closing) is a DataTest,
so `yibao check` proves it on every workspace.
"""

from __future__ import annotations

from yibao.schema.model import Column, DataTest, DType, Lineage, Table


def c(name: str, dtype: DType, label: str, unit: str = "", desc: str = "") -> Column:
    return Column(name, dtype, label, desc, unit=unit)


def m(name: str, label: str, desc: str = "") -> Column:
    return c(name, "money", label, "元", desc)


YEAR = c("year", "int32", "年度")

FINANCE_EMPLOYEE = Table(
    "finance_employee",
    "职工医保基金征缴与统账划分",
    "One row per year: contributions due and collected, the 统筹/个人账户 split, the rates.",
    columns=(
        YEAR,
        c("employers", "int", "缴费单位数", "个"),
        c("people", "int", "缴费人数", "人"),
        c("person_months", "int", "缴费人月数", "人月"),
        m("due_employer", "单位应缴", "缴费基数(按平均工资 60%–300% 保底封顶)× 单位费率"),
        m("due_employee", "个人应缴"),
        m("due", "应缴合计"),
        m("collected_employer", "单位实缴"),
        m("collected_employee", "个人实缴"),
        m("collected", "征缴合计"),
        m("retiree_credits", "退休人员个人账户划入", "按年龄段定额,从统筹基金划入"),
        m("pooled", "统筹基金", "单位实缴 − 退休人员个人账户划入"),
        m("personal", "个人账户", "个人实缴 + 退休人员个人账户划入"),
        c("rate_vs_due", "ratio", "征缴率(对应缴)"),
        m("task", "征缴任务数"),
        c("rate_vs_task", "ratio", "完成征缴任务比例"),
        c("below_floor_months", "int", "申报基数低于保底基数的人月", "人月"),
    ),
    key=("year",),
    produced_by="finance",
    year_column="year",
    identities=("collected = pooled + personal", "pooled + personal = 单位实缴 + 个人实缴"),
    tests=(
        DataTest(
            "employee_split_adds_up",
            "征缴合计 = 统筹基金 + 个人账户",
            "SELECT year, collected, pooled, personal FROM {t} "
            "WHERE collected <> pooled + personal",
        ),
    ),
)

FINANCE_EMPLOYERS = Table(
    "finance_employers",
    "职工医保单位征缴",
    "One row per year and employer: declared and bounded bases, due and collected.",
    columns=(
        YEAR,
        c("emp_no", "string", "单位编号"),
        c("emp_name", "string", "单位名称"),
        c("people", "int", "缴费人数", "人"),
        c("person_months", "int", "缴费人月数", "人月"),
        m("declared_base", "申报缴费基数合计"),
        m("bounded_base", "保底封顶后缴费基数合计"),
        c("below_floor_months", "int", "申报基数低于保底基数的人月", "人月"),
        m("due", "应缴合计"),
        m("collected", "实缴合计"),
        m("gap", "实缴 − 应缴"),
    ),
    key=("year", "emp_no"),
    produced_by="finance",
    year_column="year",
    lineage=(Lineage("contributions", "s.emp_no = t.emp_no AND s.clct_ym // 100 = t.year"),),
)

PERSONAL_ACCOUNTS = Table(
    "personal_accounts",
    "职工医保个人账户",
    "One row per year and person with an employee account: opening, credits, payments, closing.",
    columns=(
        YEAR,
        c("psn_no", "string", "人员编号"),
        c("retired", "bool", "退休人员"),
        m("opening", "期初余额", "上年期末余额(没有上年记录时为 0)"),
        m("employee_part", "个人缴费划入"),
        m("retiree_credit", "退休人员定额划入"),
        m("credits", "本年划入合计"),
        m("payments", "本年个人账户支出", "职工结算单 acct_pay 合计"),
        m("closing", "期末余额"),
        c("enrol_end", "date", "参保终止日期"),
        c("last_payment", "timestamp", "最后一次个人账户支出时间"),
    ),
    key=("year", "psn_no"),
    produced_by="finance",
    year_column="year",
    lineage=(Lineage("claims", "s.psn_no = t.psn_no AND year(s.setl_time) = t.year"),),
    identities=(
        "closing = opening + credits − payments",
        "credits = employee_part + retiree_credit",
    ),
    tests=(
        DataTest(
            "personal_account_balances",
            "期初余额 + 本年划入 − 本年支出 = 期末余额",
            "SELECT year, psn_no, opening, credits, payments, closing FROM {t} "
            "WHERE opening + credits - payments <> closing "
            "OR credits <> employee_part + retiree_credit",
        ),
        DataTest(
            "personal_account_payments_recorded",
            "个人账户支出等于职工结算单记录的个人账户支出",
            "SELECT t.year, t.psn_no, t.payments, s.paid FROM {t} t JOIN (SELECT psn_no, "
            "year(setl_time) AS year, sum(acct_pay) AS paid FROM claims WHERE insutype = '310' "
            "AND acct_pay > 0 GROUP BY ALL) s USING (psn_no, year) WHERE t.payments <> s.paid",
            needs=("claims",),
        ),
    ),
)

EMPLOYEE_TABLES = (FINANCE_EMPLOYEE, FINANCE_EMPLOYERS, PERSONAL_ACCOUNTS)
