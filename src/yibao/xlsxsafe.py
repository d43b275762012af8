"""The one way data reaches an xlsx cell: as text or a number, never as a formula.

Values come from exports (hospital names, codes, evidence text).  openpyxl stores any string
starting with ``=`` as a live formula, so ``=2+5`` in a hospital name would compute in the
inspectors' work list, and ``=HYPERLINK(…)`` would phone home.  Every row written by a report
goes through :func:`safe_cells`: strings become text cells, and those starting with one of
``= + - @`` (or a tab / carriage return, which spreadsheet programs strip before parsing)
also get Excel's quote prefix, so that editing the cell does not turn it into a formula
either.  The text itself is kept exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell

#: Leading characters that spreadsheet programs read as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(sheet: Any, value: Any) -> Any:  # noqa: ANN401 - openpyxl types
    """A cell for ``sheet`` (write-only or not) holding ``value`` inertly."""
    if isinstance(value, Cell):
        if value.data_type == "f":
            value.data_type = "s"
            value.quotePrefix = True
        return value
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def safe_cells(sheet: Any, values: Iterable[Any]) -> list[Any]:  # noqa: ANN401
    """A row for ``sheet.append``: every string a text cell (see the module docstring)."""
    return [safe_cell(sheet, v) for v in values]


# --- layout a clerk can read: widths, frozen header, filter, numbers as numbers --------------

#: A rate written as text (``89.02%``) becomes a number with a percentage format.
_PCT_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?%$")
MAX_WIDTH = 60
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"


def text_width(value: Any) -> int:  # noqa: ANN401
    """Columns a value takes on screen: CJK and full-width characters count two."""
    if value is None:
        return 0
    s = value if isinstance(value, str) else f"{value:,}" if isinstance(value, int) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def column_widths(rows: Iterable[Iterable[Any]]) -> list[float]:
    """Width of each column from its widest value (capped), for ``column_dimensions``."""
    widths: list[int] = []
    for row in rows:
        for i, v in enumerate(row):
            v = getattr(v, "value", v) if not isinstance(v, str | int | float | Decimal) else v
            w = max((text_width(part) for part in str(v).split("\n")), default=0) if v else 0
            if i >= len(widths):
                widths.append(0)
            widths[i] = max(widths[i], w)
    return [min(MAX_WIDTH, max(8, w + 2)) for w in widths]


def set_widths(sheet: Any, widths: list[float]) -> None:  # noqa: ANN401
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = w


def _header_row(sheet: Any) -> int:  # noqa: ANN401
    """The header: among the first rows, the first with the most filled cells (a title row
    above it has one merged cell)."""
    best, best_n = 1, -1
    for r, row in enumerate(sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 12)), 1):
        n = sum(1 for c in row if c.value not in (None, ""))
        if n > best_n:
            best, best_n = r, n
    return best


def polish_sheet(sheet: Any, header_row: int | None = None) -> None:  # noqa: ANN401
    """Widths, a frozen header, a filter over the table, and numbers shown as numbers.

    For an ordinary (not write-only) worksheet, just before the workbook is saved."""
    from openpyxl.utils import get_column_letter

    if sheet.max_row < 1 or sheet.max_column < 1:
        return
    h = header_row or _header_row(sheet)
    for row in sheet.iter_rows(min_row=h + 1):
        for c in row:
            v = c.value
            if isinstance(v, str) and _PCT_TEXT.match(v):
                c.value = Decimal(v[:-1]) / 100
                c.number_format = PERCENT_FORMAT
            elif isinstance(v, Decimal | float) and c.number_format == "General":
                c.number_format = MONEY_FORMAT
    rows = sheet.iter_rows(min_row=h, max_row=min(sheet.max_row, h + 2000), values_only=True)
    set_widths(sheet, column_widths(rows))
    sheet.freeze_panes = f"A{h + 1}"
    last = get_column_letter(sheet.max_column)
    if sheet.max_row > h:
        sheet.auto_filter.ref = f"A{h}:{last}{sheet.max_row}"


def polish_workbook(wb: Any) -> None:  # noqa: ANN401
    for sheet in wb.worksheets:
        polish_sheet(sheet)
