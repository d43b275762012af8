"""Issue 10 contract: one step contract, `yibao run` equals the step-by-step commands (on a GBK
folder with Chinese file names), `yibao check` passes and fails naming rows, `yibao trace` leads
back to file rows, run records keep policy hash and query text."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import yibao_here
from yibao.engine import Workspace
from yibao.pipeline.checks import run_checks
from yibao.pipeline.context import build_context, policy_hash
from yibao.pipeline.folder import recognise, table_from_headers
from yibao.pipeline.runner import run_folder
from yibao.pipeline.steps import STEPS
from yibao.pipeline.trace import trace
from yibao.policy import load_policy
from yibao.schema import DERIVED, TABLES
from yibao.synth.run import synthesize

#: Module fixtures built once, on one worker: the GBK county and its run (`run_ws`).
pytestmark = pytest.mark.xdist_group("pipeline-gbk")

YEAR = 2021
CHINESE_NAMES = {
    "regions": "统筹区.csv",
    "institutions": "定点医药机构.csv",
    "persons": "人员信息.csv",
    "enrolments": "2021年参保登记.csv",
    "claims": "2021年度结算单明细.csv",
    "subsidy_receipts": "财政补助到账.csv",
    "fund_ledger": "基金收支明细账.csv",
    "budgets": "预算.csv",
    "survey_responses": "满意度调查.csv",
    "contributions": "职工医保征缴.csv",
}
#: Columns that record when or how fast a run happened, not what it computed.
VOLATILE = {"settled_at", "run_at", "seconds", "entered_at"}


def yibao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yibao.cli", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def gbk_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated county as GBK CSV exports, renamed as a bureau would name them."""
    gen = tmp_path_factory.mktemp("gen") / "data"
    synthesize("demo-county", gen, scale=0.005, seed=11, encoding="gbk")
    folder = tmp_path_factory.mktemp("exports") / "导出文件"
    folder.mkdir()
    for table, name in CHINESE_NAMES.items():
        shutil.copy(gen / f"{table}.csv", folder / name)
    shutil.copy(gen / "policy.yaml", folder / "policy.yaml")
    (folder / "说明.txt").write_text("本目录为医保局导出的数据", encoding="utf-8")
    return folder


def _stored(ws: Workspace) -> dict[str, list[tuple]]:
    out = {}
    in_run = {step.name for step in STEPS}  # payment is a separate command (needs more input)
    for name, t in DERIVED.items():
        if t.produced_by not in in_run:
            continue
        cols = [c.name for c in t.columns if c.name not in VOLATILE]
        sel = ", ".join(f'"{c}"' for c in cols)
        out[name] = ws.con.execute(f"SELECT {sel} FROM {name} ORDER BY ALL").fetchall()
    return out


