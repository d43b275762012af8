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

from collections.abc import Iterable
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
