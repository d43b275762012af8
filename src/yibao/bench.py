"""Benchmarks for ``make bench`` (never run by ``make test``)."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import ibis

from yibao.engine.sql import sql_literal
from yibao.identity.engine import check_char_expr


def _rows_with_certno(body: str, rows: int) -> str:
    """SQL of ``range(rows)`` as (i, certno): valid GB 11643 IDs from a 17-digit body
    expression, the check character from the one engine-side implementation."""
    t = ibis.table({"i": "int64", "body": "string"}, name="_bodies")
    ids = ibis.to_sql(t.select(t.i, certno=t.body + check_char_expr(t.body)), dialect="duckdb")
    return f"(WITH _bodies AS (SELECT i, {body} AS body FROM range({rows}) r(i)) {ids})"


def write_claims_csv(path: Path, rows: int, encoding: str = "utf-8") -> None:
    """N synthetic claims with Chinese headers, generated set-based in DuckDB."""
    body = (
        "'430921' || strftime(DATE '1950-01-01' + CAST(i % 20000 AS INTEGER), '%Y%m%d') || "
        "lpad(CAST(i % 997 + 1 AS VARCHAR), 3, '0')"
    )
    sql = f"""
    SELECT
      'S' || lpad(CAST(i AS VARCHAR), 12, '0') AS "结算ID",
      'P' || lpad(CAST(i % 400000 AS VARCHAR), 9, '0') AS "人员编号",
      certno AS "证件号码",
      '390' AS "险种类型",
      CASE WHEN i % 10 < 6 THEN '11' WHEN i % 10 < 8 THEN '14' ELSE '21' END AS "医疗类别",
      'H' || lpad(CAST(i % 300 AS VARCHAR), 11, '0') AS "定点医药机构编号",
      CAST(i % 3 + 1 AS VARCHAR) AS "医保结算等级",
      CASE WHEN i % 50 = 0 THEN '1' ELSE '0' END AS "异地就医标志",
      CASE WHEN i % 40 = 0 THEN '低保对象' ELSE '普通人员' END AS "人员身份类别",
      strftime(TIMESTAMP '2021-01-01 08:00:00' + INTERVAL (i % 31000000) SECOND,
               '%Y-%m-%d %H:%M:%S') AS "结算时间",
      CAST(CAST((i % 99991) * 7 + 100 AS DECIMAL(18,2)) / 100 * 37 AS DECIMAL(18,2))
        AS "医疗费总额",
      CAST(CAST((i % 99991) * 7 + 100 AS DECIMAL(18,2)) / 100 * 30 AS DECIMAL(18,2))
        AS "符合政策范围金额"
    FROM {_rows_with_certno(body, rows)} t ORDER BY i"""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    utf8 = path if encoding == "utf-8" else path.with_suffix(".utf8.csv")
    con.execute(f"COPY ({sql}) TO {sql_literal(str(utf8))} (HEADER, DELIMITER ',')")
    con.close()
    if utf8 != path:
        with utf8.open("r", encoding="utf-8") as src, path.open("w", encoding=encoding) as dst:
            while chunk := src.read(8 * 1024 * 1024):
                dst.write(chunk)
        utf8.unlink()


def bench_ingest(rows: int, encoding: str = "utf-8", workdir: Path | None = None) -> dict:
    """Ingest N claims through the CLI in a child process; report rows/s and its peak RSS."""
    base = Path(workdir or tempfile.mkdtemp(prefix="yibao-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    csv_path = base / f"claims_{rows}_{encoding}.csv"
    t0 = time.perf_counter()
    if not csv_path.exists():
        write_claims_csv(csv_path, rows, encoding)
    gen_s = time.perf_counter() - t0
    ws = base / f"ws_{rows}_{encoding}_{os.getpid()}"
    init = subprocess.run(
        [sys.executable, "-m", "yibao", "init", str(ws)], capture_output=True, text=True
    )
    if init.returncode != 0:
        raise RuntimeError(f"init failed ({init.returncode}): {init.stdout} {init.stderr}")
    t1 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "yibao",
            "ingest",
            str(ws),
            str(csv_path),
            "--table",
            "claims",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    secs = time.perf_counter() - t1
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(f"ingest failed ({proc.returncode}): {proc.stdout} {proc.stderr}")
    # DuckDB reads UTF-8 only (ingest transcodes GBK first), so the floor is for UTF-8 files.
    scan_s = bare_scan_seconds(csv_path) if encoding.startswith("utf-8") else None
    return {
        "benchmark": "ingest",
        "rows": rows,
        "encoding": encoding,
        "file_mb": round(csv_path.stat().st_size / 1e6, 1),
        "generate_seconds": round(gen_s, 2),
        "seconds": round(secs, 2),
        "rows_per_s": round(rows / secs),
        "peak_rss_mb": round(peak_kb / 1024),
        "scan_seconds": round(scan_s, 2) if scan_s else None,
        "scan_ratio": round(secs / scan_s, 1) if scan_s else None,
    }


def bare_scan_seconds(path: Path) -> float:
    """The floor ingest is measured against: DuckDB materialising ``read_csv(all_varchar)``
    of the same file (every column read, not ``count(*)``), in a child process like ingest."""
    code = (
        "import duckdb, sys, time\n"
        "con = duckdb.connect()\n"
        "con.execute('SET enable_progress_bar = false')\n"
        "t = time.perf_counter()\n"
        "con.execute('CREATE TEMP TABLE s AS SELECT * FROM read_csv(?, all_varchar = true)', "
        "[sys.argv[1]])\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return seconds_printed(out.stdout)


def seconds_printed(stdout: str) -> float:
    """The seconds a child printed last: DuckDB may have drawn its progress bar before them
    (a scan longer than two seconds does, even into a pipe)."""
    return float(stdout.strip().splitlines()[-1])


def _claims_sql(n: int) -> str:
    """N claims for about N/5 people over two years, set-based (no Python loop)."""
    people = max(1, n // 5)
    return f"""
    SELECT
      'S' || lpad(CAST(i AS VARCHAR), 12, '0') AS setl_id,
      'P' || lpad(CAST(hash(i) % {people} AS VARCHAR), 9, '0') AS psn_no,
      CASE WHEN i % 97 = 0 THEN '340' ELSE '390' END AS insutype,
      CASE WHEN i % 20 < 12 THEN '11' WHEN i % 20 < 15 THEN '14' ELSE '21' END AS med_type,
      CAST(i % 3 + 1 AS VARCHAR) AS hi_setl_lv,
      CASE WHEN i % 23 = 0 THEN '1' ELSE '0' END AS offsite_flag,
      CASE hash(i) % {people} % 20 WHEN 0 THEN '特困人员' WHEN 1 THEN '低保对象'
           WHEN 2 THEN '返贫致贫人口' ELSE '普通人员' END AS psn_idet_type,
      TIMESTAMP '2021-01-01 08:00:00' + INTERVAL (hash(i * 7) % 63000000) SECOND AS setl_time,
      CAST((hash(i * 13) % 5000000) / 100.0 + 10 AS DECIMAL(18,2)) AS medfee_sumamt,
      CAST(((hash(i * 13) % 5000000) / 100.0 + 10) * 0.85 AS DECIMAL(18,2)) AS inscp_scp_amt
    FROM range({n}) t(i)"""


def bench_settle(
    claims: int, policy: str = "demo-county", memory_limit: str = "3GB", repeat: int = 3
) -> dict:
    """Full chain vs a bare scan vs one window pass, same process, same data (issue 3); then
    the workspace mode, trace stored, on the same claims (issue 17)."""
    import ibis

    from yibao.policy import load_policy
    from yibao.settle.chain import settle_chain
    from yibao.settle.params import build_periods, chain_periods

    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-settle-"))
    con = duckdb.connect(str(tmp / "bench.duckdb"))
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE claims AS {_claims_sql(claims)}")
    gen_s = time.perf_counter() - t0

    def timed(sql: str) -> float:
        """Median of ``repeat`` runs: the machine is shared and noisy."""
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            con.execute(sql)
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    scan_s = timed("CREATE OR REPLACE TEMP TABLE _scan AS SELECT sum(inscp_scp_amt) FROM claims")
    window_s = timed(
        "CREATE OR REPLACE TEMP TABLE _window AS SELECT setl_id, sum(inscp_scp_amt) OVER ("
        "PARTITION BY psn_no, year(setl_time) ORDER BY setl_time, setl_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum FROM claims"
    )
    pol = load_policy(policy)
    spec, periods = build_periods(pol)
    backend = ibis.duckdb.from_connection(con)
    starts = periods.column("p_start").to_pylist()
    t = time.perf_counter()
    sql = ibis.to_sql(
        settle_chain(backend.table("claims"), chain_periods(periods), starts, spec, trace=False),
        dialect="duckdb",
    )
    compile_s = time.perf_counter() - t
    chain_s = timed(f"CREATE OR REPLACE TEMP TABLE _settled AS {sql}") + compile_s
    traced_sql = ibis.to_sql(
        settle_chain(backend.table("claims"), chain_periods(periods), starts, spec),
        dialect="duckdb",
    )
    traced_s = timed(f"CREATE OR REPLACE TEMP TABLE _traced AS {traced_sql}")
    check = con.execute(
        "SELECT count(*), sum(hifp_pay + hifmi_pay + maf_pay + psn_part_amt) = "
        "(SELECT sum(medfee_sumamt) FROM claims) FROM _settled"
    ).fetchone()
    con.close()
    (tmp / "bench.duckdb").unlink()
    ws_s = _settle_workspace_seconds(tmp / "ws", claims, memory_limit, repeat)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "benchmark": "settle",
        "claims": claims,
        "generate_seconds": round(gen_s, 2),
        "seconds": round(chain_s, 2),
        "compile_seconds": round(compile_s, 2),
        "claims_per_s": round(claims / chain_s),
        "scan_seconds": round(scan_s, 3),
        "ratio_to_scan": round(chain_s / scan_s, 1),
        "window_seconds": round(window_s, 2),
        "seconds_with_trace": round(traced_s, 2),
        "ratio_to_window": round(chain_s / window_s, 2),
        "workspace_seconds": round(ws_s, 2),
        "ratio_trace_to_chain": round(ws_s / chain_s, 2),
        "settled": check[0],
        "parts_add_up": bool(check[1]),
        "peak_rss_mb": round(peak_kb / 1024),
        "memory_limit": memory_limit,
        "repeat": repeat,
    }


def _settle_workspace_seconds(path: Path, claims: int, memory_limit: str, repeat: int) -> float:
    """`yibao settle WS --year Y` for every year of the same claims (trace stored), in this
    process: median over ``repeat`` of the sum over the years.  The claims are written straight
    into the workspace's table (ingest is not what is measured)."""
    from yibao.engine import Workspace
    from yibao.settle.run import settle_workspace

    ws = Workspace.create(path)
    try:
        ws.con.execute(f"SET memory_limit = '{memory_limit}'")
        ws.con.execute(
            "INSERT INTO claims BY NAME SELECT *, 0 AS _load_id, "
            f"CAST(substr(setl_id, 2) AS BIGINT) + 1 AS _row FROM ({_claims_sql(claims)})"
        )
        years = [r[0] for r in ws.con.execute(
            "SELECT DISTINCT year(setl_time) FROM claims ORDER BY 1").fetchall()]  # fmt: skip
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            for y in years:
                outcome = settle_workspace(ws, y)
                if not outcome.ok:
                    raise RuntimeError(f"settle {y}: {outcome.errors[:3]}")
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)
    finally:
        ws.close()


