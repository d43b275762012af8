"""A three-year synthetic region in a workspace, shared by the payment tests of a module."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.engine import Workspace
from yibao.ingest import ingest_file
from yibao.schema.tables import TABLES

YEARS = (2019, 2020, 2021)


def synth_workspace(tmp: Path, *, scale: float = 0.03, seed: int = 7) -> tuple[Path, Workspace]:
    from yibao.synth.run import synthesize

    gen = tmp / "gen"
    synthesize("demo-county", gen, scale=scale, seed=seed, years=3)
    path = tmp / "ws"
    with Workspace.create(path, policy=str(gen / "policy.yaml")):
        pass
    ws = Workspace.open(path)
    for t in TABLES:
        ingest_file(ws, gen / f"{t}.csv", t)
    for y in YEARS[:-1]:
        ingest_file(ws, gen / f"claims_{y}.csv", "claims")
    return gen, ws


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Workspace]:
    gen, ws = synth_workspace(tmp_path_factory.mktemp("payment"))
    yield gen, ws
    ws.close()
