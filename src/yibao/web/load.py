"""Bounded load test of the workbench on 127.0.0.1 (``make bench-web``; never part of make test).

Starts ``yibao serve`` on a workspace in a subprocess (its own process, like production), signs
in N users and has each request the overview and the findings page in turn for a fixed time.
Prints one JSON line: requests, errors, p50/p95/max latency in ms, requests per second.
Traffic goes to the loopback address only, and the loop stops by itself.

    python -m yibao.web.load WORKSPACE [--users 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

PAGES = ("/", "/findings?year={year}")
USER, PASSWORD = "load-viewer", "load-test-password"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def _user(base: str, year: int, until: float, lat: list[float], errs: list[str]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) as c:
        r = await c.post("/login", data={"user_name": USER, "password": PASSWORD})
        if r.status_code != 303:
            errs.append(f"login {r.status_code}")
            return
        i = 0
        while time.monotonic() < until:
            path = PAGES[i % len(PAGES)].format(year=year)
            i += 1
            t0 = time.perf_counter()
            try:
                r = await c.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError as exc:
                ok, r = False, exc
            lat.append((time.perf_counter() - t0) * 1000)
            if not ok:
                errs.append(f"{path}: {getattr(r, 'status_code', r)}")


async def _drive(base: str, users: int, seconds: float, year: int) -> dict:
    lat: list[float] = []
    errs: list[str] = []
    until = time.monotonic() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(_user(base, year, until, lat, errs) for _ in range(users)))
    wall = time.perf_counter() - t0
    return {
        "users": users,
        "seconds": round(wall, 1),
        "requests": len(lat),
        "errors": len(errs),
        "error_samples": errs[:5],
        "p50_ms": round(_percentile(lat, 0.50), 1),
        "p95_ms": round(_percentile(lat, 0.95), 1),
        "max_ms": round(max(lat, default=0.0), 1),
        "rps": round(len(lat) / wall, 1) if wall else 0.0,
    }


def run(workspace: Path, users: int = 20, seconds: float = 60, year: int | None = None) -> dict:
    import duckdb

    from yibao.control.users import add_user
    from yibao.web.data import years

    con = duckdb.connect(str(workspace / "workspace.duckdb"), read_only=True)
    year = year or (years(con) or [2021])[-1]
    con.close()
    add_user(workspace, USER, "viewer", PASSWORD, by="load-test")
    port = _port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "yibao", "serve", str(workspace), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError(f"工作台未能启动: {proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.2)
        res = asyncio.run(_drive(f"http://127.0.0.1:{port}", users, seconds, year))
        res["year"], res["pages"] = year, [p.format(year=year) for p in PAGES]
        return res
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description="工作台负载测试(仅 127.0.0.1)")
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    if not 1 <= a.users <= 200 or not 1 <= a.seconds <= 600:
        ap.error("--users 1–200, --seconds 1–600")
    res = run(a.workspace, a.users, a.seconds)
    print(json.dumps(res, ensure_ascii=False))
    sys.exit(0 if res["errors"] == 0 else 1)


if __name__ == "__main__":
    main()
