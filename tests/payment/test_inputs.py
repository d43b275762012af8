"""Claims carry the main procedure (validated against ICD-9-CM-3 医保版) and the department;
a bureau's own DIP catalogue is a dated CSV policy parameter that replaces the built one."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import CLAIM_HEADER_CN, claim_row, write_csv
from yibao.engine import Workspace
from yibao.ingest import ingest_file
from yibao.pipeline.context import build_context, policy_hash
from yibao.policy import load_policy
from yibao.policy.model import CsvTable, PolicyError
from yibao.refdata import procedures
from yibao.schema import get_table


def test_claims_schema_has_procedure_and_department() -> None:
    t = get_table("claims")
    proc = t.column("oprn_oprt_code")
    assert proc.check == "procedure"
    assert {"主要手术操作编码", "手术操作编码"} <= set(proc.header_names())
    assert not t.column("dept_codg").required


def test_unknown_procedure_is_quarantined_empty_allowed(ws: Workspace, tmp_path: Path) -> None:
    real = sorted(procedures())[100]
    header = [*CLAIM_HEADER_CN, "主要手术操作编码", "科室编码"]
    rows = [
        [*claim_row(1), real, "03"],
        [*claim_row(2), "", ""],
        [*claim_row(3), "99.9999x999", "03"],
    ]
    path = write_csv(tmp_path / "claims.csv", header, rows)
    res = ingest_file(ws, path, "claims")
    assert ws.count("claims") == 2
    q = ws.con.execute("SELECT row_no, column_name, reason FROM _quarantine").fetchall()
    assert q == [(4, "oprn_oprt_code", "主要手术操作编码不是有效的手术操作编码(ICD-9-CM-3 医保版)")]
    assert res is not None
    got = dict(ws.con.execute("SELECT setl_id, oprn_oprt_code FROM claims").fetchall())
    assert got == {"S000001": real, "S000002": None}


def _policy(tmp_path: Path, value: str) -> Path:
    p = tmp_path / "bureau.yaml"
    p.write_text(
        "preset: bureau\nlabel: 某市医保局 DIP 目录\nextends: national\nparameters:\n"
        "  payment:\n    dip:\n      catalogue:\n"
        "        description: 本市 DIP 病种目录\n        type: csv_table\n        unit: 目录\n"
        "        reference: 某医保发〔2021〕1号\n"
        f"        values:\n          2021-01-01: {value}\n",
        encoding="utf-8",
    )
    return p


def _catalogue(path: Path, score: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "group_code",
                "group_kind",
                "dx_key",
                "proc_key",
                "chapter",
                "treatment",
                "score",
                "std_cost",
            ]
        )
        w.writerow(["K80.1|保守", "核心病种", "K80.1", "", "K", "保守治疗", score, "5000.00"])
        w.writerow(["综合-K-C", "综合病种", "", "", "K", "保守治疗", "800", "4000.00"])
    return path


def test_csv_table_parameter_is_dated_and_hashed(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "dip.csv", "1000")
    pol = load_policy(_policy(tmp_path, "dip.csv"))
    from datetime import date

    v = pol.value("payment.dip.catalogue", date(2021, 12, 31))
    assert isinstance(v, CsvTable) and v.path == cat.resolve()
    h1 = policy_hash(pol)
    _catalogue(cat, "1100")
    assert policy_hash(load_policy(_policy(tmp_path, "dip.csv"))) != h1
    with pytest.raises(PolicyError, match="参考表文件不存在"):
        load_policy(_policy(tmp_path, "missing.csv"))


def test_bureau_catalogue_replaces_the_built_one(ws: Workspace, tmp_path: Path) -> None:
    from yibao.payment.dip import run_dip
    from yibao.payment.params import dip_params

    _catalogue(tmp_path / "dip.csv", "1000")
    header = [*CLAIM_HEADER_CN, "主诊断编码"]
    rows = [
        [
            *claim_row(
                i,
                医疗费总额="5000.00",
                符合政策范围金额="4500.00",
                基本医疗保险统筹基金支出="3000.00",
            ),
            "K80.100",
        ]
        for i in (1, 2)
    ]
    ingest_file(ws, write_csv(tmp_path / "claims.csv", header, rows), "claims")
    ws.con.execute(
        "INSERT INTO institutions (fixmedins_code, fixmedins_name, hosp_lv, "
        "fixmedins_type, _load_id, _row) VALUES ('H001', '一院', '3', '1', 0, 0)"
    )
    ctx = build_context(ws, 2021, policy=str(_policy(tmp_path, "dip.csv")))
    out = run_dip(ws, 2021, dip_params(ctx.policy, 2021))
    assert out.summary["catalogue"].startswith("政策目录 dip.csv")
    cases = ws.con.execute(
        "SELECT group_code, base_score, points FROM payment_dip_cases"
    ).fetchall()
    # level 3 × 1.10, adult × 1.00: 1000 × 1.1 = 1100 points each
    assert cases == [("K80.1|保守", Decimal("1000.00"), Decimal("1100.00"))] * 2
    # DIP budget = fund 6000 ÷ ratio 0.6 = 10000 = Σ medfee; all to the one hospital
    s = out.summary
    assert s["dip_budget"] == Decimal("10000.00") and s["settlement"] == Decimal("6000.00")
    assert s["settlement_point_value"] == Decimal("4.5455")  # 10000 ÷ 2200
