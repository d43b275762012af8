"""A bad engine name gets one Chinese wording wherever it is given (no Python quotes)."""

from __future__ import annotations

import pytest

from yibao.engine.backend import EngineUnavailable, connect_engine
from yibao.payment.inputs import PaymentInputError, backend_for
from yibao.pipeline.context import check_engine

WORDING = "未知的计算引擎「oracle」;可选 duckdb、pyspark"


def test_connect_and_the_pipeline_name_the_bad_engine_the_same_way():
    with pytest.raises(EngineUnavailable) as exc:
        connect_engine("oracle")  # type: ignore[arg-type]
    assert str(exc.value) == WORDING
    with pytest.raises(EngineUnavailable) as exc:
        check_engine("oracle")
    assert str(exc.value) == WORDING


def test_payment_names_the_bad_engine_the_same_way():
    with pytest.raises(PaymentInputError) as exc:
        backend_for(None, "oracle", [])  # type: ignore[arg-type]
    assert str(exc.value) == WORDING


@pytest.mark.parametrize("given", [["--engine", "oracle"], ["--engine=oracle"]])
def test_the_cli_refuses_a_bad_engine_in_chinese(tmp_path, given):
    """Typer's own refusal was English ("Invalid value for '--engine' … is not one of …")."""
    from typer.testing import CliRunner

    from yibao.cli import app

    res = CliRunner().invoke(app, ["run", str(tmp_path / "ws"), *given])
    assert res.exit_code == 2
    assert "参数 --engine 的取值「oracle」无效;可选 duckdb、pyspark" in res.output
    assert "Invalid value" not in res.output
    assert "Traceback" not in res.output
