"""The report's 绩效目标及完成情况 section, from the stored evaluation of the year."""

from __future__ import annotations

from yibao.engine.workspace import Workspace
from yibao.report.model import Section


def evaluation_sections(ws: Workspace, year: int, framework: str | None) -> list[Section]:
    """Sections written from the evaluation step's tables; none until it has run."""
    return []
