"""Apply the mutations issue 19 names, one at a time, run the tests that must catch them, revert.

Run: ``.venv/bin/python tests/oracle/named_mutations.py [pytest args…]`` (not part of make test;
it edits src/ temporarily and restores it in a ``finally``).  Prints, per mutation, whether the
run failed (caught) and the first failing tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAIN = ROOT / "src/yibao/settle/chain.py"
ORDER = "order_by=[{t}.setl_time, {t}.setl_id]"
ORDER_DESC = "order_by=[{t}.setl_time, {t}.setl_id.desc()]"

#: name → [(file, old text, new text, expected count)]
MUTATIONS: dict[str, list[tuple[Path, str, str, int]]] = {
    # One window builder (chain._window) serves the basic, 大病 and 救助 passes.
    "tie-break setl_id DESC in every window": [
        (CHAIN, ORDER.format(t="t"), ORDER_DESC.format(t="t"), 1),
    ],
    "basic annual cap − 50,000 (one-sided)": [
        (
            CHAIN,
            "_capped(t.basic_cum_b, t.basic_raw, t.basic_cap)",
            "_capped(t.basic_cum_b, t.basic_raw, t.basic_cap - 5_000_000)",
            1,
        )
    ],
    "outpatient annual limit − 100 (one-sided)": [
        (
            CHAIN,
            "_capped(t.basic_cum_g, t.basic_raw, t.gen_limit)",
            "_capped(t.basic_cum_g, t.basic_raw, t.gen_limit - 10_000)",
            1,
        )
    ],
    "大病 deductible + 1,000 in the chain": [
        (
            CHAIN,
            "ded = ibis.cases((poor, t.ci_poor_ded), else_=t.ci_ded)",
            "ded = ibis.cases((poor, t.ci_poor_ded), else_=t.ci_ded + 100_000)",
            1,
        )
    ],
}
DEFAULT_TESTS = ["tests/oracle", "tests/settle", "tests/synth", "-m", "not spark"]


def run(name: str, edits: list[tuple[Path, str, str, int]], args: list[str]) -> None:
    saved = {f: f.read_text(encoding="utf-8") for f, *_ in edits}
    try:
        for f, old, new, count in edits:
            text = f.read_text(encoding="utf-8")
            assert text.count(old) == count, (name, old, text.count(old))
            f.write_text(text.replace(old, new), encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        cmd += ["--hypothesis-profile=mutate"]
        res = subprocess.run(cmd + args, cwd=ROOT, capture_output=True, text=True)
    finally:
        for f, text in saved.items():
            f.write_text(text, encoding="utf-8")
    failed = [ln for ln in res.stdout.splitlines() if ln.startswith("FAILED")]
    verdict = "CAUGHT" if res.returncode == 1 and failed else f"NOT CAUGHT (exit {res.returncode})"
    print(f"## {name}: {verdict}")
    for ln in failed:
        print("   ", ln[:160])
    print("   ", res.stdout.strip().splitlines()[-1] if res.stdout.strip() else res.stderr[-300:])


def main() -> None:
    args = sys.argv[1:] or DEFAULT_TESTS
    for name, edits in MUTATIONS.items():
        run(name, edits, args)


if __name__ == "__main__":
    main()
