"""Fixtures for the finance tests; the data are in fin_data.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finance.fin_data import (
    BUDGET_HEADER,
    BUDGETS,
    CI_POLICY,
    CLAIM_HEADER,
    CLAIMS,
    ENROL_HEADER,
    LEDGER,
    LEDGER_HEADER,
    RECEIPT_HEADER,
    RECEIPTS,
    REGIONS,
    enrolment_rows,
    load,
    write,
)
from yibao.engine import Workspace


@pytest.fixture(scope="session")
def _yiyang_template(tmp_path_factory) -> Path:
    """Built once through `yibao ingest`; each test gets its own copy (ingest costs seconds)."""
    root = tmp_path_factory.mktemp("yiyang")
    pol = root / "yiyang-ci.yaml"
    pol.write_text(CI_POLICY, encoding="utf-8")
    ws = Workspace.create(root / "ws", policy=str(pol))
    d = root / "in"
    d.mkdir()
    load(
        ws,
        write(d / "regions.csv", ["区划代码", "区划名称", "上级区划代码", "区划级别"], REGIONS),
        "regions",
    )
    load(ws, write(d / "enrol.csv", ENROL_HEADER, enrolment_rows()), "enrolments")
    load(ws, write(d / "rec.csv", RECEIPT_HEADER, RECEIPTS), "subsidy_receipts")
    load(ws, write(d / "ledger.csv", LEDGER_HEADER, LEDGER), "fund_ledger")
    load(ws, write(d / "claims.csv", CLAIM_HEADER, CLAIMS), "claims")
    load(ws, write(d / "budgets.csv", BUDGET_HEADER, BUDGETS), "budgets")
    ws.close()
    return root / "ws"


@pytest.fixture
def yiyang_ws(_yiyang_template: Path, tmp_path: Path):
    """Workspace on a policy extending yiyang-2019 (plus a 大病 premium of 48 元 and a 3% cap)."""
    shutil.copytree(_yiyang_template, tmp_path / "ws")
    ws = Workspace.open(tmp_path / "ws")
    yield ws
    ws.close()
