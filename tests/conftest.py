"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, settings

from yibao.engine import Workspace


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws")
    yield w
    w.close()


# Mutation runs (make mutate, tests/oracle/named_mutations.py) only need to know that a test
# fails: no shrinking, which costs minutes on the chain's examples.
settings.register_profile(
    "mutate", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None
)
