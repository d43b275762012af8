"""`--explain`'s text, line by line, for each kind of claim (issue 19).

The CLI tests look for a few pieces of the text; these pin all of it, written out by hand from
trace rows built by hand (the figures of DOMAIN.md's worked inpatient claim under demo-county),
so that a changed label, sign, sum or branch is seen.  Pure Python: milliseconds each.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from yibao.settle.explain import explain_row, identity_line
from yibao.settle.params import NO_CAP

D = Decimal


def _row(**over: object) -> dict[str, object]:
    """A resident inpatient claim: 90,000.00 in scope at level 3, 普通人员, first of the year."""
    row: dict[str, object] = {
        "setl_id": "A1",
        "psn_no": "P1",
        "year": 2021,
        "hifp_pay": D("57980.00"),
        "hifob_pay": D("0.00"),
        "hifmi_pay": D("12012.00"),
        "maf_pay": D("0.00"),
        "psn_part_amt": D("30008.00"),
        "kind": "I",
        "policy_from": date(2021, 1, 1),
        "deductible_fen": 80000,
        "ratio_ppm": 650000,
        "basic_raw_fen": 5798000,
        "basic_cum_fen": 5798000,
        "basic_cap_fen": 15000000,
        "hifob_cap_fen": 0,
        "ci_base_fen": 3202000,
        "ci_cum_fen": 3202000,
        "poor": False,
        "ci_f_before_fen": 0,
        "ci_f_after_fen": 1201200,
        "maf_rate_ppm": 0,
        "maf_base_fen": 0,
        "maf_raw_fen": 0,
        "maf_cum_fen": 0,
        "maf_limit_fen": 6000000,
        "acct_pay_fen": 0,
        "acct_excess_fen": 0,
        "psn_idet_type": "普通人员",
        "psn_idet_source": "结算单",
    }
    return row | over


CLAIM = {
    "medfee_sumamt": D("100000.00"),
    "inscp_scp_amt": D("90000.00"),
    "insutype": "390",
    "med_type": "21",
    "hi_setl_lv": "3",
    "offsite_flag": "0",
}


def test_a_resident_inpatient_claim_is_explained_fund_by_fund():
    assert explain_row(_row(), CLAIM).splitlines() == [
        "结算单 A1(人员 P1,2021 年度;政策时期自 2021-01-01 起)",
        "  医疗费总额 100,000.00,符合政策范围金额 90,000.00;险种 390,医疗类别 21,结算等级 3,异地 0",
        "  人员身份类别 普通人员(来源:结算单)",
        "1. 基本医保统筹基金(住院):",
        "   (符合政策范围金额 − 起付线 800.00) × 支付比例 65% = 57,980.00(四舍五入到分)",
        "   年度累计 0.00 → 57,980.00,年度限额 150,000.00:"
        "min(57,980.00, 限额) − min(0.00, 限额) = 57,980.00",
        "2. 大病保险:本次基数 = 符合政策范围金额 − 统筹支付 = 32,020.00;年度累计 0.00 → 32,020.00",
        "   F(累计后) − F(累计前) = 12,012.00 − 0.00 = 12,012.00",
        "3. 医疗救助:该身份类别或医疗类别不享受救助,0.00",
        "4. 个人负担 = 医疗费总额 − 统筹 − 大病 − 救助 = 30,008.00",
    ]


def test_a_poor_persons_later_claim_shows_the_running_sums_the_assistance_and_no_cap():
    """A 低保对象's second 慢特病 claim: the sums start where the first claim left them, there is
    no basic cap, and the assistance (at 75.5 %, to see a fraction shown) hits its limit."""
    row = _row(
        setl_id="A2",
        kind="C",
        policy_from=date(2021, 7, 1),
        deductible_fen=0,
        ratio_ppm=700000,
        basic_raw_fen=700000,
        basic_cum_fen=6498000,
        basic_cap_fen=NO_CAP,
        hifp_pay=D("7000.00"),
        ci_base_fen=300000,
        ci_cum_fen=3502000,
        poor=True,
        ci_f_before_fen=1691300,
        ci_f_after_fen=1886300,
        hifmi_pay=D("1950.00"),
        maf_rate_ppm=755000,
        maf_base_fen=105000,
        maf_raw_fen=79275,
        maf_cum_fen=6058550,
        maf_pay=D("207.25"),
        psn_part_amt=D("842.75"),
        psn_idet_type="低保对象",
        psn_idet_source="参保登记(当年度)",
    )
    claim = CLAIM | {"medfee_sumamt": D("10000.00"), "inscp_scp_amt": D("10000.00")}
    claim |= {"med_type": "14", "hi_setl_lv": None, "offsite_flag": None}
    assert explain_row(row, claim).splitlines() == [
        "结算单 A2(人员 P1,2021 年度;政策时期自 2021-07-01 起)",
        "  医疗费总额 10,000.00,符合政策范围金额 10,000.00;险种 390,医疗类别 14,结算等级 -,异地 0",
        "  人员身份类别 低保对象(来源:参保登记(当年度))",
        "1. 基本医保统筹基金(门诊慢特病):",
        "   (符合政策范围金额 − 起付线 0.00) × 支付比例 70% = 7,000.00(四舍五入到分)",
        "   年度累计 57,980.00 → 64,980.00,年度限额 不设限额:"
        "min(64,980.00, 限额) − min(57,980.00, 限额) = 7,000.00",
        "2. 大病保险:本次基数 = 符合政策范围金额 − 统筹支付 = 3,000.00;"
        "年度累计 32,020.00 → 35,020.00,按困难人员起付线和提高后的比例",
        "   F(累计后) − F(累计前) = 18,863.00 − 16,913.00 = 1,950.00",
        "3. 医疗救助:(1,050.00) × 75.5% = 792.75;年度累计 59,792.75 → 60,585.50,"
        "限额 60,000.00 → 207.25",
        "4. 个人负担 = 医疗费总额 − 统筹 − 大病 − 救助 = 842.75",
    ]


def test_a_retired_cadre_has_no_critical_illness_or_assistance():
    row = _row(
        kind="R",
        deductible_fen=0,
        ratio_ppm=1000000,
        basic_raw_fen=9000000,
        basic_cum_fen=9000000,
        basic_cap_fen=NO_CAP,
        hifp_pay=D("90000.00"),
        hifmi_pay=D("0.00"),
        psn_part_amt=D("10000.00"),
    )
    lines = explain_row(row).splitlines()
    assert lines == [
        "结算单 A1(人员 P1,2021 年度;政策时期自 2021-01-01 起)",
        "  人员身份类别 普通人员(来源:结算单)",
        "1. 基本医保统筹基金(离休干部):",
        "   (符合政策范围金额 − 起付线 0.00) × 支付比例 100% = 90,000.00(四舍五入到分)",
        "   年度累计 0.00 → 90,000.00,年度限额 不设限额:"
        "min(90,000.00, 限额) − min(0.00, 限额) = 90,000.00",
        "2. 大病保险:离休干部不适用。3. 医疗救助:离休干部不适用。",
        "4. 个人负担 = 医疗费总额 − 统筹 − 大病 − 救助 = 10,000.00",
    ]


def test_an_employee_inpatient_claim_shows_the_large_expense_fund_and_the_account():
    """The CLI test's E1 (310, level 3, 在职): 280,000 in scope, cap 200,000, 大额 400,000."""
    row = _row(
        setl_id="E1",
        psn_no="Q1",
        kind="EI",
        deductible_fen=90000,
        ratio_ppm=800000,
        basic_raw_fen=22328000,
        basic_cum_fen=22328000,
        basic_cap_fen=20000000,
        hifob_cap_fen=40000000,
        hifp_pay=D("200000.00"),
        hifob_pay=D("23280.00"),
        hifmi_pay=D("0.00"),
        psn_part_amt=D("76720.00"),
        acct_pay_fen=8000000,
        acct_excess_fen=328000,
    )
    assert explain_row(row).splitlines()[2:] == [
        "1. 职工基本医保统筹基金(职工住院):",
        "   (符合政策范围金额 − 起付线 900.00) × 支付比例 80% = 223,280.00(四舍五入到分)",
        "   住院与门诊慢特病年度累计 0.00 → 223,280.00,年度限额 200,000.00:"
        "min(223,280.00, 限额) − min(0.00, 限额) = 200,000.00",
        "2. 大额医疗费用补助:[min(223,280.00, 400,000.00) − min(0.00, 400,000.00)] − 统筹 "
        "200,000.00 = 23,280.00",
        "   职工医保不适用大病保险和医疗救助:0.00",
        "3. 个人负担 = 医疗费总额 − 统筹 − 大额补助 = 76,720.00;其中个人账户支出(记录)80,000.00",
        "   差异:个人账户支出超过个人负担 3,280.00",
    ]


