"""Where the control plane lives and how it is opened (migrated to the newest schema first).

SQLite is the default: ``control.sqlite`` in the workspace, private like the DuckDB file.  A
bureau moves it to PostgreSQL with ``control_url: postgresql+psycopg://…`` in ``yibao.yaml`` or
the environment variable ``YIBAO_CONTROL_URL`` (which wins, so a password need not sit in a file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from yibao.privacy import private_files

URL_ENV = "YIBAO_CONTROL_URL"
SQLITE_FILE = "control.sqlite"
_MIGRATIONS = Path(__file__).with_name("migrations")


def control_url(ws_path: Path) -> str:
    """The control-plane URL of a workspace: environment, then yibao.yaml, then SQLite."""
    env = os.environ.get(URL_ENV)
    if env:
        return env
    cfg = ws_path / "yibao.yaml"
    if cfg.exists():
        doc = yaml.safe_load(cfg.read_text(encoding="utf-8")) or {}
        if isinstance(doc, dict) and doc.get("control_url"):
            return str(doc["control_url"])
    return f"sqlite:///{ws_path / SQLITE_FILE}"


def _sqlite_pragmas(dbapi_con, _record) -> None:  # noqa: ANN001
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")


class ControlPlane:
    """One engine and session factory per process; ``session()`` is a unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        upgrade(self.engine)
        if url.startswith("sqlite:///"):
            f = Path(url.removeprefix("sqlite:///"))
            private_files(f.parent, [f])
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


_OPEN: dict[str, ControlPlane] = {}


def open_control(ws_path: Path | str, url: str | None = None) -> ControlPlane:
    """The workspace's control plane (one per URL per process)."""
    url = url or control_url(Path(ws_path))
    cp = _OPEN.get(url)
    if cp is None:
        cp = _OPEN[url] = ControlPlane(url)
    return cp


def forget(url: str) -> None:
    """Drop a cached control plane (tests that drop and recreate databases)."""
    cp = _OPEN.pop(url, None)
    if cp is not None:
        cp.dispose()
