"""``yibao bench city``: a generated city timed step by step through ``yibao run`` (issue 17).

The region is generated once per (preset, scale, seed) into a cache directory; every run then
builds a fresh workspace from it, because a second import of the same files is (correctly) a
no-op.  Each step runs in its own child process, so wall time, CPU time and peak RSS are that
step's alone (``os.wait4`` gives the child's own resource use).  The floor for ingest is a bare
DuckDB ``read_csv(all_varchar=true)`` that materialises every column of the same files, in the
same run, with the workspace's memory limit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_CACHE = Path("out") / "bench-cache"
#: Report kind by the framework's seed (report/build.py: seed 000 is a third-party evaluation).
KIND_BY_SEED = {"000": "evaluation"}
STEP_NAMES = ("settle", "finance", "supervise", "evaluate")
#: The stages ``ingest_file`` announces (loader.py), by the start of their Chinese label.
STAGES = {"读取文件": "read", "解析": "prepare", "逐项校验": "check", "写入工作区": "write"}


def cache_key(preset: str, scale: float, seed: int) -> str:
    return f"{preset}-scale{scale:g}-seed{seed}"


def report_plan(preset: str) -> tuple[str, str]:
    """(framework, report kind) for a preset: its own framework when one ships, else self-2020."""
    from yibao.evaluate.frameworks import framework_names, load_framework
    from yibao.evaluate.step import DEFAULT_FRAMEWORK

    name = preset if preset in framework_names() else DEFAULT_FRAMEWORK
    return name, KIND_BY_SEED.get(load_framework(name).seed, "self")


def ensure_region(cache: Path, preset: str, scale: float, seed: int) -> tuple[Path, float | None]:
    """The generated exports (CSV, UTF-8) in the cache; seconds spent generating, None if cached."""
    data = cache / cache_key(preset, scale, seed) / "data"
    if (data / "manifest.json").exists():
        return data, None
    from yibao.synth.run import synthesize

    shutil.rmtree(data, ignore_errors=True)
    t0 = time.perf_counter()
    synthesize(preset, data, scale=scale, seed=seed)
    return data, time.perf_counter() - t0


# ---------------------------------------------------------------- child side (one task each)


def _work(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task in this process and say what it did (rows, stages)."""
    kind = task["kind"]
    if kind == "scan":
        return _scan(task)
    from yibao.engine.workspace import Workspace

    t0 = time.perf_counter()
    with Workspace.open(task["ws"]) as ws:
        opened = {"open_seconds": round(time.perf_counter() - t0, 3)}  # `yibao run` opens once
        return {**opened, **_in_workspace(ws, task)}


def _in_workspace(ws: Any, task: dict[str, Any]) -> dict[str, Any]:
    kind = task["kind"]
    if kind == "ingest":
        return _ingest(ws, task)
    if kind == "report":
        from yibao.report.build import write_report

        write_report(
            ws,
            task["year"],
            Path(task["out"]),
            kind=task["report_kind"],
            pdf=task["pdf"],
            framework=task["framework"],
        )
        return {"rows": ws.count(f"claims WHERE year(setl_time) = {int(task['year'])}")}
    return _step(ws, task)


def _ingest(ws: Any, task: dict[str, Any]) -> dict[str, Any]:
    """One file through ``ingest_file``, with the time of each stage it announces."""
    from yibao.ingest.loader import ingest_file

    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    res = ingest_file(ws, task["file"], task["table"], step=lambda s: marks.append((s, _now())))
    end = _now()
    stages: dict[str, float] = {"hash": round((marks[0][1] if marks else end) - t0, 3)}
    for (label, t), nxt in zip(marks, [m[1] for m in marks[1:]] + [end], strict=True):
        name = next((v for k, v in STAGES.items() if label.startswith(k)), label)
        stages[name] = round(stages.get(name, 0.0) + nxt - t, 3)
    if res.exit_status == 2:
        raise RuntimeError(f"导入 {task['file']} 被拒绝: {res.message}")
    return {
        "rows": res.rows_total,
        "rows_accepted": res.rows_accepted,
        "rows_quarantined": res.rows_quarantined,
        "stages": stages,
    }


def _now() -> float:
    return time.perf_counter()


def _step(ws: Any, task: dict[str, Any]) -> dict[str, Any]:
    """One step of ``yibao run`` through the contract (``run_step``), as the runner calls it."""
    from yibao.evaluate.step import EvaluateStep
    from yibao.pipeline.context import build_context
    from yibao.pipeline.runs import run_step
    from yibao.pipeline.steps import STEPS

    ctx = build_context(ws, task["year"], engine=task["engine"])
    name = task["kind"]
    if name == "evaluate":
        step = EvaluateStep(framework=task["framework"])
    else:
        (cls,) = [c for c in STEPS if c.name == name]
        step = cls()
    result = run_step(ctx, step)
    rows = sum(ws.count(t) for t in step.reads if _exists(ws, t))
    return {"rows": rows, "tables": result.tables, "findings": result.findings}


