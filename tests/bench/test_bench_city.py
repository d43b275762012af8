"""`yibao bench city --json` keeps its contract (issue 17) on a tiny generated city."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from yibao.benchcity import cache_key, ensure_region, report_plan
from yibao.pipeline.folder import LOAD_ORDER

pytestmark = pytest.mark.xdist_group("bench-city")

#: The smallest scale whose counts the contract checks (claims > 1000: 0.0005 gives ~10,000).
#: Scale hardly matters here (0.002: 68 s, 0.0002: 64 s at load 3): the sixteen child
#: processes of the bench cost most of it.
SCALE = 0.0005
STEP_KEYS = {"name", "seconds", "cpu_seconds", "rows", "rows_per_s", "peak_rss_mb"}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    cache = tmp_path_factory.mktemp("bench-cache")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "yibao", "bench", "city", "--preset", "yiyang-2019",
         "--scale", str(SCALE), "--seed", "3", "--cache", str(cache), "--json"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), cache


def test_every_step_of_yibao_run_is_timed_in_order(city: tuple[dict, Path]):
    res, _ = city
    names = [s["name"] for s in res["steps"]]
    assert names == [f"ingest:{t}" for t in LOAD_ORDER] + [
        "settle", "finance", "supervise", "evaluate", "report"
    ]  # fmt: skip
    for s in res["steps"]:
        assert s.keys() >= STEP_KEYS, s
        assert s["seconds"] > 0 and s["cpu_seconds"] > 0, s
        assert s["rows"] > 0, s
        assert s["rows_per_s"] == pytest.approx(s["rows"] / s["seconds"], rel=0.01, abs=1), s
        # Its own process: the interpreter alone is ~100 MB, a step far less than the bench's limit.
        assert 50 < s["peak_rss_mb"] < 4096, s
    assert res["total_seconds"] == pytest.approx(sum(s["seconds"] for s in res["steps"]), abs=0.05)
    assert res["framework"] == "yiyang-2019" and res["kind"] == "evaluation"


def test_rows_are_the_generated_rows(city: tuple[dict, Path]):
    res, cache = city
    manifest = json.loads(
        (cache / cache_key("yiyang-2019", SCALE, 3) / "data" / "manifest.json").read_text("utf-8")
    )
    by_name = {s["name"]: s for s in res["steps"]}
    for table, f in manifest["files"].items():
        if f"ingest:{table}" in by_name:
            assert by_name[f"ingest:{table}"]["rows"] == f["rows"], table
    assert res["claims"] == manifest["files"]["claims"]["rows"] > 1000
    assert by_name["settle"]["rows"] == res["claims"]
    claims = by_name["ingest:claims"]
    assert set(claims["stages"]) == {"hash", "read", "prepare", "check", "write"}
    assert sum(claims["stages"].values()) <= claims["seconds"]


def test_scan_ratio_is_ingest_over_a_bare_scan_of_the_same_files(city: tuple[dict, Path]):
    res, _ = city
    assert set(res["scan_per_table"]) == set(LOAD_ORDER)
    assert res["scan_seconds"] > 0
    ingest = sum(s["seconds"] for s in res["steps"] if s["name"].startswith("ingest:"))
    assert res["ingest_seconds"] == pytest.approx(ingest, abs=0.05)
    assert res["scan_ratio"] == pytest.approx(ingest / res["scan_seconds"], abs=0.06)
    assert res["scan_ratio"] > 1  # validation costs more than reading text


def test_the_region_is_generated_once(city: tuple[dict, Path]):
    res, cache = city
    assert res["generated"] is True
    data, seconds = ensure_region(cache, "yiyang-2019", SCALE, 3)
    assert seconds is None and (data / "claims.csv").exists()
    root = cache / cache_key("yiyang-2019", SCALE, 3)
    assert not (root / "ws").exists()  # not kept
    logged = [json.loads(line) for line in (root / "steps.jsonl").read_text("utf-8").splitlines()]
    assert logged == res["steps"]  # each step was logged as it ended


def test_the_report_framework_follows_the_preset():
    assert report_plan("yiyang-2019") == ("yiyang-2019", "evaluation")
    assert report_plan("demo-county") == ("self-2020", "self")
