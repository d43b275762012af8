"""The hospitals' settlement workbook (Chinese headers, data cells as values, never formulas)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from yibao.schema.model import Table
from yibao.xlsxsafe import polish_workbook


def _cell(v: object) -> object:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return v  # openpyxl writes a Decimal as a number value, exactly as stored
    return v


def write_workbook(path: Path, sheets: list[tuple[str, Table, list[dict]]]) -> Path:
    """One sheet per (title, registry table, rows); headers are the registry's 中文 labels."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, table, rows in sheets:
        ws = wb.create_sheet(title)
        cols = [c for c in table.columns if not c.personal]
        ws.append([f"{c.label}({c.unit})" if c.unit else c.label for c in cols])
        for r in rows:
            ws.append([_cell(r.get(c.name)) for c in cols])
        for i, c in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, len(c.label) * 2 + 2)
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    polish_workbook(wb)  # widths, frozen header, filter, rates as numbers
    wb.save(path)
    return path
