"""The report's text, written from the stored tables as an evaluator would write it.

Each section is a function of the year's data.  Sentences are built so that the arithmetic they
state holds to the precision they show (``yibao check-report`` finds nothing in them): a total
is followed by its parts, a rate by the two amounts it comes from, and 万元 parts that do not add
up to their rounded total are explained.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.money import wan
from yibao.report.data import ZERO, Data, pct
from yibao.report.model import Fig, Para, Section, TableBlock
from yibao.report.payment_text import payment_paras
from yibao.schema.codes import BUDGET_LEVEL, BUDGET_LEVELS

FUND_LINES = ("inpatient", "outpatient", "ci_premium", "other_expense")
RESERVE_NORM = (6, 9)  # months: the usual norm for the resident fund (typ, DOMAIN §4)


def P(*segments: str | Fig, style: str = "body") -> Para:  # noqa: N802 - reads like prose
    return Para(list(segments), style)


def _join(parts: list[list[str | Fig]], sep: str = "、") -> list[str | Fig]:
    out: list[str | Fig] = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.extend(p)
    return out


def rounding_note(what: str, parts: list[Decimal], total: Decimal) -> str | None:
    shown = sum((wan(p) for p in parts), Decimal(0))
    if shown == wan(total):
        return None
    return (
        f"注:{what}各项按万元分别四舍五入,相加为 {shown:,.2f} 万元,与合计 {wan(total):,.2f} 万元"
        f"相差 {shown - wan(total):,.2f} 万元;元金额精确相加。"
    )


# --- 一、基本情况 --------------------------------------------------------------------------------


def basic_facts(d: Data) -> Section:
    due = d.year_rows("finance_subsidy_due", order="region_code, budget_level")
    insured: dict[str, int] = {}
    for r in due:
        insured[r["region_code"]] = int(r["insured"])
    total_insured = sum(insured.values())
    standard = next((r["standard"] for r in due if r["standard"] is not None), None)
    contrib = d.year_rows("finance_contributions", "category = '普通人员'")
    s = Section(1, "基本情况")
    program = Section(2, "项目概况")
    program.blocks.append(
        P(
            f"城乡居民基本医疗保险是覆盖除职工医保应参保人员以外全体城乡居民的基本医疗保障制度,"
            f"基金由个人缴费和各级财政补助共同筹集,纳入财政专户、实行收支两条线管理。{d.year}年"
            f"{d.region_label()}城乡居民医保参保",
            d.count(total_insured, "人", "finance_subsidy_due", "城乡居民参保人数(各县合计)"),
            ",各级财政补助标准",
            d.plain(standard or ZERO, "元/人", "finance_subsidy_due", "人均财政补助标准"),
            *(
                [
                    ",个人缴费标准",
                    d.plain(
                        contrib[0]["standard"], "元/人", "finance_contributions", "个人缴费标准"
                    ),
                ]
                if contrib
                else []
            ),
            "。",
        )
    )
    if len(insured) > 1:
        parts = [
            [d.county_name(code) + " ", d.count(n, "人", "finance_subsidy_due", f"{code} 参保人数")]
            for code, n in insured.items()
        ]
        program.blocks.append(P("分区县参保人数为:", *_join(parts), "。"))
    s.children.append(program)
    s.children.append(_financing(d, due, total_insured, standard))
    return s


def _level_totals(rows: list[dict], key: str) -> dict[str, Decimal]:
    out = {lv: ZERO for lv in BUDGET_LEVELS}
    for r in rows:
        if r["budget_level"] in out:
            out[r["budget_level"]] += r[key] or ZERO
    return out


def _financing(d: Data, due: list[dict], insured: int, standard: Decimal | None) -> Section:
    s = Section(2, "资金来源与分担")
    by_level = _level_totals(due, "due")
    total = sum(by_level.values(), ZERO)
    s.blocks.append(
        P(
            "按参保人数和分级负担原则,参保",
            d.count(insured, "人", "finance_subsidy_due", "城乡居民参保人数(各县合计)"),
            ",补助标准",
            d.plain(standard or ZERO, "元/人", "finance_subsidy_due", "人均财政补助标准"),
            ",应补助资金",
            d.wan(total, "finance_subsidy_due", "各级财政应补助额合计"),
            "。",
        )
    )
    parts = [
        [f"{BUDGET_LEVEL[lv]}应补助", d.wan(v, "finance_subsidy_due", f"{lv}应补助额")]
        for lv, v in by_level.items()
    ]
    s.blocks.append(
        P(
            "应补助资金",
            d.wan(total, "finance_subsidy_due", "各级财政应补助额合计"),
            ",其中",
            *_join(parts, ","),
            "。",
        )
    )
    if note := rounding_note("各级财政应补助额", list(by_level.values()), total):
        s.blocks.append(P(note, style="note"))
    return s


# --- 三、项目资金到位和使用情况 -------------------------------------------------------------------


def funds(d: Data) -> Section:
    s = Section(1, "项目资金到位和使用情况")
    s.children.append(_arrival(d))
    s.children.append(_spending(d))
    budget = _budget(d)
    if budget is not None:
        s.children.append(budget)
    return s


def _arrival(d: Data) -> Section:
    rows = d.year_rows("finance_subsidy", order="region_code, budget_level")
    due, got = _level_totals(rows, "due"), _level_totals(rows, "received")
    settle = sum((r["settlement"] or ZERO for r in rows), ZERO)
    total_due, total_got = sum(due.values(), ZERO), sum(got.values(), ZERO)
    s = Section(2, "资金到位情况")
    t = "finance_subsidy"
    s.blocks.append(
        P(
            f"截至{d.year}年12月31日,各级财政应补助",
            d.wan(total_due, t, "应补助额合计"),
            ",实际到位",
            d.wan(total_got, t, "当年到位合计(不含上年清算)"),
            ",到位率",
            d.rate(total_got / total_due if total_due else None, t, "到位率(当年到位 ÷ 应补助)"),
            "。",
        )
    )
    parts = [[f"{BUDGET_LEVEL[lv]}到位", d.wan(v, t, f"{lv}当年到位")] for lv, v in got.items()]
    s.blocks.append(
        P(
            "实际到位",
            d.wan(total_got, t, "当年到位合计(不含上年清算)"),
            ",其中",
            *_join(parts, ","),
            "。",
        )
    )
    if note := rounding_note("各级财政到位额", list(got.values()), total_got):
        s.blocks.append(P(note, style="note"))
    if settle:
        s.blocks.append(
            P(
                "另有上年清算款",
                d.wan(settle, t, "上年清算款合计"),
                ",单独列示,未计入当年到位和到位率。",
            )
        )
    for r in rows:
        if r["status"] == "短缺" and r["due"]:
            name = d.county_name(r["region_code"])
            what = f"{name} {r['budget_level']}"
            s.blocks.append(
                P(
                    f"{name}{BUDGET_LEVEL.get(r['budget_level'], r['budget_level'])}应补助",
                    d.wan(r["due"], t, f"{what} 应补助额"),
                    ",实际到位",
                    d.wan(r["received"], t, f"{what} 当年到位"),
                    ",到位率",
                    d.rate(r["arrival_rate"], t, f"{what} 到位率"),
                    ";短缺",
                    d.wan(r["shortfall"], t, f"{what} 短缺额"),
                    "。",
                )
            )
    s.blocks.append(_arrival_table(d, rows))
    return s


def _arrival_table(d: Data, rows: list[dict]) -> TableBlock:
    t = "finance_subsidy"
    body = []
    for r in rows:
        what = f"{r['region_code']} {r['budget_level']}"
        body.append(
            [
                d.county_name(r["region_code"]),
                r["budget_level"],
                d.wan(r["due"], t, f"{what} 应补助额"),
                d.wan(r["received"], t, f"{what} 当年到位"),
                pct(r["arrival_rate"]),
                r["status"] or "",
            ]
        )
    total_due = sum((r["due"] or ZERO for r in rows), ZERO)
    total_got = sum((r["received"] or ZERO for r in rows), ZERO)
    body.append(
        [
            "合计",
            "",
            d.wan(total_due, t, "应补助额合计"),
            d.wan(total_got, t, "当年到位合计(不含上年清算)"),
            pct(total_got / total_due if total_due else None),
            "",
        ]
    )
    notes = [
        n
        for n in (
            rounding_note("应补助额", [r["due"] or ZERO for r in rows], total_due),
            rounding_note("当年到位", [r["received"] or ZERO for r in rows], total_got),
        )
        if n
    ]
    return TableBlock(
        f"表1 {d.year}年财政补助资金到位情况(万元)",
        ["区县", "级次", "应补助(万元)", "到位(万元)", "到位率", "状态"],
        body,
        notes,
    )


def _spending(d: Data) -> Section:
    t = "finance_accounts"
    lines = d.year_rows(t, order="direction, line")
    income = [x for x in lines if x["direction"] == "收入" and x["ledger"] is not None]
    expense = [x for x in lines if x["direction"] == "支出" and x["ledger"] is not None]
    s = Section(2, "资金使用情况")
    tot_in = sum((x["ledger"] for x in income), ZERO)
    tot_out = sum((x["ledger"] for x in expense), ZERO)
    if expense:
        parts = [[x["label"], d.wan(x["ledger"], t, f"明细账{x['label']}")] for x in expense]
        s.blocks.append(
            P(
                f"{d.year}年基金收入",
                d.wan(tot_in, t, "明细账收入合计"),
                ";基金支出",
                d.wan(tot_out, t, "明细账支出合计"),
                ",其中",
                *_join(parts, ","),
                "。",
            )
        )
        if note := rounding_note("基金支出", [x["ledger"] for x in expense], tot_out):
            s.blocks.append(P(note, style="note"))
    bal = d.year_rows("finance_balance", f"year = {int(d.year)}")
    if bal:
        b = bal[0]
        months = b["months_of_reserve"]
        seg: list[str | Fig] = [
            "年末累计结余",
            d.wan(b["closing"], "finance_balance", "期末结余"),
        ]
        if months is not None:
            seg += [
                ",可支付",
                Fig(f"{months}", "个月", d.src("finance_balance", "累计结余可支付月数")),
            ]
        s.blocks.append(P(*seg, "。"))
    diffs = [x for x in lines if x["diff"] not in (None, ZERO) and x["source"] is not None]
    for x in diffs:
        s.blocks.append(
            P(
                f"明细账{x['label']}",
                d.wan(x["ledger"], t, f"明细账{x['label']}"),
                ",按业务数据计算为",
                d.wan(x["source"], t, f"业务数据{x['label']}"),
                ",两者相差",
                d.yuan(x["diff"], t, f"{x['label']}差额(明细账 − 业务数据)"),
                ",需核实。",
            )
        )
    s.blocks.extend(payment_paras(d))  # DIP and total budget control, when they ran
    return s


def _budget(d: Data) -> Section | None:
    rows = d.year_rows("finance_budget", order="project, item")
    if not rows:
        return None
    s = Section(2, "预算执行情况")
    t = "finance_budget"
    for r in rows:
        what = f"{r['project']} {r['item']}"
        seg: list[str | Fig] = [
            f"{r['project']}({r['item']})预算",
            d.wan(r["budget_total"], t, f"{what} 可用预算(含结转)"),
        ]
        if r["carry_over"]:
            seg += ["(含上年结转", d.wan(r["carry_over"], t, f"{what} 上年结转"), ")"]
        seg += [
            ",实际支出",
            d.wan(r["actual"], t, f"{what} 实际支出"),
            ",预算执行率",
            d.rate(r["execution_rate"], t, f"{what} 预算执行率"),
            "。",
        ]
        s.blocks.append(P(*seg))
    return s


# --- 监管 ----------------------------------------------------------------------------------------


def supervision(d: Data) -> Section | None:
    if not d.exists("supervise_findings"):
        return None
    t = "supervise_findings"
    by_rule = d.rows(
        "SELECT rule_name, count(*) AS n, coalesce(sum(amount), 0) AS amount FROM "
        "supervise_findings WHERE year = ? GROUP BY rule_name ORDER BY 3 DESC, 1",
        [d.year],
    )
    s = Section(2, "基金监管情况")
    total_n = sum(r["n"] for r in by_rule)
    total_amt = sum((r["amount"] for r in by_rule), ZERO)
    s.blocks.append(
        P(
            f"按《医疗保障基金使用监督管理条例》要求,对{d.year}年参保登记和结算数据开展大数据筛查,"
            f"共运行筛查规则 {len(by_rule)} 类,发现疑点线索 {total_n} 条,涉及金额",
            d.wan(total_amt, t, "疑点线索涉及金额合计"),
            "。疑点线索不等于违规,需经现场核查确认。",
        )
    )
    body = [
        [r["rule_name"], str(r["n"]), d.wan(r["amount"], t, f"{r['rule_name']} 涉及金额")]
        for r in by_rule
    ]
    body.append(["合计", str(total_n), d.wan(total_amt, t, "疑点线索涉及金额合计")])
    notes = [n for n in [rounding_note("涉及金额", [r["amount"] for r in by_rule], total_amt)] if n]
    s.blocks.append(
        TableBlock(
            f"表2 {d.year}年基金监管筛查结果", ["规则", "线索(条)", "涉及金额(万元)"], body, notes
        )
    )
    if d.exists("settlements"):
        n = d.rows("SELECT count(*) AS n FROM settlements WHERE year = ?", [d.year])[0]["n"]
        diff = d.rows(
            "SELECT count(*) AS n, coalesce(sum(abs(diff_hifp_pay) + abs(diff_hifmi_pay) + "
            "abs(diff_maf_pay)), 0) AS amt FROM settle_discrepancies WHERE year = ?",
            [d.year],
        )[0]
        s.blocks.append(
            P(
                f"按政策对{d.year}年结算单逐张复核 {n} 张,记录的基金支付与复核结果不符的 "
                f"{diff['n']} 张,差额绝对值合计",
                d.yuan(diff["amt"], "settle_discrepancies", "基金支付差额绝对值合计"),
                "。",
            )
        )
    return s


# --- 四、存在的问题 / 五、改进措施 ---------------------------------------------------------------


def problems_and_remedies(d: Data) -> tuple[Section, Section]:
    """Each problem found in the data, with its cause and a remedy that answers it."""
    problems: list[tuple[Para, Para]] = []
    t = "finance_subsidy"
    for r in d.year_rows(t, "status = '短缺'", order="shortfall DESC"):
        name = f"{d.county_name(r['region_code'])}{BUDGET_LEVEL.get(r['budget_level'], '')}"
        what = f"{r['region_code']} {r['budget_level']}"
        problems.append(
            (
                P(
                    f"财政补助资金未足额到位。{name}补助资金短缺",
                    d.wan(r["shortfall"], t, f"{what} 短缺额"),
                    ",到位率",
                    d.rate(r["arrival_rate"], t, f"{what} 到位率"),
                    ",影响基金当期支付能力。",
                ),
                P(
                    f"督促{name}按分级负担比例及时足额拨付补助资金,"
                    "建立按季度对账、年底清算的到位通报机制,短缺部分在次年清算时补足。"
                ),
            )
        )
    bal = d.year_rows("finance_balance", f"year = {int(d.year)}")
    months = bal[0]["months_of_reserve"] if bal else None
    if months is not None and months < RESERVE_NORM[0]:
        problems.append(
            (
                P(
                    "基金结余偏低。年末累计结余可支付",
                    Fig(f"{months}", "个月", d.src("finance_balance", "累计结余可支付月数")),
                    f",低于一般认为合理的 {RESERVE_NORM[0]} 至 {RESERVE_NORM[1]} 个月,"
                    "基金抗风险能力不足。",
                ),
                P(
                    "加强基金收支预算管理,合理确定待遇水平和医疗机构总额控制指标,"
                    "落实个人缴费和财政补助标准调整,逐步恢复合理结余水平。"
                ),
            )
        )
    if d.exists("supervise_findings"):
        top = d.rows(
            "SELECT rule_name, count(*) AS n, coalesce(sum(amount), 0) AS amount FROM "
            "supervise_findings WHERE year = ? GROUP BY rule_name ORDER BY 3 DESC LIMIT 3",
            [d.year],
        )
        if top:
            parts = [
                [
                    f"{r['rule_name']} {r['n']} 条,涉及",
                    d.wan(r["amount"], "supervise_findings", f"{r['rule_name']} 涉及金额"),
                ]
                for r in top
            ]
            problems.append(
                (
                    P("基金使用存在风险点。大数据筛查发现的主要疑点为:", *_join(parts, ";"), "。"),
                    P(
                        "对筛查线索逐条开展现场核查,确认违规的依法追回基金并按《医疗保障基金使用"
                        "监督管理条例》处理;对线索集中的定点医药机构开展专项检查,并将筛查规则纳入"
                        "日常智能监控。"
                    ),
                )
            )
    if d.exists("settle_discrepancies"):
        n = d.rows("SELECT count(*) AS n FROM settle_discrepancies WHERE year = ?", [d.year])[0]
        if n["n"]:
            problems.append(
                (
                    P(
                        f"部分结算不符合待遇政策。按政策复核,{n['n']} 张结算单记录的基金支付与政策"
                        "计算结果不一致。"
                    ),
                    P("核对结算系统的待遇参数设置,对多付、少付的结算单逐张更正并追回或补付。"),
                )
            )
    s_prob, s_fix = Section(1, "存在的问题及原因"), Section(1, "改进措施及建议")
    if not problems:
        s_prob.blocks.append(P(f"{d.year}年未发现需要报告的问题。"))
        s_fix.blocks.append(P("继续保持现有管理做法,按年度开展绩效自评和数据筛查。"))
    for i, (prob, fix) in enumerate(problems, 1):
        prob.segments.insert(0, f"{i}. ")
        fix.segments.insert(0, f"{i}. ")
        s_prob.blocks.append(prob)
        s_fix.blocks.append(fix)
    return s_prob, s_fix


def use_of_results(d: Data, kind: str) -> Section:
    s = Section(1, "评价结果应用及公开情况")
    who = "评价机构" if kind == "evaluation" else "我局"
    s.blocks.append(
        P(
            f"{who}将本报告及附件报送同级财政部门,作为下一年度预算安排和政策调整的依据;"
            "发现的问题建立整改台账、明确责任和时限,整改情况纳入下一年度绩效评价。"
            "报告按预算绩效信息公开要求在门户网站公开,涉及个人信息的数据均已脱敏。"
        )
    )
    return s


def other_matters(d: Data) -> Section:
    s = Section(1, "其他需要说明的问题")
    s.blocks.append(
        P(
            "本报告中的数字均由 yibao 根据医保信息系统导出的参保登记、结算、财政补助到账、"
            "基金明细账和预算数据计算,金额以万元列示、保留两位小数;分项分别四舍五入后与合计"
            "不等的,已在相应位置注明。每个数字的来源和计算查询见附录。"
        )
    )
    if d.exists("finance_notes"):
        for n in d.year_rows("finance_notes", "severity IN ('warning', 'error')", order="seq"):
            text = n["note"]
            if n["scope"] == "county" and n["scope_key"]:
                text = text.replace(n["scope_key"], d.county_name(n["scope_key"]))
            s.blocks.append(P(f"· {text}", style="note"))
    return s


# --- yearbook (seed 003) ------------------------------------------------------------------------


def yearbook(d: Data) -> list[Section]:
    """A fund-operation entry like seed 003's: coverage, collections, payments, 异地, ratios."""
    from yibao.schema.codes import BASIC_INSUTYPES, INPATIENT_MED_TYPES

    inp = ", ".join(f"'{c}'" for c in INPATIENT_MED_TYPES)
    y = d.year
    cov = d.rows(
        "SELECT count(DISTINCT e.psn_no) AS insured, "
        "(SELECT sum(resident_pop) FROM regions) AS pop FROM enrolments e "
        f"WHERE e.year = ? AND e.insutype IN ({', '.join(repr(t) for t in BASIC_INSUTYPES)})",
        [y],
    )[0]
    c = d.rows(
        "SELECT count(*) FILTER (WHERE med_type IN (" + inp + ")) AS adm, "
        "count(*) FILTER (WHERE med_type NOT IN (" + inp + ")) AS outp, "
        "sum(medfee_sumamt) FILTER (WHERE med_type IN (" + inp + ")) AS adm_fee, "
        "sum(inscp_scp_amt) FILTER (WHERE med_type IN (" + inp + ")) AS adm_inscp, "
        "sum(coalesce(hifp_pay, 0) + coalesce(hifmi_pay, 0)) FILTER (WHERE med_type IN ("
        + inp
        + ")) AS adm_fund, count(*) FILTER (WHERE offsite_flag = '1') AS off_n, "
        "sum(medfee_sumamt) FILTER (WHERE offsite_flag = '1') AS off_fee "
        "FROM claims WHERE year(setl_time) = ?",
        [y],
    )[0]
    src = d.src("claims", f"{y}年结算单汇总")
    s1 = Section(1, "【概况】", numbered=False)
    seg: list[str | Fig] = [
        f"截至{y}年底,全{d.region_label()[-1:]}基本医疗保险参保",
        Fig(f"{cov['insured']}", "人", d.src("enrolments", f"{y}年参保人数(职工、离休、居民去重)")),
    ]
    if cov["pop"]:
        seg += [
            ",常住人口",
            Fig(f"{cov['pop']}", "人", d.src("regions", "常住人口合计")),
            ",参保率",
            d.rate(
                Decimal(cov["insured"]) / Decimal(cov["pop"]),
                "enrolments",
                "参保率(参保人数 ÷ 常住人口)",
            ),
        ]
    s1.blocks.append(P(*seg, "。"))
    s2 = Section(1, "【基金征缴】", numbered=False)
    contrib = sum((r["recorded"] or ZERO for r in d.year_rows("finance_contributions")), ZERO)
    got = sum((r["received"] or ZERO for r in d.year_rows("finance_subsidy")), ZERO)
    s2.blocks.append(
        P(
            "征收城乡居民个人缴费",
            d.wan(contrib, "finance_contributions", "个人缴费记录合计"),
            ",到位各级财政补助",
            d.wan(got, "finance_subsidy", "当年到位合计(不含上年清算)"),
            "。",
        )
    )
    s3 = Section(1, "【支付控制】", numbered=False)
    adm = int(c["adm"] or 0)
    seg = ["全年住院", Fig(f"{adm}", "人次", src)]
    if adm:
        seg += [",次均住院费用", d.yuan((c["adm_fee"] or ZERO) / adm, "claims", "次均住院费用")]
    if c["adm_inscp"]:
        seg += [
            ",住院政策范围内报销比例",
            d.rate(
                c["adm_fund"] / c["adm_inscp"],
                "claims",
                "住院政策范围内报销比例(统筹 + 大病 ÷ 政策范围内费用)",
            ),
        ]
    s3.blocks.append(P(*seg, "。"))
    s4 = Section(1, "【异地就医】", numbered=False)
    off = (
        d.rows(
            "SELECT count(*) AS n FROM supervise_findings "
            "WHERE year = ? AND rule = 'offsite_check'",
            [y],
        )[0]["n"]
        if d.exists("supervise_findings")
        else 0
    )
    s4.blocks.append(
        P(
            "异地就医结算",
            Fig(f"{int(c['off_n'] or 0)}", "人次", src),
            ",医疗费用",
            d.wan(c["off_fee"], "claims", "异地就医医疗费用"),
            f";筛查出待核查的异地就医结算 {off} 张,已列入核查清单。",
        )
    )
    s5 = Section(1, "【基金分析】", numbered=False)
    bal = d.year_rows("finance_balance", f"year = {int(y)}")
    seg = []
    if cov["insured"]:
        seg += [
            "住院人次人头比",
            d.rate(
                Decimal(adm) / Decimal(cov["insured"]),
                "claims",
                "住院人次人头比(住院人次 ÷ 参保人数)",
            ),
        ]
    if adm:
        seg += [
            ",门诊住院比",
            Fig(
                f"{Decimal(int(c['outp'] or 0)) / adm:.2f}",
                "",
                d.src("claims", "门诊住院比(门诊人次 ÷ 住院人次)"),
            ),
        ]
    if bal and bal[0]["months_of_reserve"] is not None:
        seg += [
            ",累计结余可支付",
            Fig(
                f"{bal[0]['months_of_reserve']}",
                "个月",
                d.src("finance_balance", "累计结余可支付月数"),
            ),
        ]
    if seg:
        s5.blocks.append(P(*seg, "。"))
    return [s1, s2, s3, s4, s5]