def test_an_employee_general_outpatient_claim_uses_the_yearly_deductible():
    """The CLI test's E2 (退休, 500 in scope): F(500) − F(0) at 70 %, no 大额, no excess."""
    row = _row(
        setl_id="E2",
        kind="EG",
        deductible_fen=20000,
        ratio_ppm=700000,
        basic_raw_fen=21000,
        basic_cum_fen=21000,
        basic_cap_fen=200000,
        hifp_pay=D("210.00"),
        hifmi_pay=D("0.00"),
        psn_part_amt=D("290.00"),
        acct_pay_fen=29000,
        acct_excess_fen=0,
    )
    assert explain_row(row).splitlines()[2:] == [
        "1. 职工基本医保统筹基金(职工普通门诊):",
        "   F(x) = max(年度累计符合政策范围金额 − 年度起付线 200.00, 0) × 70%;"
        "round F(累计后) − round F(累计前) = 210.00 − 0.00 = 210.00",
        "   年度限额 2,000.00:min(210.00, 限额) − min(0.00, 限额) = 210.00",
        "2. 大额医疗费用补助:普通门诊不适用,0.00",
        "   职工医保不适用大病保险和医疗救助:0.00",
        "3. 个人负担 = 医疗费总额 − 统筹 − 大额补助 = 290.00;其中个人账户支出(记录)290.00",
    ]


