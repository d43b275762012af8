"""Docs that a test keeps true: docs/schema.md and the README's list of commands."""

from __future__ import annotations

from pathlib import Path

import typer.main

from yibao.cli import app
from yibao.schema.docs import render_schema_md

ROOT = Path(__file__).resolve().parents[1]


def test_schema_md_is_generated_from_the_registry():
    on_disk = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert on_disk == render_schema_md(), "docs/schema.md drifted: run `make schema-docs`"


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    names = []
    for name, cmd in click_group.commands.items():
        full = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            names += [f"{full} {sub}" for sub in cmd.commands]
        else:
            names.append(full)
    return names


def test_every_cli_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in _commands(app) if f"yibao {c}" not in readme]
    assert not missing, f"README.md does not mention: {missing}"


def test_readme_set_up_is_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
