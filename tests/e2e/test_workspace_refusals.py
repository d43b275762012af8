"""Issue 12: commands that need a workspace refuse a path that is not one, with one message,
and never create it; init refuses an existing workspace and stores the policy relatively."""

from __future__ import annotations

import shutil

import pytest
import yaml
from typer.testing import CliRunner

from helpers import CLAIM_HEADER_CN, claim_row, write_csv
from yibao.cli import app

runner = CliRunner()

COMMANDS = [
    ["ingest", "{ws}", "{f}", "--table", "claims"],
    ["quarantine", "{ws}"],
    ["settle", "{ws}", "--year", "2021"],
    ["settle", "{ws}", "--explain", "S1"],
    ["finance", "{ws}", "--year", "2021"],
    ["supervise", "{ws}", "--year", "2021"],
    ["run", "{ws}", "--year", "2021"],
    ["check", "{ws}"],
    ["evaluate", "{ws}", "--framework", "generic-2020", "--year", "2021"],
    ["payment", "{ws}", "--year", "2021"],
    ["user", "list", "--workspace", "{ws}"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_a_mistyped_workspace_is_refused_with_one_message_and_never_created(tmp_path, args):
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1)])
    ws = tmp_path / "no-such-ws"
    res = runner.invoke(app, [a.format(ws=ws, f=f) for a in args])
    said = res.output.replace("\n", "")  # the console folds long lines
    assert res.exit_code == 2, res.output
    assert f"{ws} 不是 yibao 工作区(缺少 yibao.yaml);请先运行 yibao init {ws}" in said
    assert "Traceback" not in res.output and not ws.exists()


def test_an_existing_directory_that_is_no_workspace_is_refused_too(tmp_path):
    (tmp_path / "data").mkdir()
    res = runner.invoke(app, ["quarantine", str(tmp_path / "data")])
    assert res.exit_code == 2 and "不是 yibao 工作区" in res.output


def test_init_refuses_an_existing_workspace_and_changes_nothing(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--name", "赫山"]).exit_code == 0
    before = (ws / "yibao.yaml").read_text(encoding="utf-8")
    res = runner.invoke(app, ["init", str(ws), "--name", "别的"])
    assert res.exit_code == 2 and "已经是 yibao 工作区" in res.output
    assert "已创建" not in res.output
    assert (ws / "yibao.yaml").read_text(encoding="utf-8") == before


def test_a_policy_file_is_stored_relative_so_the_workspace_can_move(tmp_path):
    from yibao.policy.loader import PRESET_DIR

    proj = tmp_path / "proj"
    (proj / "policies").mkdir(parents=True)
    shutil.copy(PRESET_DIR / "demo-county.yaml", proj / "policies" / "本县.yaml")
    ws = proj / "ws"
    res = runner.invoke(app, ["init", str(ws), "--policy", str(proj / "policies" / "本县.yaml")])
    assert res.exit_code == 0, res.output
    cfg = yaml.safe_load((ws / "yibao.yaml").read_text(encoding="utf-8"))
    assert cfg["policy"] == "../policies/本县.yaml"
    moved = tmp_path / "elsewhere"
    shutil.move(str(proj), str(moved))
    f = write_csv(tmp_path / "c.csv", CLAIM_HEADER_CN, [claim_row(1)])
    assert runner.invoke(app, ["ingest", str(moved / "ws"), str(f), "-t", "claims"]).exit_code == 0
    res = runner.invoke(app, ["settle", str(moved / "ws"), "--year", "2021"])
    assert res.exit_code == 0, res.output
