"""The finance annexes as xlsx, in the shape of seed 000's 附件一 and 附件二.

Amounts appear in 元 (exact, to the fen) and in 万元 (rounded half-up to two places).  Where the
rounded 万元 parts do not add up to the rounded total, a note row under the table says so and by
how much, so that no reader has to find it out (seed 000's own report had such a gap).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from yibao.finance.params import LEVELS, pct
from yibao.finance.run import FinanceReport
from yibao.finance.subsidy import SUBSIDY_NOTE_CODES, rate
from yibao.money import wan
from yibao.pipeline.contract import note_text
from yibao.privacy import private_dir
from yibao.xlsxsafe import polish_workbook, safe_cells

ZERO = Decimal("0.00")
MONEY_FMT = "#,##0.00"
BOLD = Font(bold=True)


def wan_note(what: str, parts: list[Decimal], total: Decimal) -> str | None:
    """A sentence when Σ round(part, 万元) ≠ round(total, 万元), else None."""
    rounded = sum((wan(p) for p in parts), ZERO)
    diff = rounded - wan(total)
    if not diff:
        return None
    return (
        f"注:{what}各项按万元四舍五入后合计 {rounded} 万元,与合计数 {wan(total)} 万元"
        f"相差 {diff} 万元,系尾数舍入所致;以元为单位的金额相加无差。"
    )


def _title(ws: Worksheet, text: str, width: int, unit: str = "单位:元、万元") -> None:
    ws.append(safe_cells(ws, [text]))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(safe_cells(ws, [unit]))


def _header(ws: Worksheet, headers: list[str]) -> None:
    ws.append(safe_cells(ws, headers))
    for cell in ws[ws.max_row]:
        cell.font = BOLD
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for i, h in enumerate(headers, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(
            ws.column_dimensions[letter].width or 0, len(h) * 2
        )


def _row(ws: Worksheet, values: list, bold: bool = False) -> None:
    ws.append(safe_cells(ws, values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, Decimal):
            cell.number_format = MONEY_FMT
        if bold:
            cell.font = BOLD


def _rate(r: Decimal | None) -> str:
    return "" if r is None else pct(r)


def _notes(ws: Worksheet, notes: list) -> None:
    for n in notes:
        ws.append(safe_cells(ws, [note_text(n)]))


SUBSIDY_HEADERS = [
    "区划代码",
    "县市区",
    "分担类别",
    "财政级次",
    "参保人数(人)",
    "人均补助(元/人)",
    "应补助(元)",
    "应补助(万元)",
    "实际到位(元)",
    "实际到位(万元)",
    "上年清算(元)",
    "扣清算后到位(元)",
    "到位率",
    "差额(元)",
    "状态",
]


def annex_one(rep: FinanceReport, path: Path) -> Path:
    """附件一: subsidy by county × level (due, received, rate), level totals, quarterly arrival."""
    wb = Workbook()
    ws = wb.active
    ws.title = "补助资金明细"
    _title(ws, f"附件一:{rep.year}年医疗保险基金补助资金明细表", len(SUBSIDY_HEADERS))
    _header(ws, SUBSIDY_HEADERS)
    per = {(d.region_code, d.level): d for d in rep.due}
    by_level: dict[str, list] = defaultdict(list)
    for a in rep.arrivals:
        d = per.get((a.region_code, a.level))
        by_level[a.level].append(a)
        _row(
            ws,
            [
                a.region_code,
                rep.region_names.get(a.region_code, a.region_code),
                d.county_class if d else None,
                a.level,
                a.insured,
                d.per_person if d and d.per_person is not None else "定额",
                a.due,
                wan(a.due),
                a.received,
                wan(a.received),
                a.settlement,
                a.received_net,
                _rate(a.rate),
                a.shortfall,
                a.status,
            ],
        )
    notes: list[str] = []
    totals = {"due": ZERO, "received": ZERO, "settlement": ZERO, "net": ZERO}
    for level in LEVELS:
        rows = by_level.get(level, [])
        due = sum((a.due for a in rows), ZERO)
        got = sum((a.received for a in rows), ZERO)
        st = sum((a.settlement for a in rows), ZERO)
        totals["due"] += due
        totals["received"] += got
        totals["settlement"] += st
        totals["net"] += got + st
        _row(
            ws,
            [
                "",
                f"{level}小计",
                "",
                level,
                "",
                "",
                due,
                wan(due),
                got,
                wan(got),
                st,
                got + st,
                _rate(rate(got, due)),
                due - got,
                "",
            ],
            bold=True,
        )
        for what, parts, total in (
            (f"{level}应补助", [a.due for a in rows], due),
            (f"{level}实际到位", [a.received for a in rows], got),
        ):
            if n := wan_note(what, parts, total):
                notes.append(n)
    _row(
        ws,
        [
            "",
            "合计",
            "",
            "",
            sum(rep.insured.values()),
            rep.params.subsidy_per_person,
            totals["due"],
            wan(totals["due"]),
            totals["received"],
            wan(totals["received"]),
            totals["settlement"],
            totals["net"],
            _rate(rate(totals["received"], totals["due"])),
            totals["due"] - totals["received"],
            "",
        ],
        bold=True,
    )
    level_due = [sum((a.due for a in by_level.get(lv, [])), ZERO) for lv in LEVELS]
    level_got = [sum((a.received for a in by_level.get(lv, [])), ZERO) for lv in LEVELS]
    for what, parts, total in (
        ("应补助(分级次)", level_due, totals["due"]),
        ("实际到位(分级次)", level_got, totals["received"]),
    ):
        if n := wan_note(what, parts, total):
            notes.append(n)
    ws.append([])
    _notes(
        ws,
        notes
        + [
            "说明:实际到位不含上年清算款;上年清算款单列,扣清算后到位 = 实际到位 + 上年清算。",
            *[n for n in rep.notes if n.code in SUBSIDY_NOTE_CODES],
        ],
    )

    q = wb.create_sheet("分季度到位")
    _title(q, f"{rep.year}年各级财政补助分季度累计到位情况", 7)
    _header(
        q,
        [
            "财政级次",
            "到账季度",
            "本季到位(元)",
            "累计到位(元)",
            "应补助(元)",
            "累计到位率",
            "累计到位(万元)",
        ],
    )
    for r in rep.quarterly:
        _row(
            q,
            [
                r["level"],
                r["quarter"],
                r["received"],
                r["cumulative"],
                r["due"],
                _rate(r["cumulative_rate"]),
                wan(r["cumulative"]),
            ],
        )
    private_dir(path.parent)
    polish_workbook(wb)  # widths, frozen header, filter, rates as numbers
    wb.save(path)
    return path


def annex_two(rep: FinanceReport, path: Path) -> Path:
    """附件二: income and expense of the fund (ledger beside business data), balance, reserve
    months; further sheets for budget execution, the insurer settlement, retirees, contributions."""
    book = rep.book
    wb = Workbook()
    ws = wb.active
    ws.title = "收入支出明细"
    headers = [
        "收支方向",
        "项目",
        "明细账金额(元)",
        "明细账金额(万元)",
        "业务数据金额(元)",
        "差额(元)",
    ]
    _title(ws, f"附件二:{rep.year}年医疗保险基金补助收入支出明细表({book.fund})", len(headers))
    _header(ws, headers)
    notes: list[str] = []
    for direction in ("收入", "支出"):
        lines = [ln for ln in book.lines if ln["direction"] == direction]
        for ln in lines:
            _row(
                ws,
                [direction, ln["label"], ln["ledger"], wan(ln["ledger"]), ln["source"], ln["diff"]],
            )
        total = sum((ln["ledger"] for ln in lines), ZERO)
        src = book.income_source if direction == "收入" else book.expense_source
        # The total's difference covers only the lines that have business data (not interest).
        diff = sum((ln["diff"] for ln in lines if ln["diff"] is not None), ZERO)
        _row(ws, [direction, f"{direction}合计", total, wan(total), src, diff], bold=True)
        if n := wan_note(f"{direction}", [ln["ledger"] for ln in lines], total):
            notes.append(n)
    ws.append([])
    _header(
        ws,
        [
            "年度",
            "期初结余(元)",
            "本年收入(元)",
            "本年支出(元)",
            "年末累计结余(元)",
            "逐笔累计余额(元)",
            "差额(元)",
        ],
    )
    for b in book.balances:
        _row(ws, [b.year, b.opening, b.income, b.expense, b.closing, b.book_balance, b.gap])
    ws.append([])
    months = "" if book.months_of_reserve is None else f"{book.months_of_reserve} 个月"
    _row(ws, ["累计结余可支付月数", months])
    if book.closing is not None:
        _row(ws, ["年末累计结余(万元)", wan(book.closing)])
    _row(
        ws,
        [
            "业务数据口径",
            f"住院、门诊支出取自{rep.expense_basis};大病保险支出 = 人均筹资 × 参保人数",
        ],
    )
    ws.append([])
    _notes(
        ws,
        notes + ["说明:合计行的差额只含有业务数据的科目;利息、其他收支只见于明细账。", *book.notes],
    )

    b = wb.create_sheet("预算执行")
    bh = [
        "区划代码",
        "项目",
        "科目",
        "本年预算(元)",
        "上年结转(元)",
        "预算合计(元)",
        "实际支出(元)",
        "结余(元)",
        "执行率",
        "匹配方式",
    ]
    _title(b, f"{rep.year}年预算执行情况(预算含上年结转)", len(bh))
    _header(b, bh)
    for r in rep.budget:
        _row(
            b,
            [
                r["region_code"],
                r["project"],
                r["item"],
                r["budget"],
                r["carry_over"],
                r["budget_total"],
                r["actual"],
                r["balance"],
                _rate(r["execution_rate"]),
                r["matched_by"],
            ],
        )

    if rep.insurer is not None:
        s = wb.create_sheet("大病保险结算")
        _title(s, f"{rep.year}年大病保险承办机构年终结算", 3)
        i = rep.insurer
        _header(s, ["项目", "金额(元)", "金额(万元)"])
        for label, v in (
            ("拨付保费", i.premium),
            ("赔付(大病保险支出)", i.claims),
            ("盈亏", i.profit),
            ("盈利上限金额", i.cap_amount),
            ("返还居民医保基金", i.returned_to_fund),
            ("基金分担亏损", i.fund_loss_share),
            ("承办机构最终盈亏", i.insurer_result),
        ):
            _row(s, [label, v, None if v is None else wan(v)])
        _row(s, ["盈利率", _rate(i.profit_rate)])
        _row(s, ["盈利率上限", _rate(i.cap_rate)])
        _row(s, ["结论", i.note])

    if rep.retiree is not None:
        r = wb.create_sheet("离休人员医药费")
        _title(r, f"{rep.year}年离休人员医药费", 3)
        t = rep.retiree
        _header(r, ["项目", "金额(元)/人数", "金额(万元)"])
        for label, v in (
            ("离休人员数(人)", t.retirees),
            ("统筹标准(元/人/年)", t.pooling_standard),
            ("统筹资金(元)", t.pooling_total),
            ("住院支付", t.inpatient),
            ("门诊支付", t.outpatient),
            ("定额节约现金补足", t.topup),
            ("支付合计", t.paid),
            ("超统筹标准(年底追加)", t.over_pooling),
            ("预算(含结转)", t.budget),
        ):
            money = isinstance(v, Decimal) and "人" not in label
            _row(r, [label, v, wan(v) if money else None])
        _row(r, ["预算执行率", _rate(t.budget_rate)])
        if t.note:
            _row(r, ["说明", t.note])

    c = wb.create_sheet("个人缴费")
    ch = [
        "区划代码",
        "人员身份类别",
        "参保人数(人)",
        "缴费标准(元/人)",
        "人均资助(元/人)",
        "应缴(元)",
        "应资助(元)",
        "个人应缴(元)",
        "记录缴费(元)",
        "记录资助(元)",
        "差额(元)",
        "资助差额(元)",
    ]
    _title(c, f"{rep.year}年城乡居民个人缴费(按身份类别)", len(ch))
    _header(c, ch)
    for x in rep.contributions:
        _row(
            c,
            [
                x.region_code,
                x.category,
                x.insured,
                x.standard,
                x.subsidy_per_person,
                x.due,
                x.due_subsidy,
                x.due_person,
                x.recorded,
                x.recorded_subsidy,
                x.gap,
                x.gap_subsidy,
            ],
        )
    private_dir(path.parent)
    polish_workbook(wb)  # widths, frozen header, filter, rates as numbers
    wb.save(path)
    return path


def write_annexes(rep: FinanceReport, out_dir: Path) -> list[Path]:
    return [
        annex_one(rep, out_dir / f"附件一_{rep.year}年医疗保险基金补助资金明细表.xlsx"),
        annex_two(rep, out_dir / f"附件二_{rep.year}年医疗保险基金补助收入支出明细表.xlsx"),
    ]