@pytest.fixture(scope="module")
def run_ws(gbk_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "ws"
    assert yibao("init", str(path), "--policy", str(gbk_folder / "policy.yaml")).returncode == 0
    res = yibao("run", str(path), "--year", str(YEAR), "--from", str(gbk_folder))
    assert res.returncode == 1, res.stdout + res.stderr  # planted rows quarantined, findings
    assert "Traceback" not in res.stdout + res.stderr
    return path


def test_folder_files_are_recognised_by_chinese_name(gbk_folder: Path):
    matches, others = recognise(gbk_folder)
    assert {m.table for m in matches if m.recognised} == set(TABLES)
    assert [m.table for m in matches][:4] == ["regions", "institutions", "persons", "enrolments"]
    unrecognised = [m for m in matches if not m.recognised]
    assert [m.path.name for m in unrecognised] == ["说明.txt"]
    assert "无法确定" in unrecognised[0].how
    assert [p.name for p in others] == ["policy.yaml"]


def test_a_file_is_recognised_by_its_header_signature(tmp_path: Path):
    claims = TABLES["claims"]
    headers = [c.label for c in claims.columns]
    assert table_from_headers(headers) == ("claims", "表头")
    table, why = table_from_headers(["结算ID", "人员编号"])
    assert table is None and "缺少必需的列" in why
    f = tmp_path / "导出1.csv"
    f.write_text(",".join(headers) + "\n", encoding="gb18030")
    (m,), _ = recognise(tmp_path)
    assert (m.table, m.how) == ("claims", "表头")


def test_run_gives_the_same_tables_as_the_step_commands(
    run_ws: Path, gbk_folder: Path, tmp_path: Path
):
    # The fifteen step commands in this process (helpers.yibao_here): `yibao run` itself was a
    # fresh process (run_ws), and the comparison is of what the commands store.
    step = tmp_path / "ws"
    init = yibao_here("init", str(step), "--policy", str(gbk_folder / "policy.yaml"))
    assert init.returncode == 0, init.stdout + init.stderr
    for table, name in CHINESE_NAMES.items():
        r = yibao_here("ingest", str(step), str(gbk_folder / name), "--table", table)
        assert r.returncode in (0, 1), r.stdout + r.stderr
    for cmd in ("settle", "finance", "supervise"):
        r = yibao_here(cmd, str(step), "--year", str(YEAR))
        assert r.returncode == 0, r.stdout + r.stderr
    r = yibao_here("evaluate", str(step), "--framework", "self-2020", "--year", str(YEAR))
    assert r.returncode == 0, r.stdout + r.stderr
    with Workspace.open(run_ws, read_only=True) as a, Workspace.open(step, read_only=True) as b:
        ran, stepped = _stored(a), _stored(b)
        assert ran.keys() == stepped.keys()
        for name in ran:
            assert ran[name] == stepped[name], name
        assert all(ran[n] for n in ("settlements", "finance_subsidy_due", "supervise_findings"))
        for t in TABLES:
            q = f"SELECT * EXCLUDE (_load_id) FROM {t} ORDER BY ALL"
            assert a.con.execute(q).fetchall() == b.con.execute(q).fetchall(), t


def test_a_re_run_replaces_the_year_and_records_every_run(run_ws: Path, gbk_folder: Path):
    before = None
    with Workspace.open(run_ws, read_only=True) as ws:
        before = _stored(ws)
    res = yibao("run", str(run_ws), "--year", str(YEAR), "--from", str(gbk_folder))
    assert res.returncode == 1 and "已导入过,未改动" in res.stdout
    with Workspace.open(run_ws, read_only=True) as ws:
        assert _stored(ws) == before
        runs = ws.con.execute(
            "SELECT step, year, status, policy_name, policy_hash, engine, input_loads "
            "FROM _runs ORDER BY run_id"
        ).fetchall()
        steps = ["settle", "finance", "supervise", "cases", "evaluate"]  # cases: issue 18
        assert [r[0] for r in runs] == steps * 2
        assert {r[1:4] for r in runs} == {(YEAR, "ok", "synth-demo-county")}
        assert {r[4] for r in runs} == {policy_hash(load_policy(gbk_folder / "policy.yaml"))}
        assert json.loads(runs[0][6])["claims"] == [5]
        sql = ws.con.execute(
            "SELECT q.sql FROM _run_queries q JOIN _runs r USING (run_id) "
            "WHERE r.step = 'settle' AND q.table_name = 'settlements'"
        ).fetchall()
        assert sql and all("SELECT" in s for (s,) in sql)


def test_check_passes_then_names_the_corrupted_settlement(run_ws: Path, tmp_path: Path):
    res = yibao("check", str(run_ws))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "全部通过" in res.stdout
    broken = tmp_path / "broken"
    shutil.copytree(run_ws, broken)
    with Workspace.open(broken) as ws:
        sid = ws.con.execute("SELECT min(setl_id) FROM settlements").fetchone()[0]
        ws.con.execute("UPDATE settlements SET hifp_pay = hifp_pay + 0.01 WHERE setl_id = ?", [sid])
        failing = [r for r in run_checks(ws) if r.skipped is None and r.failures]
        assert [(r.table, r.test, r.failures) for r in failing] == [
            ("settlements", "settlement_adds_up", 1)
        ]
        assert failing[0].sample[0]["setl_id"] == sid
    res = yibao("check", str(broken))
    assert res.returncode == 1 and sid in res.stdout and "医疗费总额" in res.stdout


def test_trace_leads_from_subsidy_due_and_a_finding_to_file_rows(run_ws: Path):
    with Workspace.open(run_ws, read_only=True) as ws:
        (due,) = trace(ws, "finance_subsidy_due", ["budget_level=中央"], limit=1)
        assert due.run["step"] == "finance" and due.queries
        (src,) = due.sources
        insured = due.row["insured"]
        assert (src.table, src.file_name, src.rows) == ("enrolments", "2021年参保登记.csv", insured)
        assert src.row_numbers[0] >= 2  # the header is row 1, as in Excel
        sid = ws.con.execute(
            "SELECT setl_id FROM supervise_findings WHERE setl_id IS NOT NULL ORDER BY rank LIMIT 1"
        ).fetchone()[0]
        (finding,) = trace(ws, "supervise_findings", [f"setl_id={sid}"])
        claim = next(s for s in finding.sources if s.table == "claims")
        assert claim.file_name == "2021年度结算单明细.csv" and claim.rows == 1
        row = ws.con.execute("SELECT _row FROM claims WHERE setl_id = ?", [sid]).fetchone()[0]
        assert claim.row_numbers == [row]
        assert len(finding.queries) == 1 and finding.queries[0][0].startswith(finding.row["rule"])
        assert "*" in (finding.row["certno"] or "*")  # masked in what users see
    res = yibao("trace", str(run_ws), "supervise_findings", "--where", f"setl_id={sid}")
    assert res.returncode == 0 and "2021年度结算单明细.csv" in res.stdout
    bad = yibao("trace", str(run_ws), "supervise_findings", "--where", "x=1; DROP TABLE claims")
    assert bad.returncode == 2 and "列名=值" in bad.stderr


def test_run_exit_codes(gbk_folder: Path, tmp_path: Path):
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(gbk_folder / "统筹区.csv", clean / "统筹区.csv")
    ws = tmp_path / "w"
    yibao("init", str(ws), "--policy", str(gbk_folder / "policy.yaml"))
    res = yibao("run", str(ws), "--year", "2021", "--from", str(clean))
    assert res.returncode == 0, res.stdout + res.stderr
    (clean / "结算单.csv").write_text("完全不是结算单\n", encoding="utf-8")
    res = yibao("run", str(ws), "--year", "2021", "--from", str(clean))
    assert res.returncode == 2 and "Traceback" not in res.stdout + res.stderr
    assert yibao("run", str(tmp_path / "none"), "--year", "2021").returncode == 2


def test_steps_share_one_context(run_ws: Path):
    with Workspace.open(run_ws) as ws:
        ctx = build_context(ws, YEAR)
        assert ctx.policy.name == "synth-demo-county" and len(ctx.policy_hash) == 64
        summary = run_folder(ws, YEAR)  # no folder: the steps alone
        steps = [o.step.name for o in summary.steps]
        assert steps == ["settle", "finance", "supervise", "cases", "evaluate"]
        assert all(o.error is None for o in summary.steps)
        notes = [n for o in summary.steps for n in o.result.notes]
        assert any(n.code == "subsidy_short" and n.scope == "level" for n in notes)
        assert all(n.severity in ("info", "warning", "error") for n in notes)
