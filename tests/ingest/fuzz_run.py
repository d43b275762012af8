"""``make fuzz``: many fuzzed files through ingest; prints rows tried, crashes, rows changed.

Usage: ``python tests/ingest/fuzz_run.py [--rows 100000] [--per-file 2500] [--seed 1]``.
Exit 0 only when there were no crashes, no silently changed or lost rows and nothing counted
twice.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzzing import Figures, check_ingest, make_rows  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--per-file", type=int, default=2_500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fig = Figures()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="yibao-fuzz-") as tmp:
        i = 0
        while fig.rows < args.rows:
            n = min(args.per_file, args.rows - fig.rows, rng.randint(1, 2 * args.per_file))
            d = Path(tmp) / f"f{i}"
            d.mkdir()
            check_ingest(d, make_rows(rng, n), rng, fig)
            i += 1
    secs = time.perf_counter() - t0
    print(f"文件数 files: {fig.files}")
    print(f"尝试行数 rows tried: {fig.rows}")
    print(f"崩溃 crashes: {fig.crashes}")
    print(f"静默改变的行 rows silently changed: {fig.changed}")
    print(f"丢失的行 rows lost: {fig.lost}")
    print(f"重复计数 counted twice: {fig.double}")
    print(f"无原因隔离 quarantined without reason: {fig.unexplained}")
    print(f"有效却被隔离 valid rows refused: {fig.refused_valid}")
    print(f"异常退出码 bad exit codes / rejected files: {fig.bad_exit}")
    print(f"用时 seconds: {secs:.1f}")
    for p in fig.problems[:20]:
        print("  ", p)
    return 0 if fig.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
