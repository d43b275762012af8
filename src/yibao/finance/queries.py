"""The set-based part of finance: Ibis aggregations that run unchanged on DuckDB and PySpark.

Every query reduces people, claims, receipts or ledger entries to a few dozen rows (per county,
level, quarter, category or account line); the arithmetic on those rows is done in Python with
Decimal (finance.subsidy, finance.accounts), where rounding happens once, half-up.
Money is summed as DECIMAL and, where it is compared or clipped, as integer fen.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from yibao.money import fen_expr
from yibao.pipeline import provenance
from yibao.schema.codes import INPATIENT_MED_TYPES, ORDINARY, RESIDENT

#: Words in a ledger category that mark a transfer between the fund's own accounts.
TRANSFER_WORDS = ("转入", "转出", "上解", "下拨", "调拨", "内部划转")
OPENING_WORDS = ("期初", "上年结余", "上年结转", "年初结余")


def _any_contains(col: ir.StringValue, words: tuple[str, ...]) -> ir.BooleanValue:
    out = col.contains(words[0])
    for w in words[1:]:
        out = out | col.contains(w)
    return out


_fen = fen_expr


def rows(
    con: Any, expr: ir.Table, feeds: tuple[str, ...] = (), label: str = ""
) -> list[dict[str, Any]]:
    """A small aggregated result as Python rows (Decimals stay Decimal).

    ``feeds`` names the finance tables the result ends up in, for the run record's query text."""
    if feeds:
        provenance.record(feeds, label, expr)
    return con.to_pyarrow(expr).to_pylist()


def insured_by_region(enrol: ir.Table, year: int, insutype: str = RESIDENT) -> ir.Table:
    """One row per region: persons enrolled in ``insutype`` for ``year``."""
    t = enrol.filter((enrol.year == year) & (enrol.insutype == insutype))
    return t.group_by("region_code").aggregate(insured=t.count())


def contributions_by_category(enrol: ir.Table, year: int) -> ir.Table:
    """One row per region × identity category of resident enrolments, with what was recorded.

    ``contribution`` is the individual contribution credited to the fund (including any part
    paid on the person's behalf); ``subsidised_amt`` is that part (医疗救助 and other channels).
    """
    t = enrol.filter((enrol.year == year) & (enrol.insutype == RESIDENT))
    t = t.mutate(category=t.psn_idet_type.fill_null(ORDINARY))
    return t.group_by(["region_code", "category"]).aggregate(
        insured=t.count(),
        recorded=t.contribution.sum(),
        recorded_subsidised=t.subsidised_amt.sum(),
        missing_contribution=(t.contribution.isnull()).sum().cast("int64"),
    )


def receipts_by_quarter(rec: ir.Table, year: int) -> ir.Table:
    """Subsidy receipts of ``year`` per region × level × settlement flag × quarter of arrival."""
    t = rec.filter(rec.year == year)
    t = t.mutate(
        settlement=t.is_settlement.fill_null("0"),
        arrival_year=t.receipt_date.year().cast("int32"),
        quarter=t.receipt_date.quarter().cast("int32"),
        negative=(t.amount < 0).cast("int64"),
    )
    return t.group_by(
        ["region_code", "budget_level", "settlement", "arrival_year", "quarter"]
    ).aggregate(amount=t.amount.sum(), receipts=t.count(), negative=t.negative.sum())


def classify_ledger(ledger: ir.Table) -> ir.Table:
    """Each ledger entry gets an account line; transfers and opening balances are kept apart."""
    c, income = ledger.category, ledger.direction == "收入"
    line = ibis.cases(
        (income & _any_contains(c, OPENING_WORDS), "opening"),
        (income & _any_contains(c, TRANSFER_WORDS), "transfer_in"),
        (income & (c.contains("缴费") | c.contains("保费")), "contributions"),
        (income & (c.contains("补助") | c.contains("补贴")), "subsidies"),
        (income & c.contains("利息"), "interest"),
        (income, "other_income"),
        (c.contains("大病"), "ci_premium"),
        (_any_contains(c, TRANSFER_WORDS), "transfer_out"),
        (c.contains("住院"), "inpatient"),
        (c.contains("门诊") | c.contains("药店"), "outpatient"),
        else_="other_expense",
    )
    return ledger.mutate(year=ledger.entry_date.year().cast("int32"), line=line)


