"""yibao.yaml is validated like a policy: file, key and problem, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.engine import Workspace
from yibao.engine.workspace import WorkspaceError


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        ("engine: sparky", "engine", "duckdb 或 pyspark"),
        ('memory_limit: "4GB\'; CREATE TABLE pwned AS SELECT 1; --"', "memory_limit", "如 4GB"),
        ("colour: blue", "colour", "未知的设置项"),
        ("schema_version: one", "schema_version", "整数"),
        ("threads: 0", "threads", "正整数"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(tmp_path: Path, line: str, key: str, words: str):
    Workspace.create(tmp_path / "w").close()
    cfg = tmp_path / "w" / "yibao.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    with pytest.raises(WorkspaceError) as exc:
        Workspace.open(tmp_path / "w")
    text = str(exc.value)
    assert "yibao.yaml" in text and key in text and words in text


def test_a_broken_yaml_names_the_line(tmp_path: Path):
    Workspace.create(tmp_path / "w").close()
    (tmp_path / "w" / "yibao.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="YAML 语法错误"):
        Workspace.open(tmp_path / "w")


def test_valid_settings_open(tmp_path: Path):
    Workspace.create(tmp_path / "w").close()
    cfg = tmp_path / "w" / "yibao.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "memory_limit: 2GB\n", encoding="utf-8")
    with Workspace.open(tmp_path / "w") as ws:
        assert ws.config["memory_limit"] == "2GB"


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_reach_duckdb(tmp_path: Path, threads: int):
    """The `threads` key is not only validated: the workspace's DuckDB runs with it."""
    Workspace.create(tmp_path / "w").close()
    cfg = tmp_path / "w" / "yibao.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + f"threads: {threads}\nmemory_limit: 1GB\n",
        encoding="utf-8",
    )
    for read_only in (False, True):
        with Workspace.open(tmp_path / "w", read_only=read_only) as ws:
            got = ws.con.execute("SELECT current_setting('threads')").fetchone()[0]
            assert int(got) == threads
            limit = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            assert limit.replace(" ", "") in ("953.6MiB", "1.0GiB", "1000.0MB")
