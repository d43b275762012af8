"""A generated county run through `yibao init` + `yibao run`, shared by the evaluate tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared_build import built_once, fresh_copy
from yibao.synth.run import synthesize

YEAR = 2021


def yibao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yibao.cli", *args], capture_output=True, text=True, timeout=900
    )


def _county(out: Path) -> None:
    """The county generated (``out/data``), then `yibao init` + `yibao run` (``out/ws``)."""
    synthesize("demo-county", out / "data", scale=0.005, seed=11)
    ws, gen = out / "ws", out / "data"
    assert yibao("init", str(ws), "--policy", str(gen / "policy.yaml")).returncode == 0
    res = yibao("run", str(ws), "--year", str(YEAR), "--from", str(gen))
    assert res.returncode == 1, res.stdout + res.stderr  # planted rows and findings
    assert "Traceback" not in res.stdout + res.stderr


@pytest.fixture(scope="session")
def _county_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per test run, whichever xdist worker asks first (tests/shared_build.py)."""
    return built_once(tmp_path_factory, "evaluate-county", _county)


@pytest.fixture(scope="session")
def gen_dir(_county_built: Path) -> Path:
    return _county_built / "data"  # read only


@pytest.fixture(scope="session")
def gen_ws(_county_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This worker's own copy of the run workspace (the tests write evaluations into it)."""
    return fresh_copy(tmp_path_factory, _county_built / "ws", "evws")
