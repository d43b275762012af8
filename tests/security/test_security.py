"""Issue 11 §4-§7 through the CLI: injection, markup, unmasking, permissions, crashes, locks.

The commands are run the way a clerk or a script runs them (CliRunner in-process, or a
subprocess where a second process or kill -9 is the point).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from helpers import CLAIM_HEADER_CN, claim_row, valid_id, write_csv
from yibao.cli import app
from yibao.console import SafeConsole
from yibao.control.users import unmask_audit
from yibao.xlsxsafe import safe_cells

runner = CliRunner()
YIBAO = [sys.executable, "-m", "yibao"]


@pytest.fixture(autouse=True)
def _private_env(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_LOG_DIR", str(tmp_path / "logs"))
    for var in ("YIBAO_USER", "YIBAO_PASSWORD", "YIBAO_ROLE"):
        monkeypatch.delenv(var, raising=False)


def _ingest(ws: Path, f: Path, table: str = "claims"):
    if not (ws / "yibao.yaml").exists():  # issue 12: ingest never creates a workspace
        assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    return runner.invoke(app, ["ingest", str(ws), str(f), "--table", table])


# §5 SQL through the workspace path ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["w'; CREATE TABLE pwned AS SELECT 42 AS x; SELECT '", "O'Brien 的工作区", 'a"b;--']
)
def test_hostile_workspace_paths_are_paths_not_sql(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["init", name])
    assert res.exit_code == 0, res.output
    f = write_csv(tmp_path / "c'.csv", CLAIM_HEADER_CN, [claim_row(1)])
    res = _ingest(Path(name), f)
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(tmp_path / name / "workspace.duckdb"), read_only=True)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    con.close()
    assert "pwned" not in tables and "claims" in tables


def test_hostile_headers_reach_sql_only_quoted(tmp_path):
    header = [*CLAIM_HEADER_CN, "x'); DROP TABLE claims; --", 'y" || 1']
    f = write_csv(tmp_path / "h.csv", header, [[*claim_row(1, 医疗类别="99"), "1", "2"]])
    ws = tmp_path / "ws"
    res = _ingest(ws, f)
    assert res.exit_code == 2, res.output  # issue 12: no row accepted is exit 2
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    record = con.execute("SELECT record FROM _quarantine").fetchone()[0]
    assert con.execute("SELECT count(*) FROM claims").fetchone() == (0,)
    con.close()
    assert "DROP TABLE claims" in record  # stored as a key of the record, nothing ran


# §4 markup and formulas ---------------------------------------------------------------------


def test_rich_markup_in_data_is_printed_literally(tmp_path):
    f = write_csv(
        tmp_path / "[b]bad.csv",
        CLAIM_HEADER_CN,
        [
            claim_row(1, 定点医药机构编号="[/]", 医疗类别="[red]99"),
            claim_row(2, 定点医药机构编号="[/]"),
        ],
    )
    ws = tmp_path / "ws"
    res = _ingest(ws, f)
    assert res.exit_code == 1, res.output
    assert "[b]bad.csv" in res.output
    res = runner.invoke(app, ["quarantine", str(ws)])
    assert res.exit_code == 0, res.output
    assert "[red]99" in res.output and "Traceback" not in res.output


def test_console_keeps_our_tags_and_prints_every_other_bracket():
    from rich.table import Table

    c = SafeConsole(width=80, record=True, color_system=None)
    c.print("[red]错误[/red]: 机构 [/] [bold]x :smile:")
    t = Table("编号")
    t.add_row("[/]")
    c.print(t)
    with c.status("导入 [/] …") as s:
        s.update("导入 [/b] …")
    text = c.export_text()
    assert "错误: 机构 [/] [bold]x :smile:" in text and "│ [/]" in text


def test_safe_cells_never_write_formulas_on_ordinary_sheets(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(safe_cells(ws, ["=2+5", "+1", "-3", "@A1", "\t=1", "普通", 12, None]))
    wb.save(tmp_path / "x.xlsx")
    from openpyxl import load_workbook

    cells = list(load_workbook(tmp_path / "x.xlsx").active.iter_rows())[0]
    assert [c.value for c in cells[:7]] == ["=2+5", "+1", "-3", "@A1", "\t=1", "普通", 12]
    assert all(c.data_type == "s" for c in cells[:6]) and cells[6].data_type == "n"
    assert all(c.quotePrefix for c in cells[:5]) and not cells[5].quotePrefix


# §6 personal data ---------------------------------------------------------------------------


def _quarantined_ws(tmp_path: Path) -> tuple[Path, str]:
    bad_id = valid_id(7)[:-1] + ("0" if valid_id(7)[-1] != "0" else "1")
    f = write_csv(
        tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1, 证件号码=bad_id), claim_row(2)]
    )
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    assert _ingest(ws, f).exit_code == 1
    return ws, bad_id


def test_quarantine_unmask_needs_a_stored_inspector_and_is_audited(tmp_path, monkeypatch):
    ws, bad_id = _quarantined_ws(tmp_path)
    res = runner.invoke(app, ["quarantine", str(ws)])
    assert res.exit_code == 0 and bad_id not in res.output and bad_id[:6] in res.output
    res = runner.invoke(app, ["quarantine", str(ws), "--unmask"])
    assert res.exit_code == 2 and bad_id not in res.output and "yibao user add" in res.output
    monkeypatch.setenv("YIBAO_PASSWORD", "s3cret-pass")
    add = ["user", "add", "wang", "--role", "审计", "--workspace", str(ws)]
    assert runner.invoke(app, add).exit_code == 0
    monkeypatch.setenv("YIBAO_PASSWORD", "guess-guess")
    res = runner.invoke(app, ["quarantine", str(ws), "--unmask", "--user", "wang"])
    assert res.exit_code == 2 and bad_id not in res.output
    monkeypatch.setenv("YIBAO_PASSWORD", "s3cret-pass")
    res = runner.invoke(app, ["quarantine", str(ws), "--unmask", "--user", "wang"])
    assert res.exit_code == 0 and bad_id in res.output
    audit = [a[:4] for a in unmask_audit(ws)]  # the control plane's audit log (issue 18)
    assert audit == [("wang", "复核", "quarantine --unmask", 1)]  # 审计 is the reviewer role


def test_user_add_refuses_unknown_roles_and_short_passwords(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    monkeypatch.setenv("YIBAO_PASSWORD", "long-enough")
    res = runner.invoke(app, ["user", "add", "a", "--role", "boss", "-w", str(ws)])
    assert res.exit_code == 2 and "未知的角色" in res.output
    monkeypatch.setenv("YIBAO_PASSWORD", "short")
    res = runner.invoke(app, ["user", "add", "a", "--role", "稽核", "-w", str(ws)])
    assert res.exit_code == 2 and "至少 8" in res.output
    monkeypatch.setenv("YIBAO_PASSWORD", "long-enough")
    assert (
        runner.invoke(app, ["user", "add", "a", "--role", "inspector", "-w", str(ws)]).exit_code
        == 0
    )
    res = runner.invoke(app, ["user", "list", "-w", str(ws)])
    assert res.output.split() == ["a", "稽核"]


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_workspace_files_are_private(tmp_path):
    ws, _ = _quarantined_ws(tmp_path)
    assert _mode(ws) == 0o700 and _mode(ws / "tmp") == 0o700
    assert _mode(ws / "workspace.duckdb") == 0o600 and _mode(ws / "yibao.yaml") == 0o600
    # A workspace made under a permissive umask is tightened when opened.
    os.chmod(ws, 0o755)
    os.chmod(ws / "workspace.duckdb", 0o644)
    runner.invoke(app, ["ingest", str(ws), str(tmp_path / "c.csv"), "--table", "claims"])
    assert _mode(ws) == 0o700 and _mode(ws / "workspace.duckdb") == 0o600


def test_plaintext_copies_are_removed_on_open_and_after_kill_9(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    stale = ws / "tmp" / "yibao-plain-left.csv"
    stale.write_text("43092119800517001X", encoding="utf-8")
    # Issue 12: init refuses an existing workspace; any command that opens it clears tmp/.
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 2
    assert runner.invoke(app, ["user", "list", "--workspace", str(ws)]).exit_code == 0
    assert not stale.exists()
    # A real GBK import killed while its UTF-8 copy exists.
    line = ",".join(str(c) for c in claim_row(1, 人员身份类别="低保对象")) + "\n"
    big = tmp_path / "big.csv"
    with big.open("w", encoding="gbk") as fh:
        fh.write(",".join(CLAIM_HEADER_CN) + "\n")
        for i in range(300_000):
            fh.write(line.replace("S000001", f"S{i:07d}", 1))
    proc = subprocess.Popen(
        [*YIBAO, "ingest", str(ws), str(big), "--table", "claims"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list((ws / "tmp").glob("yibao-plain-*")):
        assert proc.poll() is None and time.monotonic() < deadline, "no plaintext copy seen"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list((ws / "tmp").glob("yibao-plain-*"))  # the kill left it …
    res = runner.invoke(app, ["quarantine", str(ws)])  # … a reader does not touch it …
    assert res.exit_code == 0
    # … the next command that opens it for writing removes it
    assert runner.invoke(app, ["user", "list", "--workspace", str(ws)]).exit_code == 0
    assert not list((ws / "tmp").glob("yibao-plain-*"))
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM claims").fetchone() == (0,)  # nothing partial
    con.close()


# §7 exit codes and concurrency --------------------------------------------------------------


def test_an_unexpected_error_exits_3_with_one_chinese_sentence_and_a_log(tmp_path, monkeypatch):
    import yibao.ingest as ingest_pkg

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(ingest_pkg, "ingest_file", boom)
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1)])
    assert runner.invoke(app, ["init", str(tmp_path / "ws")]).exit_code == 0
    res = runner.invoke(app, ["ingest", str(tmp_path / "ws"), str(f), "--table", "claims"])
    assert res.exit_code == 3
    out = res.output.strip()
    assert "内部错误" in out and "Traceback" not in out and "secret internals" not in out
    logs = list((tmp_path / "logs").glob("yibao-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in out and _mode(logs[0]) == 0o600
    assert "Traceback" in logs[0].read_text() and "secret internals" in logs[0].read_text()


HOLD = """
import sys
from yibao.engine import Workspace
ws = Workspace.open(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()  # hold the lock until the test says so
ws.close()
"""


def test_a_second_writer_waits_then_gets_a_clear_message(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1)])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(ws)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        cmd = [*YIBAO, "ingest", str(ws), str(f), "--table", "claims"]
        env = {**os.environ, "YIBAO_LOCK_WAIT": "0.5"}
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert res.returncode == 2, res.stderr
        assert "正被另一个 yibao 进程" in res.stderr and "Traceback" not in res.stderr
        env["YIBAO_LOCK_WAIT"] = "120"
        waiting = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the first writer
        holder.stdin.write("release\n")
        holder.stdin.flush()
        out, err = waiting.communicate(timeout=180)
        assert waiting.returncode == 0, err.decode()  # waited, then loaded
    finally:
        holder.kill()
        holder.wait()


def test_settle_prints_a_hospital_coded_like_markup(tmp_path):
    """Issue 11 §4: ``[/]`` as a hospital code crashed settle after it had saved its results."""
    rows = [claim_row(1, 定点医药机构编号="[/]", 基本医疗保险统筹基金支出="1.00")]
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, rows)
    ws = tmp_path / "ws"
    assert _ingest(ws, f).exit_code == 0
    res = runner.invoke(app, ["settle", str(ws), "--year", "2021"])
    assert res.exit_code == 0, res.output
    assert "│ [/]" in res.output