def test_identity_comes_from_the_trace_else_the_claim_else_the_default():
    assert identity_line({"psn_idet_source": "人员登记(persons)", "psn_idet_type": None}, {}) == (
        "人员身份类别 普通人员(来源:人员登记(persons))"
    )
    assert identity_line({}, {"psn_idet_type": "特困人员"}) == "人员身份类别 特困人员(来源:结算单)"
    assert identity_line({}, {"psn_idet_type": ""}) == (
        "人员身份类别 普通人员(来源:未记录,按普通人员)"
    )
    assert identity_line({}, {}) == "人员身份类别 普通人员(来源:未记录,按普通人员)"


def test_an_offsite_claim_a_fine_rate_and_a_one_fen_excess_are_all_shown():
    """The edges a rounded display would hide: 33.3333 % (a rate to the ppm), 异地 1, and an
    account that paid one fen more than the person owed."""
    row = _row(
        kind="EI",
        ratio_ppm=333333,
        basic_raw_fen=100,
        basic_cum_fen=100,
        basic_cap_fen=20000000,
        hifob_cap_fen=40000000,
        acct_pay_fen=101,
        acct_excess_fen=1,
    )
    lines = explain_row(row, CLAIM | {"offsite_flag": "1"}).splitlines()
    assert lines[1].endswith(",结算等级 3,异地 1")
    assert "支付比例 33.3333% = 1.00(四舍五入到分)" in lines[4]
    assert lines[-1] == "   差异:个人账户支出超过个人负担 0.01"
