"""Fixtures of the workbench tests: control planes on SQLite and PostgreSQL, a demo workspace.

All web tests share one xdist group, so that the demo workspace and the PostgreSQL cluster are
built once per test run (``make test`` runs ``--dist loadgroup``).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared_build import demo_quick
from web.pg import cluster
from yibao.control.db import ControlPlane, forget

PASSWORD = "pass-word-1"
ROLES = ("admin", "evaluator", "reviewer", "inspector", "viewer")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with cluster() as url:
        yield url


def fresh_pg_database(server_url: str) -> str:
    name = f"cp_{secrets.token_hex(4)}"
    eng = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as con:
        con.execute(text(f"CREATE DATABASE {name}"))
    eng.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def control_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A control-plane URL of an empty database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'control.sqlite'}"
    else:
        url = fresh_pg_database(request.getfixturevalue("pg_server"))
    yield url
    forget(url)


@pytest.fixture
def cp(control_url: str) -> ControlPlane:
    return ControlPlane(control_url)


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``yibao demo --quick`` once per run (year 2021, two counties), shared with tests/e2e."""
    return demo_quick(tmp_path_factory)


@pytest.fixture(scope="module")
def demo_copy(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the demo workspace for one module (its own control plane)."""
    d = tmp_path_factory.mktemp("webws") / "ws"
    shutil.copytree(demo_built, d)
    for f in d.glob("control.sqlite*"):
        f.unlink()
    return d
