"""The registry of derived tables stays true to what the steps write."""

from __future__ import annotations

import ibis

from yibao.policy import load_policy
from yibao.privacy import mask_record
from yibao.schema import DERIVED
from yibao.settle.chain import settle_chain
from yibao.settle.params import build_periods, chain_periods


def test_settlements_registry_matches_the_chain_output():
    spec, periods = build_periods(load_policy("demo-county"))
    claims = ibis.table(
        {
            "setl_id": "string",
            "psn_no": "string",
            "insutype": "string",
            "med_type": "string",
            "hi_setl_lv": "string",
            "offsite_flag": "string",
            "psn_idet_type": "string",
            "setl_time": "timestamp",
            "medfee_sumamt": "decimal(18,2)",
            "inscp_scp_amt": "decimal(18,2)",
        },
        name="claims",
    )
    expr = settle_chain(claims, chain_periods(periods), periods.column("p_start").to_pylist(), spec)
    declared = [c.name for c in DERIVED["settlements"].columns]
    # settle/run.py stores the identity used beside the chain's columns (issue 12)
    stored = ["psn_idet_type", "psn_idet_source", "policy_name", "settled_at"]
    assert list(expr.columns) + stored == declared


def test_every_derived_table_declares_its_step_year_and_labels():
    for t in DERIVED.values():
        assert t.produced_by in (
            "settle",
            "finance",
            "supervise",
            "evaluate",
            "payment",
            "payment_catalogue",
            "cases",  # issue 18: the workbench's inspection cases
        ), t.name
        assert t.year_column in t.column_names, t.name
        assert set(t.key) <= set(t.column_names), t.name
        assert all(c.label for c in t.columns), t.name
        for test in t.tests:
            assert "{t}" in test.sql and test.label, (t.name, test.name)


def test_masking_comes_from_the_registry_flags():
    rec = {
        "rule": "duplicate_enrolment_region",
        "key": "430921199001011234",
        "certno": "430921199001011234",
        "psn_name": "张三丰",
        "dise_codg": "C34.1",
        "fixmedins_name": "南县人民医院",
    }
    masked = mask_record("supervise_findings", rec)
    assert masked["certno"] == masked["key"] == "430921********1234"
    assert masked["psn_name"] == "张*丰" and masked["dise_codg"] == "***"
    assert masked["fixmedins_name"] == "南县人民医院" and rec["psn_name"] == "张三丰"