def build_bench_workspace(
    workspace: Path, preset: str, scale: float, seed: int = 1
) -> tuple[int, dict[str, float]]:
    """synth → init → ingest every table → settle, through the CLI; (year, seconds per stage)."""
    import json

    workspace = Path(workspace)
    syn = workspace.parent / f"{workspace.name}-synth"
    steps: dict[str, float] = {}

    def cli(step: str, *args: str, ok: tuple[int, ...] = (0,)) -> None:
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "yibao", *args], capture_output=True, text=True
        )
        steps[step] = round(steps.get(step, 0.0) + time.perf_counter() - t, 2)
        if proc.returncode not in ok:
            raise RuntimeError(f"{step} failed ({proc.returncode}): {proc.stdout} {proc.stderr}")

    if not (syn / "manifest.json").exists():
        cli("synth", "synth", "--preset", preset, "--scale", str(scale), "--seed", str(seed),
            "--format", "parquet", "--out", str(syn))  # fmt: skip
    year = int(json.loads((syn / "manifest.json").read_text(encoding="utf-8"))["year"])
    cli("init", "init", str(workspace), "--policy", str(syn / "policy.yaml"))
    for table in ("regions", "persons", "enrolments", "institutions", "claims"):
        (src,) = sorted(syn.glob(f"{table}.*"))
        cli("ingest", "ingest", str(workspace), str(src), "--table", table, ok=(0, 1))
    cli("settle", "settle", str(workspace), "--year", str(year))
    return year, steps


