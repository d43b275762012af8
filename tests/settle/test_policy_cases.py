"""Run the YAML policy cases that live beside the presets (policy/presets/tests/*.yaml)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from yibao.policy.loader import PRESET_DIR
from yibao.settle.run import CLAIM_COLUMNS, settle_file

CASE_FILES = sorted((PRESET_DIR / "tests").glob("*.yaml"))
DEFAULTS = {"insutype": "390", "offsite_flag": "0", "psn_idet_type": "普通人员", "hi_setl_lv": ""}
COLUMNS = list(CLAIM_COLUMNS)


def _cases() -> list:
    out = []
    for f in CASE_FILES:
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            out.append(pytest.param(doc["policy"], case, id=f"{f.stem}: {case['name']}"))
    return out


def test_case_files_exist():
    assert CASE_FILES and len(_cases()) >= 9


@pytest.mark.parametrize(("policy", "case"), _cases())
def test_policy_case(tmp_path: Path, policy: str, case: dict):
    f = tmp_path / "claims.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for claim in case["claims"]:
            row = DEFAULTS | {k: str(v) for k, v in claim.items()}
            row.setdefault("medfee_sumamt", row["inscp_scp_amt"])
            w.writerow(row)
    outcome = settle_file(policy, f)
    assert outcome.ok, outcome.errors
    got = {r["setl_id"]: r for r in outcome.result.to_pylist()}
    for setl_id, expected in case["expect"].items():
        for field, value in expected.items():
            assert got[setl_id][field] == Decimal(value), (setl_id, field)
    for r in got.values():
        funds = r["hifp_pay"] + r["hifob_pay"] + r["hifmi_pay"] + r["maf_pay"]
        assert funds + r["psn_part_amt"] == Decimal(
            next(c for c in case["claims"] if c["setl_id"] == r["setl_id"]).get(
                "medfee_sumamt",
                next(c for c in case["claims"] if c["setl_id"] == r["setl_id"])["inscp_scp_amt"],
            )
        )
