"""End to end through the installed `yibao` command, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers import CLAIM_HEADER_CN, claim_row, valid_id, write_csv

YIBAO = [sys.executable, "-m", "yibao"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, **env} if env else None
    return subprocess.run([*YIBAO, *args], capture_output=True, text=True, timeout=300, env=full)


def test_idcheck_prints_one_json_object_per_line():
    good = valid_id(1, "430921")
    res = run("idcheck", good, "430921198013011234", "11010519491231002X")
    assert res.returncode == 0
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["valid"] for x in lines] == [True, False, True]
    assert lines[0]["region"] == "430921" and lines[0]["birth_date"] == "1980-05-17"
    assert lines[0]["gender"] == "男" and lines[1]["reason"]
    assert lines[2]["gender"] == "女"


def test_idcheck_reads_a_file(tmp_path):
    f = tmp_path / "ids.txt"
    f.write_text(valid_id(2) + "\n\n12345\n", encoding="utf-8")
    res = run("idcheck", "--file", str(f))
    assert [json.loads(x)["valid"] for x in res.stdout.splitlines()] == [True, False]


def test_ingest_exit_statuses_0_1_2(tmp_path):
    ws = tmp_path / "ws"
    ok = write_csv(tmp_path / "ok.csv", CLAIM_HEADER_CN, [claim_row(1)], encoding="gbk")
    some = write_csv(
        tmp_path / "some.csv",
        CLAIM_HEADER_CN,
        [claim_row(2), claim_row(3, 医疗类别="99")],
        encoding="gbk",
    )
    bad = write_csv(tmp_path / "bad.csv", ["结算ID"], [["S1"]])
    assert run("init", str(ws)).returncode == 0
    assert run("ingest", str(ws), str(ok), "--table", "claims").returncode == 0
    r1 = run("ingest", str(ws), str(some), "--table", "结算单")
    assert r1.returncode == 1 and "隔离 1 行" in r1.stdout
    r2 = run("ingest", str(ws), str(bad), "--table", "claims", "--json")
    assert r2.returncode == 2 and "缺少必需的列" in json.loads(r2.stdout)["message"]
    again = run("ingest", str(ws), str(ok), "--table", "claims", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["already_loaded"] is True
    q = run("quarantine", str(ws))
    assert q.returncode == 0 and "医疗类别代码不存在" in q.stdout


def test_quarantine_masks_id_numbers_unless_unmasked(tmp_path):
    ws = tmp_path / "ws"
    bad_id = valid_id(5)[:-1] + ("0" if valid_id(5)[-1] != "0" else "1")
    f = write_csv(
        tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(5, 证件号码=bad_id), claim_row(6)]
    )
    assert run("init", str(ws)).returncode == 0
    assert run("ingest", str(ws), str(f), "--table", "claims").returncode == 1
    masked = run("quarantine", str(ws)).stdout
    assert bad_id not in masked and bad_id[:6] + "****" in masked
    # Issue 11 §6: unmasking needs a stored inspector (password for scripts from the env).
    assert bad_id not in run("quarantine", str(ws), "--unmask").stdout
    env = {"YIBAO_PASSWORD": "e2e-password"}
    assert run("user", "add", "li", "--role", "稽核", "-w", str(ws), env=env).returncode == 0
    shown = run("quarantine", str(ws), "--unmask", "--user", "li", env=env)
    assert shown.returncode == 0 and bad_id in shown.stdout


def test_demo_quick_builds_a_workspace_and_a_report(tmp_path):
    out = tmp_path / "demo"
    res = run("demo", "--out", str(out), "--quick")
    assert res.returncode == 0, res.stderr
    report = (out / "reports" / "导入与数据质量报告.md").read_text(encoding="utf-8")
    assert "claims.csv" in report and "隔离" in report
    assert "与生成器植入的异常核对" in report and "不一致" not in res.stdout
    assert (out / "workspace.duckdb").exists() and (out / "yibao.yaml").exists()
    # Personal data is masked in the report (the generated persons file is GBK).
    persons = (out / "data" / "persons.csv").read_text(encoding="gbk").splitlines()[1:]
    for line in persons:
        assert line.split(",")[1].strip('"') not in report
    # Running again gives the same report.
    assert run("demo", "--out", str(out), "--quick").returncode == 0
    assert (out / "reports" / "导入与数据质量报告.md").read_text(encoding="utf-8") == report
