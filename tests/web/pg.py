"""A throwaway PostgreSQL cluster for the control-plane tests (Debian's postgresql package).

``initdb`` in a temporary directory, started on a free loopback port as the ``postgres`` user
(PostgreSQL refuses to run as root; CI runs as root), stopped and deleted afterwards.  Nothing
is skipped: without the server the tests fail and say how to install it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "未找到 PostgreSQL 服务器:请 apt-get install postgresql(make sysdeps 会安装)"
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    assert runuser, "需要 runuser 以 postgres 用户启动 PostgreSQL"
    return [runuser, "-u", "postgres", "--", *cmd]


@contextmanager
def cluster() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database on a private cluster."""
    bindir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="yibao-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    run = lambda cmd: subprocess.run(  # noqa: E731
        _as_postgres(cmd), check=True, capture_output=True, text=True, env=env, timeout=120
    )
    try:
        run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "yibao",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-t",
                "60",
                "-l",
                str(root / "log"),
                "-o",
                f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        run(
            [
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "yibao",
                "yibao_test",
            ]
        )
        yield f"postgresql+psycopg://yibao@127.0.0.1:{port}/yibao_test"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            env=env,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
