"""README contracts of the installed `yibao` command that no other test pinned (issue 19).

Commands, flags, exit codes and outputs as a user sees them, through a subprocess.  The
workspace comes from `yibao demo --quick` (generated data, ingested, settled, reported).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from finance.fin_data import retiree_claim, retiree_workspace, write
from helpers import valid_id, yibao_here
from shared_build import demo_quick, fresh_copy
from yibao.policy import load_policy, preset_names
from yibao.policy.loader import PRESET_DIR
from yibao.privacy import mask_name
from yibao.refdata import area_name
from yibao.schema.docs import render_schema_md

YIBAO = [sys.executable, "-m", "yibao"]
ENV = {**os.environ, "COLUMNS": "250"}  # rich tables are not cut to 80 columns
ENV.pop("YIBAO_ROLE", None)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*YIBAO, *args], capture_output=True, text=True, timeout=600, env=ENV)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory) -> Path:
    """A workspace the demo built (year 2021, once per run), copied fresh for the module."""
    return fresh_copy(tmp_path_factory, demo_quick(tmp_path_factory), "demo")


def query(ws: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(ws / "workspace.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- policy and schema --------------------------------------------------------------------


def test_policy_list_names_every_preset_with_its_label():
    res = run("policy", "list")
    assert res.returncode == 0, res.stderr
    lines = dict(ln.split(maxsplit=1) for ln in res.stdout.splitlines() if ln.strip())
    assert sorted(lines) == preset_names()
    assert lines["demo-county"] == load_policy("demo-county").label


def test_policy_check_exits_0_on_good_files_and_2_naming_the_key_on_a_bad_one(tmp_path):
    good = run("policy", "check", "demo-county", str(PRESET_DIR / "yiyang-2019.yaml"))
    assert good.returncode == 0, good.stderr
    assert good.stdout.count("通过") == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "preset: bad\nlabel: 坏\nextends: demo-county\nparameters:\n  basic:\n    annual_cap:\n"
        "      description: x\n      type: amount\n      unit: 元\n      reference: r\n"
        "      values:\n        2021-01-01: 十万\n",
        encoding="utf-8",
    )
    res = run("policy", "check", "demo-county", str(bad))
    assert res.returncode == 2
    assert "basic.annual_cap" in res.stderr and "bad.yaml" in res.stderr


def test_schema_docs_out_writes_the_generated_document(tmp_path):
    target = tmp_path / "schema.md"
    res = run("schema", "docs", "--out", str(target))
    assert res.returncode == 0, res.stderr
    assert target.read_text(encoding="utf-8") == render_schema_md()
    assert "claims" in target.read_text(encoding="utf-8")


# --- idcheck --------------------------------------------------------------------------------


def test_idcheck_exits_2_without_ids_or_with_a_missing_file(tmp_path):
    none = run("idcheck")
    assert none.returncode == 2 and "身份证号" in none.stderr and not none.stdout
    missing = run("idcheck", "--file", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "文件不存在" in missing.stderr


def test_idcheck_gives_the_region_name_of_a_valid_id():
    good = valid_id(3, "430921")
    (line,) = run("idcheck", good).stdout.splitlines()
    got = json.loads(line)
    assert got["region"] == "430921" and got["region_name"] == area_name("430921") == "南县"
    (bad,) = run("idcheck", good[:-1] + ("0" if good[-1] != "0" else "1")).stdout.splitlines()
    assert "region_name" not in json.loads(bad) or json.loads(bad)["region_name"] is None


# --- quarantine -----------------------------------------------------------------------------


def test_quarantine_load_id_shows_only_that_load(demo_ws):
    loads = query(demo_ws, "SELECT DISTINCT load_id, file_name FROM _quarantine ORDER BY 1")
    assert len(loads) >= 2
    (lid, fname), (_, other_name) = loads[0], loads[1]
    res = run("quarantine", str(demo_ws), "--load-id", str(lid))
    assert res.returncode == 0, res.stderr
    assert fname in res.stdout and other_name not in res.stdout
    res = run("quarantine", str(demo_ws), "--load-id", "9999")
    assert res.returncode == 0 and fname not in res.stdout


def test_quarantine_masks_names_unless_unmasked(demo_ws, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    # No ingest check rejects a name, so the cell is put into quarantine directly: the command
    # must mask any personal column it shows, names included.
    with duckdb.connect(str(ws / "workspace.duckdb")) as con:
        con.execute(
            "INSERT INTO _quarantine SELECT * REPLACE ('psn_name' AS column_name, '姓名' AS header,"
            " '欧阳明远' AS value, 999999 AS row_no) FROM _quarantine LIMIT 1"
        )
    masked = run("quarantine", str(ws), "--limit", "1000").stdout
    assert "欧阳明远" not in masked and mask_name("欧阳明远") in masked
    assert "欧阳明远" not in run("quarantine", str(ws), "--limit", "1000", "--unmask").stdout
    env = {**ENV, "YIBAO_PASSWORD": "s3cret-稽核"}
    user = [*YIBAO, "user", "add", "li", "--role", "稽核", "-w", str(ws)]
    assert subprocess.run(user, capture_output=True, timeout=120, env=env).returncode == 0
    shown = subprocess.run(
        [*YIBAO, "quarantine", str(ws), "--limit", "1000", "--unmask", "--user", "li"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "欧阳明远" in shown.stdout, shown.stderr  # a stored inspector sees the raw value


# --- settle ---------------------------------------------------------------------------------


def test_settle_exits_2_on_a_bad_engine_an_unknown_explain_id_or_a_missing_out(demo_ws):
    claims = demo_ws / "data" / "claims.csv"
    engine = run("settle", "--policy", "demo-county", "--claims", str(claims), "--out", "x.csv",
                 "--engine", "oracle")  # fmt: skip
    assert engine.returncode == 2 and "oracle" in engine.stderr
    explain = run("settle", str(demo_ws), "--explain", "NO-SUCH-ID")
    assert explain.returncode == 2 and "NO-SUCH-ID" in explain.stderr
    no_out = run("settle", "--policy", "demo-county", "--claims", str(claims))
    assert no_out.returncode == 2 and "--out" in no_out.stderr


# --- finance --------------------------------------------------------------------------------


def test_finance_retirees_roster_gives_the_cash_top_up(tmp_path):
    """丰都: A (抗日, quota 5,000) spent 1,200 → 3,800; B (解放, 3,000) spent 3,500 → 0;
    C (解放) spent nothing → 3,000: top-up 6,800, paid 4,700 + 6,800 = 11,500."""
    claims = [
        retiree_claim(1, "L00", "11", "1200.00"),
        retiree_claim(2, "L01", "21", "3000.00"),
        retiree_claim(3, "L01", "11", "500.00"),
    ]
    retiree_workspace(tmp_path, 3, claims, None).close()
    roster = write(
        tmp_path / "roster.csv",
        ["人员编号", "参加革命工作时期"],
        [["L00", "抗日"], ["L01", "解放"], ["L02", "解放"]],
    )
    ws = tmp_path / "ws"
    without = run("finance", str(ws), "--year", "2021")
    assert without.returncode == 0, without.stderr
    res = run("finance", str(ws), "--year", "2021", "--retirees", str(roster))
    assert res.returncode == 0, res.stderr
    assert "离休人员 3 人" in res.stdout and "现金补足 6800.00 元" in res.stdout
    assert query(ws, "SELECT psn_no, topup::VARCHAR FROM finance_retirees ORDER BY 1") == [
        ("L00", "3800.00"),
        ("L01", "0.00"),
        ("L02", "3000.00"),
    ]
    bad = write(tmp_path / "bad.csv", ["人员编号", "参加革命工作时期"], [["L00", "长征"]])
    assert run("finance", str(ws), "--year", "2021", "--retirees", str(bad)).returncode == 2


# --- supervise ------------------------------------------------------------------------------


def test_supervise_unmask_needs_a_stored_auditor_审计(demo_ws, tmp_path):
    """`--role 审计` alone grants nothing (issue 11): the role comes from the workspace's user
    store, identified by --user and a password; the unmasked list has its own file name."""
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    assert run("supervise", str(ws), "--year", "2021", "--unmask").returncode == 2
    assert run("supervise", str(ws), "--year", "2021", "--unmask", "--role", "审计").returncode == 2
    env = {**ENV, "YIBAO_PASSWORD": "s3cret-审计"}
    added = subprocess.run(
        [*YIBAO, "user", "add", "wang", "--role", "审计", "-w", str(ws)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    res = subprocess.run(
        [*YIBAO, "supervise", str(ws), "--year", "2021", "--unmask", "--user", "wang"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    assert "未脱敏" in res.stdout
    assert (ws / "reports" / "监管筛查工作清单-2021-未脱敏.xlsx").is_file()


# --- the CLI's --engine pyspark paths -------------------------------------------------------


def _stored(ws: Path) -> dict[str, list[tuple]]:
    """Every table settle, finance and supervise write, without run times and engine names."""
    names = [
        t
        for (t,) in query(ws, "SELECT table_name FROM information_schema.tables")
        if t.startswith(("settle", "finance_", "supervise_")) and t != "supervise_runs"
    ]
    drop = {"settlements": "settled_at", "supervise_findings": "engine, run_at"}
    out = {}
    for t in names:
        ex = f" EXCLUDE ({drop[t]})" if t in drop else ""
        out[t] = query(ws, f"SELECT *{ex} FROM {t} ORDER BY ALL")
    return out


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_cli_settle_finance_and_supervise_on_pyspark_store_what_duckdb_stores(demo_ws, tmp_path):
    """In this process (helpers.yibao_here): the three commands share the worker's
    SparkSession instead of starting a JVM each.  A fresh `yibao run --engine pyspark`
    process is tests/engine/test_spark_run.py's."""
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    commands = (["settle", str(ws), "--year", "2021"], ["finance", str(ws), "--year", "2021"],
                ["supervise", str(ws), "--year", "2021"])  # fmt: skip
    stored, codes = {}, {}
    for engine in ("duckdb", "pyspark"):
        codes[engine] = []
        for args in commands:
            res = yibao_here(*args, "--engine", engine)
            assert res.returncode in (0, 1), (engine, args, res.stdout, res.stderr)
            codes[engine].append(res.returncode)
        stored[engine] = _stored(ws)
    assert codes["duckdb"] == codes["pyspark"]
    duck, spark = stored["duckdb"], stored["pyspark"]
    assert {"settlements", "settle_discrepancies", "finance_subsidy", "supervise_findings",
            "supervise_hospital_summary"} <= set(duck)  # fmt: skip
    assert all(duck[t] for t in ("settlements", "finance_subsidy", "supervise_findings"))
    for t in duck:
        assert duck[t] == spark[t], t
