"""`yibao bench ingest` runs (it had stopped working when ingest began to require `init`)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_bench_ingest_gives_its_json_with_the_scan_floor(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "yibao", "bench", "ingest", "--rows", "3000", "--json",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["benchmark"] == "ingest" and res["rows"] == 3000
    assert res["rows_per_s"] > 0 and res["peak_rss_mb"] > 0
    # Both figures are rounded in the JSON, so the ratio is checked to that rounding.
    assert res["scan_seconds"] > 0
    assert abs(res["scan_ratio"] - res["seconds"] / res["scan_seconds"]) < 0.2 * res["scan_ratio"]


def test_the_scan_floor_is_read_after_duckdbs_progress_bar():
    """A scan longer than two seconds draws DuckDB's progress bar into the child's stdout
    (seen on a 2 M-row file: ``float('90% ▕██…')`` failed the whole benchmark)."""
    from yibao.bench import seconds_printed

    out = " 90% ▕███████▏ \n100% ▕█████████▏ (00:00:02.55 elapsed)     \n3.0652126940003654\n"
    assert seconds_printed(out) == 3.0652126940003654
    assert seconds_printed("1.5\n") == 1.5
