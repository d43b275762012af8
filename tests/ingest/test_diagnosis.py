"""The main diagnosis (dise_codg) is checked against ICD-10 医保版 like the main procedure:
an unknown code is quarantined with a Chinese reason, an empty one is allowed (the schema does
not require it), and every code the generator and the demo exports write is a real one."""

from __future__ import annotations

import csv
from pathlib import Path

from helpers import CLAIM_HEADER_CN, claim_row, write_csv
from yibao.engine import Workspace
from yibao.ingest import ingest_file
from yibao.refdata import icd10_diagnoses
from yibao.schema import get_table

ROOT = Path(__file__).resolve().parents[2]
REASON = "主诊断编码不是有效的诊断编码(ICD-10 医保版)"


def test_schema_checks_the_main_diagnosis() -> None:
    col = get_table("claims").column("dise_codg")
    assert col.check == "diagnosis" and not col.required and col.personal


def test_unknown_diagnosis_is_quarantined_empty_allowed(ws: Workspace, tmp_path: Path) -> None:
    real = sorted(icd10_diagnoses())[500]
    header = [*CLAIM_HEADER_CN, "主诊断编码"]
    rows = [
        [*claim_row(1), real],
        [*claim_row(2), ""],
        [*claim_row(3), "J18.999x999"],  # the shape of a code, but not in the list
        [*claim_row(4), f" {real} "],  # spaces around a real code are trimmed, as documented
        [*claim_row(5), "肺炎"],
    ]
    path = write_csv(tmp_path / "claims.csv", header, rows)
    ingest_file(ws, path, "claims")
    q = ws.con.execute(
        "SELECT row_no, column_name, reason FROM _quarantine ORDER BY row_no"
    ).fetchall()
    assert q == [(4, "dise_codg", REASON), (6, "dise_codg", REASON)]
    got = dict(ws.con.execute("SELECT setl_id, dise_codg FROM claims").fetchall())
    assert got == {"S000001": real, "S000002": None, "S000004": real}


def test_demo_exports_use_real_diagnoses() -> None:
    path = ROOT / "examples" / "demo-county" / "claims_gbk.csv"
    with path.open(encoding="gbk", newline="") as fh:
        codes = {r["主诊断编码"].strip() for r in csv.DictReader(fh)} - {""}
    assert codes and codes <= set(icd10_diagnoses()), sorted(codes - set(icd10_diagnoses()))[:5]