def _exists(ws: Any, table: str) -> bool:
    q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(ws.con.execute(q, [table]).fetchone()[0])


def _scan(task: dict[str, Any]) -> dict[str, Any]:
    """The floor: DuckDB materialises every column of the files as text, nothing else."""
    import duckdb

    from yibao.engine.sql import sql_literal

    tmp = Path(task["tmp"])
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(tmp / "scan.duckdb"),
        config={"memory_limit": task["memory_limit"], "temp_directory": str(tmp)},
    )
    rows, per_file = 0, {}
    for f in task["files"]:
        t = time.perf_counter()
        con.execute(
            f"CREATE OR REPLACE TABLE s AS SELECT * FROM read_csv({sql_literal(f)}, "
            "header = true, all_varchar = true)"
        )
        n = con.execute("SELECT count(*) FROM s").fetchone()[0]
        per_file[Path(f).stem] = round(time.perf_counter() - t, 3)
        rows += n
    con.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": rows, "per_table": per_file}


def _tree_hwm_mb(pid: int) -> int:
    """Peak RSS (VmHWM) of this process plus its live children (Spark's JVM), in MB.

    ``wait4``'s ``ru_maxrss`` would not do: Linux carries the parent's RSS over the exec into
    the child's maximum, so every step would show at least the bench process's own size."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        kb = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("VmHWM:")), 0)
        total += int(kb)
    return round(total / 1024)


def worker_main(spec: str) -> None:
    """Entry of the child: one JSON task in, one JSON line out (work time and CPU measured here)."""
    import resource

    task = json.loads(spec)
    # Imports are paid once by `yibao run`, so they are not part of a step's measured work.
    import yibao.engine.workspace
    import yibao.ingest.loader
    import yibao.pipeline.steps
    import yibao.report.build  # noqa: F401

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    out = _work(task)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    out["work_seconds"] = time.perf_counter() - t0
    out["work_cpu_seconds"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    out["peak_rss_mb"] = _tree_hwm_mb(os.getpid())
    print("BENCH-RESULT " + json.dumps(out, ensure_ascii=False, default=str), flush=True)


# ---------------------------------------------------------------- parent side


def _child(name: str, task: dict[str, Any]) -> dict[str, Any]:
    """Run a task in a fresh interpreter: its work time, CPU and peak RSS as it measured them,
    and the whole process's wall and CPU time (``wait4``) beside them."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "yibao.benchcity", json.dumps(task, ensure_ascii=False)],
            stdout=subprocess.PIPE,
            stderr=errf,
            text=True,
        )
        stdout = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        errf.seek(0)
        stderr = errf.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    lines = [ln for ln in stdout.splitlines() if ln.startswith("BENCH-RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{name} 失败(退出码 {proc.returncode}): {stderr.strip()[-2000:]}")
    got = json.loads(lines[-1].removeprefix("BENCH-RESULT "))
    secs = got.pop("work_seconds")
    rows = int(got.pop("rows"))
    return {
        "name": name,
        "seconds": round(secs, 2),
        "cpu_seconds": round(got.pop("work_cpu_seconds"), 2),
        "rows": rows,
        "rows_per_s": round(rows / secs) if secs > 0 else None,
        "peak_rss_mb": got.pop("peak_rss_mb"),
        "process_seconds": round(wall, 2),
        "process_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        **got,
    }


def bench_city(
    preset: str = "yiyang-2019",
    scale: float = 1.0,
    seed: int = 1,
    *,
    cache: Path | None = None,
    engine: str = "duckdb",
    pdf: bool = False,
    memory_limit: str = "4GB",
    keep: bool = False,
    progress: Any = None,
) -> dict[str, Any]:
    """Generate (or reuse) the region, then time each step of ``yibao run`` on a fresh workspace."""
    from yibao.pipeline.folder import LOAD_ORDER, recognise

    say = progress or (lambda _m: None)
    cache = Path(cache or DEFAULT_CACHE).resolve()
    say(f"区域数据 {cache_key(preset, scale, seed)} …")
    data, gen_s = ensure_region(cache, preset, scale, seed)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    year = int(manifest["year"])
    framework, kind = report_plan(preset)
    root = cache / cache_key(preset, scale, seed)
    ws_path, out = root / "ws", root / "report"
    shutil.rmtree(out, ignore_errors=True)
    _fresh_workspace(ws_path, data, preset, memory_limit)
    matches, _ = recognise(data)
    files = sorted(
        (m for m in matches if m.recognised), key=lambda m: LOAD_ORDER.index(m.table or "")
    )
    load_before = os.getloadavg()
    base = {"ws": str(ws_path), "year": year, "engine": engine, "framework": framework}
    steps: list[dict[str, Any]] = []
    log = root / "steps.jsonl"  # each step as it ends: a long run that is stopped still tells
    log.write_text("", encoding="utf-8")

    def timed(name: str, task: dict[str, Any]) -> None:
        say(name)
        steps.append(_child(name, task))
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(steps[-1], ensure_ascii=False) + "\n")

    for m in files:
        timed(f"ingest:{m.table}", {**base, "kind": "ingest", "file": str(m.path),
                                    "table": m.table})  # fmt: skip
    for name in STEP_NAMES:
        timed(name, {**base, "kind": name})
    timed("report", {**base, "kind": "report", "out": str(out), "report_kind": kind, "pdf": pdf})
    say("bare scan")
    csvs = [str(m.path) for m in files if m.path.suffix == ".csv"]
    scan = _child("scan", {"kind": "scan", "files": csvs, "tmp": str(root / "scan-tmp"),
                           "memory_limit": memory_limit})  # fmt: skip
    load_after = os.getloadavg()
    if not keep:
        shutil.rmtree(ws_path, ignore_errors=True)
    return _summary(
        steps, scan, manifest, preset=preset, scale=scale, seed=seed, engine=engine,
        framework=framework, kind=kind, gen_s=gen_s, memory_limit=memory_limit,
        load=(load_before, load_after),
    )  # fmt: skip


