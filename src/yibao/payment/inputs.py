"""The claims a payment method reads, as Ibis expressions over DuckDB or PySpark.

Cases are inpatient 结算单 of local hospitals (off-site ones are paid where they happen, not by
the region's DIP); money is integer fen so that both engines compute the same integers.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from yibao.engine.backend import connect_engine, expose_to_spark, unknown_engine
from yibao.engine.workspace import Workspace
from yibao.money import fen_expr
from yibao.refdata import complication_levels
from yibao.schema.codes import INPATIENT_MED_TYPES

SEVERITY_TABLE = "_ref_dip_severity"
#: Treatment kinds of 综合病种 by the ICD-9-CM-3 chapter of the main procedure.
TREATMENTS = {"C": "保守治疗", "D": "诊断性操作", "T": "治疗性操作", "S": "手术"}


class PaymentInputError(ValueError):
    """Missing or unusable data for a payment run; the message is Chinese."""


def ensure_refs(ws: Workspace) -> None:
    """The CHS-DRG CC/MCC lists as a workspace TEMP table (severity coefficient)."""
    levels = complication_levels()
    tbl = pa.table(
        {
            "code": pa.array(list(levels), pa.string()),
            "severity": pa.array(list(levels.values()), pa.string()),
        }
    )
    ws.con.register("_sev_src", tbl)
    ws.con.execute(f"CREATE OR REPLACE TEMP TABLE {SEVERITY_TABLE} AS SELECT * FROM _sev_src")
    ws.con.unregister("_sev_src")


def backend_for(ws: Workspace, engine: str, tables: list[str]) -> BaseBackend:
    """The engine's backend with ``tables`` visible by name (Parquet hand-over for Spark)."""
    if engine == "duckdb":
        return connect_engine("duckdb", ws)
    if engine == "pyspark":
        b = connect_engine("pyspark", ws)
        expose_to_spark(ws, b, tables)
        return b
    raise PaymentInputError(unknown_engine(engine))


def claim_years(ws: Workspace) -> list[int]:
    rows = ws.con.execute(
        "SELECT DISTINCT year(setl_time) FROM claims WHERE setl_time IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [int(r[0]) for r in rows]


def treatment_code(proc: ir.StringValue) -> ir.StringValue:
    """C 保守 (no procedure), D 诊断性 (87–91), T 治疗性 (92–99), S 手术 (00–86)."""
    head = proc.substr(0, 2).try_cast("int64")
    return ibis.cases(
        (proc.isnull(), "C"),
        (head.between(87, 91), "D"),
        (head >= 92, "T"),
        else_="S",
    )


def inpatient_cases(b: BaseBackend, years: list[int], dx_len: int, proc_len: int) -> ir.Table:
    """Local inpatient cases of ``years`` with their grouping keys and money in fen."""
    c = b.table("claims")
    yr = c.setl_time.year().cast("int32")
    local = c.offsite_flag.isnull() | (c.offsite_flag != "1")
    t = c.filter(yr.isin(years), c.med_type.isin(list(INPATIENT_MED_TYPES)), local)
    dx = t.dise_codg.strip()
    proc = t.oprn_oprt_code.strip()
    proc = ibis.cases((proc == "", ibis.null("string")), else_=proc)
    proc_key = proc.substr(0, proc_len)
    return t.select(
        "setl_id",
        "psn_no",
        "fixmedins_code",
        "setl_time",
        dise_codg=dx,
        year=t.setl_time.year().cast("int32"),
        month=t.setl_time.month().cast("int32"),
        hi_setl_lv=t.hi_setl_lv,
        dx_key=dx.substr(0, dx_len),
        proc_key=proc_key.fill_null(""),
        chapter=dx.substr(0, 1),
        treatment=treatment_code(proc_key),
        medfee_fen=fen_expr(t.medfee_sumamt),
        hifp_fen=fen_expr(t.hifp_pay.fill_null(0)),
    )


def inpatient_totals(b: BaseBackend, year: int) -> ir.Table:
    """All inpatient cases and fund of the year (local and off-site): the indicators' base."""
    c = b.table("claims")
    t = c.filter(c.setl_time.year() == year, c.med_type.isin(list(INPATIENT_MED_TYPES)))
    return t.aggregate(n=t.count(), hifp_fen=fen_expr(t.hifp_pay.fill_null(0)).sum())
