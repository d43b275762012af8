"""项目资金使用: what the fund paid hospitals through DIP and total budget control, when
``yibao payment`` has run for the year (payment_dip_summary, payment_budget_summary and the
hospital tables).  Each figure is traced to its table and the payment run's query, as the other
figures are; sentences state only relations that hold at the precision shown.
"""

from __future__ import annotations

from decimal import Decimal

from yibao.report.data import Data
from yibao.report.model import Fig, Para

DIP = "payment_dip_summary"
DIP_H = "payment_dip_hospitals"
BUDGET = "payment_budget_summary"
BUDGET_H = "payment_budget_hospitals"


def _one(d: Data, table: str) -> dict | None:
    rows = d.year_rows(table) if d.exists(table) else []
    return rows[0] if rows else None


def _dip(d: Data, s: dict) -> list[Para]:
    n, cases = int(s["dip_cases"]), int(s["inpatient_cases"])
    seg: list[str | Fig] = [
        f"{d.year}年住院费用实行按病种分值付费(DIP),入组病例",
        d.count(n, "例", DIP, "DIP 入组病例数"),
        ",占住院病例",
        d.count(cases, "例", DIP, "住院病例数(含异地)"),
        "的",
        d.rate(Decimal(n) / cases if cases else None, DIP, "DIP 病种覆盖率(入组 ÷ 住院病例)"),
        ";按 DIP 支付的统筹基金",
        d.wan(s["dip_fund"], DIP, "按 DIP 支付的统筹基金"),
        ",占住院统筹基金支出",
        d.wan(s["inpatient_fund"], DIP, "住院统筹基金支出"),
        "的",
        d.rate(
            s["dip_fund"] / s["inpatient_fund"] if s["inpatient_fund"] else None,
            DIP,
            "DIP 基金支付占比(DIP 统筹 ÷ 住院统筹)",
        ),
        "。",
    ]
    out = [Para(seg)]
    h = d.rows(
        f"SELECT count(*) AS n, sum(advances) AS adv, sum(balance) AS bal, "
        f"count(*) FILTER (WHERE upcoding_suspect) AS up FROM {DIP_H} WHERE year = ?",
        [d.year],
    )[0]
    seg2: list[str | Fig] = [
        "DIP 总额",
        d.wan(s["dip_budget"], DIP, "DIP 总额(可用统筹基金 ÷ 报销比例)"),
        ",结算点值",
        Fig(f"{s['settlement_point_value']}", "元/分", d.src(DIP, "结算点值")),
    ]
    if s["budget_point_value"] is not None:
        seg2 += [
            "(预算点值",
            Fig(f"{s['budget_point_value']}", "元/分", d.src(DIP, "预算点值")),
            ")",
        ]
    seg2 += [
        ";",
        d.count(int(h["n"]), "家", DIP_H, "DIP 清算医疗机构数"),
        "定点医疗机构统筹应付",
        d.wan(s["settlement"], DIP, "医院统筹应付合计"),
        ",月度预结算",
        d.wan(h["adv"], DIP_H, "月度预结算合计"),
        ",年终清算",
        "补拨" if (h["bal"] or 0) >= 0 else "扣回",
        d.wan(abs(h["bal"] or 0), DIP_H, "年终清算补拨(+)/扣回(−)合计"),
        "。",
    ]
    out.append(Para(seg2))
    if h["up"]:
        out.append(
            Para(
                [
                    d.count(int(h["up"]), "家", DIP_H, "疑似高套分值医疗机构数"),
                    "医疗机构手术操作类病例占比明显高于同级医院而费用未相应增加,疑似高套分值,"
                    "已列入核查。",
                ]
            )
        )
    return out


def _budget(d: Data, s: dict) -> Para:
    h = d.rows(
        f"SELECT sum(budget_advance) AS adv, sum(actual) AS actual, "
        f"count(*) FILTER (WHERE ahead_at_end) AS ahead FROM {BUDGET_H} WHERE year = ?",
        [d.year],
    )[0]
    seg: list[str | Fig] = [
        "总额控制方面,",
        d.count(int(s["hospitals"]), "家", BUDGET, "总额控制医疗机构数"),
        "定点医疗机构年度总额",
        d.wan(s["budget_total"], BUDGET, "年度总额合计"),
        ",预留质量保证金",
        d.wan(s["reserve"], BUDGET, "预留保证金合计"),
        ";全年实际统筹支出",
        d.wan(h["actual"], BUDGET_H, "实际统筹支出合计"),
        ",为可预拨总额",
        d.wan(h["adv"], BUDGET_H, "可预拨总额合计(总额 − 保证金)"),
        "的",
        d.rate(
            h["actual"] / h["adv"] if h["adv"] else None,
            BUDGET_H,
            "总额使用进度(实际统筹支出 ÷ 可预拨总额)",
        ),
        ";年终清算应付",
        d.wan(s["settlement"], BUDGET, "清算应付合计"),
    ]
    if h["ahead"]:
        seg += [",", d.count(int(h["ahead"]), "家", BUDGET_H, "年末超进度医疗机构数"), "年末超进度"]
    return Para([*seg, "。"])


def payment_paras(d: Data) -> list[Para]:
    """The paragraphs, or none when ``yibao payment`` has not run for the year."""
    out: list[Para] = []
    if (dip := _one(d, DIP)) is not None:
        out += _dip(d, dip)
    if (budget := _one(d, BUDGET)) is not None:
        out.append(_budget(d, budget))
    return out
