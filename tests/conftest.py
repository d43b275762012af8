"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.engine import Workspace


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws")
    yield w
    w.close()