def ledger_lines(ledger: ir.Table, up_to_year: int) -> ir.Table:
    """Ledger totals per year × region × fund × category × line, for every year ≤ ``up_to_year``."""
    t = classify_ledger(ledger)
    t = t.filter(t.year <= up_to_year)
    return t.group_by(["year", "region_code", "fund", "direction", "category", "line"]).aggregate(
        amount=t.amount.sum(), entries=t.count()
    )


def _claims_year(claims: ir.Table, settlements: ir.Table | None, year: int) -> ir.Table:
    """Claims settled in ``year`` with the fund payments to use: yibao's re-settlement when
    there is one (``settlements``), else the amounts the bureau's system recorded."""
    c = claims.filter(claims.setl_time.year() == year)
    if settlements is None:
        return c.mutate(settled=ibis.literal(False))
    s = settlements.filter(settlements.year == year).select(
        s_id="setl_id", s_hifp="hifp_pay", s_hifmi="hifmi_pay"
    )
    j = c.left_join(s, c.setl_id == s.s_id)
    return j.mutate(hifp_pay=j.s_hifp, hifmi_pay=j.s_hifmi, settled=j.s_id.notnull()).drop(
        "s_id", "s_hifp", "s_hifmi"
    )


def claims_expense(
    claims: ir.Table, settlements: ir.Table | None, year: int, insutypes: tuple[str, ...]
) -> ir.Table:
    """Fund payments of the year by line (inpatient / outpatient), basic and critical illness."""
    c = _claims_year(claims, settlements, year)
    c = c.filter(c.insutype.isin(list(insutypes)))
    c = c.mutate(
        line=ibis.cases(
            (c.med_type.isin(list(INPATIENT_MED_TYPES)), "inpatient"), else_="outpatient"
        )
    )
    return c.group_by("line").aggregate(
        claims=c.count(),
        hifp=c.hifp_pay.sum(),
        hifmi=c.hifmi_pay.sum(),
        unsettled=(~c.settled).cast("int64").sum(),
    )


def retiree_costs(
    claims: ir.Table,
    settlements: ir.Table | None,
    enrol: ir.Table,
    year: int,
    insutypes: tuple[str, ...],
    roster: ir.Table | None,
) -> ir.Table:
    """One row per retired cadre of the year: paid inpatient / outpatient (fen), quota (fen)
    and the cash top-up of the unused quota, greatest(quota − paid, 0)."""
    c = _claims_year(claims, settlements, year)
    c = c.filter(c.insutype.isin(list(insutypes)))
    inp = c.med_type.isin(list(INPATIENT_MED_TYPES))
    paid = _fen(c.hifp_pay).fill_null(0)
    per = c.group_by("psn_no").aggregate(
        inpatient_fen=ibis.cases((inp, paid), else_=0).sum(),
        outpatient_fen=ibis.cases((~inp, paid), else_=0).sum(),
        visits=c.count(),
    )
    e = enrol.filter((enrol.year == year) & enrol.insutype.isin(list(insutypes)))
    people = e.select("psn_no", "region_code").distinct()
    if roster is None:
        people = people.mutate(period=ibis.null("string"), quota_fen=ibis.null("int64"))
    else:
        r = roster.select(r_psn="psn_no", period="period", quota_fen="quota_fen")
        people = people.left_join(r, people.psn_no == r.r_psn).drop("r_psn")
    j = people.outer_join(per, people.psn_no == per.psn_no)
    j = j.select(
        psn_no=ibis.coalesce(j.psn_no, j.psn_no_right),
        region_code=j.region_code,
        enrolled=j.psn_no.notnull(),
        period=j.period,
        quota_fen=j.quota_fen,
        inpatient_fen=j.inpatient_fen.fill_null(0),
        outpatient_fen=j.outpatient_fen.fill_null(0),
        visits=j.visits.fill_null(0),
    )
    used = j.inpatient_fen + j.outpatient_fen
    # Only enrolled retirees with a quota get the unused part in cash.
    return j.mutate(topup_fen=ibis.greatest(j.quota_fen.fill_null(0) - used, 0).cast("int64"))
