"""A generated county run through `yibao init` + `yibao run`, shared by the evaluate tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from yibao.synth.run import synthesize

YEAR = 2021


def yibao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yibao.cli", *args], capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = tmp_path_factory.mktemp("evgen") / "data"
    synthesize("demo-county", gen, scale=0.005, seed=11)
    return gen


@pytest.fixture(scope="session")
def gen_ws(gen_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evws") / "ws"
    assert yibao("init", str(path), "--policy", str(gen_dir / "policy.yaml")).returncode == 0
    res = yibao("run", str(path), "--year", str(YEAR), "--from", str(gen_dir))
    assert res.returncode == 1, res.stdout + res.stderr  # planted rows and findings
    assert "Traceback" not in res.stdout + res.stderr
    return path
