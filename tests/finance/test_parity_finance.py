"""DuckDB and PySpark give the same finance tables, to the fen."""

from __future__ import annotations

import pytest

from finance.fin_data import retiree_claim, retiree_workspace, write
from yibao.finance.run import SCHEMAS, run_finance

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _stored(ws) -> dict[str, list[tuple]]:
    return {
        name: ws.con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in SCHEMAS
    }


def test_finance_is_the_same_on_duckdb_and_pyspark(yiyang_ws):
    # A re-settlement of three of the four 2019 claims (S3 left out: counted as not settled).
    yiyang_ws.con.execute(
        "CREATE TABLE settlements AS SELECT * FROM (VALUES "
        "('S1', 2019, 2700.00::DECIMAL(18,2), 0.00::DECIMAL(18,2)), "
        "('S2', 2019, 200.00, 0.00), ('S4', 2019, 0.00, 310.00)) "
        "t(setl_id, year, hifp_pay, hifmi_pay)"
    )
    run_finance(yiyang_ws, 2019, engine="duckdb")
    duck = _stored(yiyang_ws)
    rep = run_finance(yiyang_ws, 2019, engine="pyspark")
    spark = _stored(yiyang_ws)
    assert rep.engine == "pyspark" and rep.expense_basis.startswith("复核结算")
    lines = {ln["line"]: ln for ln in rep.book.lines}
    assert lines["inpatient"]["source"] == 2900 and lines["inpatient"]["diff"] == 100
    assert rep.insurer.claims == 310
    assert any("1 张结算单没有复核结算结果" in n for n in rep.notes)
    assert len(duck["finance_subsidy"]) == 8 and duck["finance_insurer"]
    for name in SCHEMAS:
        assert duck[name] == spark[name], name


def test_retiree_top_up_is_the_same_on_duckdb_and_pyspark(tmp_path):
    claims = [retiree_claim(1, "L00", "11", "1200.00"), retiree_claim(2, "L01", "21", "3500.00")]
    ws = retiree_workspace(tmp_path, 3, claims, "30000.00")
    roster = write(
        tmp_path / "r.csv", ["人员编号", "参加革命工作时期"], [["L00", "抗日"], ["L01", "解放"]]
    )
    try:
        results = {}
        for engine in ("duckdb", "pyspark"):
            rep = run_finance(ws, 2021, engine=engine, roster=roster)
            results[engine] = _stored(ws)["finance_retirees"]
        assert rep.retiree.topup == 3800  # L00 only; L02 is on no roster, L01 spent over quota
    finally:
        ws.close()
    assert results["duckdb"] == results["pyspark"] and len(results["duckdb"]) == 3
