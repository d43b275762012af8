"""An installed wheel works outside the source tree: presets, truth contract, policies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from yibao.refdata import data_dir

ROOT = Path(__file__).resolve().parents[2]


def test_synth_truth_doc_is_the_packaged_one():
    packaged = ROOT / "src" / "yibao" / "synth" / "truth.md"
    assert (ROOT / "docs" / "synth-truth.md").read_text(encoding="utf-8") == packaged.read_text(
        encoding="utf-8"
    ), "docs/synth-truth.md and src/yibao/synth/truth.md must stay the same text"


@pytest.mark.xdist_group("wheel")
def test_yibao_synth_runs_from_a_built_wheel(tmp_path: Path):
    wheels = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("yibao-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "YIBAO_DATA_DIR": str(data_dir())}
    where = subprocess.run(
        [sys.executable, "-c", "import yibao; print(yibao.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target)), where
    out = tmp_path / "gen"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "yibao.cli",
            "synth",
            "--preset",
            "demo-county",
            "--out",
            str(out),
            "--scale",
            "0.001",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert (out / "truth" / "README.md").read_text(encoding="utf-8").startswith("#")
    assert (out / "claims.csv").exists() and (out / "policy.yaml").exists()
    res = subprocess.run(
        [sys.executable, "-m", "yibao.cli", "policy", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0 and "yiyang-2019" in res.stdout
    res = subprocess.run(
        [sys.executable, "-m", "yibao.cli", "evaluate", "--list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0 and "yongqiao-2021" in res.stdout, res.stdout + res.stderr
