"""The inspectors' work list (xlsx): ranked findings, a per-hospital summary and the rules.

ID numbers, names and diagnoses are masked unless the caller was allowed to unmask (a user
of the workspace's user store with an unmasking role, :mod:`yibao.control.users`).  Every
cell goes through :func:`yibao.xlsxsafe.safe_cells`, so no value from an export becomes a
formula.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from yibao.engine.workspace import Workspace
from yibao.privacy import mask_record, private_dir
from yibao.schema.tables import HOSP_LEVEL
from yibao.supervise.catalogue import RULES
from yibao.supervise.params import param_text
from yibao.supervise.run import SuperviseOutcome
from yibao.xlsxsafe import column_widths, safe_cells, set_widths

MAX_ROWS = 1_000_000  # Excel's limit is 1,048,576 rows per sheet

LIST_HEADERS = (
    ("rank", "排名"),
    ("rule", "规则代码"),
    ("rule_name", "规则名称"),
    ("key", "核查对象"),
    ("setl_id", "结算ID"),
    ("psn_no", "人员编号"),
    ("certno", "证件号码"),
    ("psn_name", "姓名"),
    ("fixmedins_code", "定点医药机构编号"),
    ("fixmedins_name", "定点医药机构名称"),
    ("hosp_lv", "医院等级"),
    ("dise_codg", "主诊断编码"),
    ("amount", "涉及金额(元)"),
    ("score", "评分"),
    ("evidence", "证据"),
)


def report_path(ws: Workspace, year: int, unmask: bool = False) -> Path:
    """Masked and unmasked lists have different names, so one never overwrites the other."""
    suffix = "-未脱敏" if unmask else ""
    return ws.path / "reports" / f"监管筛查工作清单-{year}{suffix}.xlsx"


def _header(ws_sheet, labels: list[str]) -> None:  # noqa: ANN001 - openpyxl worksheet
    bold = Font(bold=True)
    cells = []
    for label in labels:
        c = WriteOnlyCell(ws_sheet, value=label)
        c.font = bold
        cells.append(c)
    ws_sheet.append(safe_cells(ws_sheet, cells))


#: Widths of the work list's columns (write-only sheets take widths before their first row).
LIST_WIDTHS = {"evidence": 70, "rule_name": 28, "fixmedins_name": 30, "key": 22}


def _layout(sheet, labels: list[str], widths: dict[str, float] | None = None) -> None:  # noqa: ANN001
    """Frozen header and widths, set before the first row of a write-only sheet."""
    sheet.freeze_panes = "A2"
    base = column_widths([labels])
    named = [c for c, _ in LIST_HEADERS] if widths else []
    for i, name in enumerate(named):
        if name in (widths or {}):
            base[i] = widths[name]
    if widths:
        base[-1] = 60  # 法律依据
    set_widths(sheet, base)


def _filter(sheet, n_cols: int, n_rows: int) -> None:  # noqa: ANN001
    from openpyxl.utils import get_column_letter

    sheet.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{n_rows + 1}"


def _money(sheet, value):  # noqa: ANN001, ANN202 - openpyxl cell
    c = WriteOnlyCell(sheet, value=value)
    c.number_format = "#,##0.00"
    return c


def write_worklist(
    ws: Workspace, outcome: SuperviseOutcome, *, unmask: bool = False, role: str = ""
) -> Path:
    """Write ``reports/监管筛查工作清单-YEAR.xlsx`` from the stored findings of the year."""
    year = outcome.year
    path = report_path(ws, year, unmask)
    private_dir(path.parent)
    wb = Workbook(write_only=True)
    cols = [c for c, _ in LIST_HEADERS]
    sheet = wb.create_sheet("工作清单")
    _layout(sheet, [label for _, label in LIST_HEADERS] + ["法律依据"], LIST_WIDTHS)
    _header(sheet, [label for _, label in LIST_HEADERS] + ["法律依据"])
    cur = ws.con.execute(
        f"SELECT {', '.join(cols)} FROM supervise_findings WHERE year = ? ORDER BY rank "
        f"LIMIT {MAX_ROWS}",
        [year],
    )
    level = dict(HOSP_LEVEL)
    written = 0
    while batch := cur.fetchmany(10_000):
        for row in batch:
            rec = dict(zip(cols, row, strict=True))
            if not unmask:
                rec = mask_record("supervise_findings", rec)
            rec["hosp_lv"] = level.get(rec["hosp_lv"], rec["hosp_lv"])
            rule = RULES.get(rec["rule"])
            cells = [_money(sheet, rec[c]) if c == "amount" else rec[c] for c in cols]
            sheet.append(safe_cells(sheet, [*cells, rule.basis if rule else None]))
            written += 1
    _filter(sheet, len(LIST_HEADERS) + 1, written)

    _hospital_sheet(wb, ws, year, level)
    _rules_sheet(wb, outcome, unmask, role)
    wb.save(path)
    return path


def _hospital_sheet(wb: Workbook, ws: Workspace, year: int, level: dict[str, str]) -> None:
    sheet = wb.create_sheet("医院汇总")
    rules = [
        r[0]
        for r in ws.con.execute(
            "SELECT DISTINCT rule FROM supervise_hospital_summary WHERE year = ? ORDER BY 1",
            [year],
        ).fetchall()
    ]
    labels = ["定点医药机构编号", "定点医药机构名称", "医院等级", "线索数", "涉及金额(元)"] + [
        f"{RULES[r].name}(条)" if r in RULES else r for r in rules
    ]
    _layout(sheet, labels)
    _header(sheet, labels)
    pivot = ", ".join(f"sum(findings) FILTER (WHERE rule = '{r}')" for r in rules)
    rows = ws.con.execute(
        "SELECT fixmedins_code, any_value(fixmedins_name), any_value(hosp_lv), sum(findings), "
        f"sum(amount){', ' + pivot if pivot else ''} FROM supervise_hospital_summary "
        "WHERE year = ? GROUP BY 1 ORDER BY 5 DESC, 1",
        [year],
    ).fetchall()
    for code, name, lv, n, amount, *by_rule in rows:
        row = [code, name, level.get(lv, lv), n, _money(sheet, amount), *by_rule]
        sheet.append(safe_cells(sheet, row))
    _filter(sheet, len(labels), len(rows))


def _rules_sheet(wb: Workbook, outcome: SuperviseOutcome, unmask: bool, role: str) -> None:
    sheet = wb.create_sheet("规则说明")
    labels = [
        "规则代码",
        "规则名称",
        "法律依据",
        "筛查内容",
        "涉及金额口径",
        "参数",
        "线索数",
        "涉及金额(元)",
        "用时(秒)",
        "说明",
    ]
    sheet.freeze_panes = "A2"
    set_widths(sheet, [16, 28, 50, 50, 30, 40, 10, 16, 10, 40])
    _header(sheet, labels)
    shown = outcome.params.shown()
    for run in outcome.runs:
        r = run.rule
        params = ";".join(param_text(p, shown[p]) for p in r.params)
        sheet.append(
            safe_cells(
                sheet,
                [
                    r.code,
                    r.name,
                    r.basis,
                    r.finds,
                    r.amount_means,
                    params,
                    None if run.skipped else run.findings,
                    None if run.skipped else _money(sheet, run.amount),
                    round(run.seconds, 2),
                    run.skipped or "",
                ],
            )
        )
    sheet.append([])
    note = (
        f"个人信息未脱敏(角色:{role})"
        if unmask
        else "证件号码、姓名、诊断已脱敏;需查看原值请以稽核角色运行 --unmask"
    )
    sheet.append(
        safe_cells(sheet, ["说明", f"{outcome.year} 年度;计算引擎 {outcome.engine};{note}"])
    )
    sheet.append(
        safe_cells(sheet, ["说明", "线索是筛查结果,须经现场核查确认;条文引用请以官方文本为准。"])
    )
