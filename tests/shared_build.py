"""Expensive test inputs built once per test run and shared by every xdist worker.

``make test`` runs two workers; a session fixture alone is built once *per worker*, and a
module fixture once per worker that runs a test of the module.  ``built_once`` builds a
directory under a file lock in the run's common temp dir (the parent of the workers' own
``basetemp``), so the second worker waits for the first and reuses its result; ``fresh_copy``
gives a caller its own copy to write into.  A failed build leaves no mark, so the next caller
builds again and sees the same error.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temp dir common to all workers of this run (each worker's basetemp is inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """``root/name``, made by ``build(root/name)`` the first time any worker asks for it.

    The result is shared: read it, or ``fresh_copy`` it before writing into it."""
    root = run_root(tmp_path_factory) / "shared"
    root.mkdir(exist_ok=True)
    target, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(target, ignore_errors=True)
            build(target)
            done.touch()
    return target


def fresh_copy(tmp_path_factory: pytest.TempPathFactory, src: Path, name: str) -> Path:
    """A private copy of a shared build (``mktemp(name)/<src's name>``)."""
    dst = tmp_path_factory.mktemp(name) / src.name
    shutil.copytree(src, dst)
    return dst


def demo_quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace ``yibao demo --quick`` builds (year 2021, two counties), built once per run.

    The tests of the ``demo`` command itself (tests/e2e/test_cli.py) still run the command;
    the others only need its output."""

    def build(out: Path) -> None:
        from rich.console import Console

        from yibao.demo import run_demo

        code = run_demo(out / "ws", quick=True, console=Console(quiet=True))
        assert code == 0, "演示工作区生成失败"

    return built_once(tmp_path_factory, "demo-quick", build) / "ws"