def _fresh_workspace(ws_path: Path, data: Path, preset: str, memory_limit: str) -> None:
    """An empty workspace with the region's policy, its prefecture (the Parquet ``region=`` of
    ``--engine pyspark``) and ``memory_limit`` in yibao.yaml (validated when it opens)."""
    import yaml

    from yibao.engine.workspace import CONFIG, Workspace
    from yibao.synth.preset import load_preset

    shutil.rmtree(ws_path, ignore_errors=True)
    region = load_preset(preset).prefecture
    Workspace.create(ws_path, name=f"bench {preset}", policy=str(data / "policy.yaml"),
                     region=region).close()  # fmt: skip
    cfg_path = ws_path / CONFIG
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["memory_limit"] = memory_limit
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), "utf-8")


def _summary(
    steps: list[dict[str, Any]], scan: dict[str, Any], manifest: dict, **kw: Any
) -> dict[str, Any]:
    ingest = [s for s in steps if s["name"].startswith("ingest:")]
    ingest_s = sum(s["seconds"] for s in ingest)
    csv_ingest_s = sum(s["seconds"] for s in ingest if s["name"][7:] in scan["per_table"])
    total = sum(s["seconds"] for s in steps)
    claims = int(manifest["files"]["claims"]["rows"])
    lo, hi = kw.pop("load")
    gen_s = kw.pop("gen_s")
    return {
        "benchmark": "city",
        **kw,
        "year": int(manifest["year"]),
        "claims": claims,
        "persons": int(manifest["files"]["persons"]["rows"]),
        "rows_ingested": sum(s["rows"] for s in ingest),
        "steps": steps,
        "ingest_seconds": round(ingest_s, 2),
        "scan_seconds": scan["seconds"],
        "scan_per_table": scan["per_table"],
        "scan_ratio": round(csv_ingest_s / scan["seconds"], 1) if scan["seconds"] else None,
        "total_seconds": round(total, 2),
        "process_seconds": round(sum(s["process_seconds"] for s in steps), 2),
        "us_per_claim": round(total / claims * 1e6, 2) if claims else None,
        "peak_rss_mb": max(s["peak_rss_mb"] for s in steps),
        "generated": gen_s is not None,
        "generate_seconds": round(gen_s, 2) if gen_s is not None else None,
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in lo],
        "loadavg_after": [round(x, 2) for x in hi],
    }


def city_cli(
    preset: str,
    scale: float,
    seed: int,
    engine: str,
    cache: Path | None,
    memory_limit: str,
    pdf: bool,
    keep: bool,
    as_json: bool,
    out: Any,
) -> int:
    """Console side: JSON on stdout, or one line per step."""
    try:
        if as_json:
            res = bench_city(preset, scale, seed, cache=cache, engine=engine, pdf=pdf,
                             memory_limit=memory_limit, keep=keep)  # fmt: skip
        else:
            with out.status("测量中 …") as status:
                res = bench_city(preset, scale, seed, cache=cache, engine=engine, pdf=pdf,
                                 memory_limit=memory_limit, keep=keep,
                                 progress=status.update)  # fmt: skip
    except (RuntimeError, ValueError) as exc:
        out.print(f"[red]错误[/red]: {exc}", highlight=False, markup=False)
        return 2
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
        return 0
    for s in res["steps"]:
        out.print(
            f"{s['name']:<28} {s['seconds']:>9.2f} s  CPU {s['cpu_seconds']:>9.2f} s  "
            f"{s['rows']:>12,} 行  {s['rows_per_s'] or 0:>10,} 行/秒  {s['peak_rss_mb']:>6,} MB",
            highlight=False,
        )
    out.print(
        f"合计 {res['total_seconds']} s;导入 {res['ingest_seconds']} s,"
        f"裸扫描 {res['scan_seconds']} s,导入/裸扫描 = {res['scan_ratio']};"
        f"每张结算单 {res['us_per_claim']} µs;峰值内存 {res['peak_rss_mb']} MB",
        highlight=False,
    )
    return 0


if __name__ == "__main__":
    worker_main(sys.argv[1])
