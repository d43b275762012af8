"""A mistyped command line is refused in Chinese, naming what was wrong (typer's is English)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from yibao.cli import app

CASES = [
    (["run", "WS", "--engine"], "参数 --engine 后面缺少取值"),
    (["run", "WS", "--engin", "duckdb"], "没有参数 --engin(是否要用 --engine?)"),
    (["run"], "缺少参数 workspace(工作区目录)"),
    (["run", "WS"], "缺少参数 --year(年度)"),
    (["run", "WS", "--year", "2019", "extra"], "多余的参数: extra"),
    (["bench", "city", "--bogus"], "没有参数 --bogus"),
    (["bench", "city", "--scale"], "参数 --scale 后面缺少取值"),
]


@pytest.mark.parametrize(("args", "said"), CASES)
def test_a_mistyped_command_line_is_refused_in_chinese(tmp_path, args, said):
    args = [str(tmp_path / a) if a == "WS" else a for a in args]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert f"错误: {said}" in res.output
    command = "yibao bench city" if args[0] == "bench" else "yibao run"
    assert f"查看帮助: {command} --help" in res.output
    for english in ("requires an argument", "No such option", "Missing argument", "Got unexpected"):
        assert english not in res.output
    assert "Traceback" not in res.output