def bench_supervise(
    workspace: Path,
    year: int | None = None,
    engine: str = "duckdb",
    preset: str | None = None,
    scale: float = 1.0,
) -> dict:
    """The whole rule catalogue over a workspace (issue 6: yiyang-2019 at scale 1).

    With ``preset`` and no workspace yet, it is generated, ingested and settled first (timed
    apart).  The rules run in this process, so the peak RSS includes DuckDB's own memory
    (bounded by the workspace's memory_limit).  Per-rule seconds come from the run itself.
    """
    from yibao.engine import Workspace
    from yibao.supervise.report import write_worklist
    from yibao.supervise.run import run_supervision

    build: dict[str, float] = {}
    if preset and not (Path(workspace) / "yibao.yaml").exists():
        year, build = build_bench_workspace(Path(workspace), preset, scale)
    if year is None:
        raise ValueError("请给出 --year(或用 --preset 生成工作区)")
    with Workspace.open(workspace) as ws:
        claims = ws.count("claims")
        t0 = time.perf_counter()
        outcome = run_supervision(ws, year, engine=engine)
        rules_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        write_worklist(ws, outcome)
        xlsx_s = time.perf_counter() - t1
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "benchmark": "supervise",
        "engine": engine,
        "claims": claims,
        "seconds": round(rules_s + xlsx_s, 2),
        "rules_seconds": round(rules_s, 2),
        "xlsx_seconds": round(xlsx_s, 2),
        "findings": sum(r.findings for r in outcome.runs),
        "per_rule": {
            r.rule.code: (round(r.seconds, 2), r.findings) for r in outcome.runs if not r.skipped
        },
        "skipped": [r.rule.code for r in outcome.runs if r.skipped],
        "peak_rss_mb": round(peak_kb / 1024),
        "build_seconds": build,
    }


def bench_synth(preset: str = "yiyang-2019", scale: float = 1.0, fmt: str = "csv") -> dict:
    """Generation speed and peak memory of `yibao synth` (issue 4), output deleted afterwards."""
    from yibao.synth.run import synthesize

    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-synth-"))
    try:
        r = synthesize(preset, tmp / "out", scale=scale, seed=1, fmt=fmt)
        size = sum(p.stat().st_size for p in (tmp / "out").rglob("*") if p.is_file())
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    files = r.manifest["files"]
    rows = sum(f["rows"] for f in files.values())
    return {
        "benchmark": "synth",
        "preset": preset,
        "scale": scale,
        "format": fmt,
        "seconds": round(r.seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / r.seconds),
        "persons": files["persons"]["rows"],
        "claims": files["claims"]["rows"],
        "claims_per_s": round(files["claims"]["rows"] / r.seconds),
        "output_mb": round(size / 2**20),
        "peak_rss_mb": r.peak_rss_mb,
    }
