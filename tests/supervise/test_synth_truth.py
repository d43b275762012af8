"""Measured quality on generated data: each planted kind found (recall ≥ 0.95, precision ≥ 0.90)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from yibao.cli import app
from yibao.engine import Workspace
from yibao.supervise.truth import PRECISION_TARGET, RECALL_TARGET, compare_truth

TABLES = ("regions", "persons", "enrolments", "institutions", "claims", "contributions")


def test_rules_meet_the_targets_on_a_small_generated_county(tmp_path):
    runner = CliRunner()
    syn, ws = tmp_path / "synth", tmp_path / "ws"
    args = ["synth", "--preset", "demo-county", "--scale", "0.02", "--seed", "1"]
    res = runner.invoke(app, [*args, "--out", str(syn)])
    assert res.exit_code == 0, res.output
    year = json.loads((syn / "manifest.json").read_text(encoding="utf-8"))["year"]
    assert (
        runner.invoke(app, ["init", str(ws), "--policy", str(syn / "policy.yaml")]).exit_code == 0
    )
    for table in TABLES:
        (src,) = sorted(syn.glob(f"{table}.*"))
        res = runner.invoke(app, ["ingest", str(ws), str(src), "--table", table])
        assert res.exit_code in (0, 1), res.output  # invalid IDs are quarantined
    res = runner.invoke(app, ["settle", str(ws), "--year", str(year)])
    assert res.exit_code == 0, res.output
    # employer_under_declared reads what finance computed of the contributions (issue 16)
    res = runner.invoke(app, ["finance", str(ws), "--year", str(year)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["supervise", str(ws), "--year", str(year), "--against-truth", str(syn)]
    )
    assert res.exit_code in (0, 1), res.output  # 1: a target missed, checked kind by kind below
    with Workspace.open(ws) as w:
        scores = [s for s in compare_truth(w, year, syn) if s.rule is not None]
    planted = {s.kind for s in scores if s.planted}
    assert {
        "overlapping_stay",
        "split_admission",
        "payment_mismatch",
        "inflated_hospital",
        "employer_under_declared",
    } <= planted
    # Since issue 12 gave tertiary costs a heavy tail, one 1.8× hospital among a handful of peers
    # is not separable at 6,000 residents; the full demo (60,000) must find it (make demo).
    underpowered = {"inflated_hospital"}
    for s in scores:
        if s.planted and s.kind not in underpowered:
            assert s.recall >= RECALL_TARGET, s
        if s.found:
            assert s.precision >= PRECISION_TARGET, s
