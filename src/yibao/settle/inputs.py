"""Claims to settle: read and validate a file, or take a workspace year; collect every reason
a claim cannot be settled (bad values, no policy in force, no rule for its codes)."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from yibao.ingest.loader import drop_stage, stage_and_check
from yibao.ingest.readers import FileRejected
from yibao.ingest.validate import ROW
from yibao.refdata import area_history
from yibao.schema import get_table
from yibao.schema.model import Table
from yibao.schema.tables import MED_TYPE
from yibao.settle.chain import _one_of, period_id
from yibao.settle.params import ChainSpec

#: What `yibao settle --claims` needs: the claims table, without the columns a settlement
#: does not use being required (the issue's input list has no hospital code).
SETTLE_REQUIRED = {
    "setl_id",
    "psn_no",
    "insutype",
    "med_type",
    "setl_time",
    "medfee_sumamt",
    "inscp_scp_amt",
}


def settle_input_table() -> Table:
    claims = get_table("claims")
    cols = tuple(dataclasses.replace(c, required=c.name in SETTLE_REQUIRED) for c in claims.columns)
    return dataclasses.replace(claims, columns=cols)


def policy_errors(
    t: ir.Table, periods: ir.Table, starts: list, spec: ChainSpec, policy_title: str
) -> ir.Table:
    """Rows the policy cannot settle, in the error shape of ingest (row, column, value, reason);
    ``policy_title`` is params.policy_title's 「name」."""
    pid = period_id(t.setl_time.date(), starts)
    valid = periods.filter(periods.p_valid).select(ok_pid="pid")
    first = starts[0].isoformat()  # build_periods refused a policy without a valid period
    x = t.mutate(_pid=pid)
    x = x.left_join(valid, x._pid == valid.ok_pid)
    retiree = _one_of(x.insutype, spec.retiree_insutypes)
    basic = _one_of(x.insutype, spec.basic_insutypes) | _one_of(x.insutype, spec.employee_insutypes)
    known = spec.inpatient_types + spec.chronic_types + spec.general_types
    ruled = retiree | (basic & _one_of(x.med_type, known))
    inpatient = basic & _one_of(x.med_type, spec.inpatient_types)
    # Ingest admits only listed codes; a table built otherwise gets the bare code.
    med_label = x.med_type.substitute({k: f"({v})" for k, v in MED_TYPE.items()}, else_=" ")
    level = x.hi_setl_lv.fill_null("")
    errs = [
        x.filter(x.ok_pid.isnull()).select(
            ROW,
            column_name=ibis.literal("setl_time"),
            value=x.setl_time.cast("string"),
            reason=ibis.literal(
                f"结算时间不在政策{policy_title}的生效期内(自 {first} 起施行,或该时期缺少结算参数)"
            ),
        ),
        x.filter(~ruled).select(
            ROW,
            column_name=ibis.literal("med_type"),
            value=x.insutype + "/" + x.med_type,
            reason="险种 "
            + x.insutype
            + " 的医疗类别 "
            + x.med_type
            + med_label
            + f"在政策{policy_title}中没有待遇规定",
        ),
        x.filter(inpatient & ~_one_of(level, ("1", "2", "3"))).select(
            ROW,
            column_name=ibis.literal("hi_setl_lv"),
            value=level,
            reason=ibis.literal("住院结算须有医保结算等级 1、2 或 3"),
        ),
    ]
    return ibis.union(*errs, distinct=False)


#: Tables that read_claims_file leaves in its private DuckDB connection.
ERRORS, TYPED = "_errors", "_typed"


def read_claims_file(path: Path, today: date) -> tuple[duckdb.DuckDBPyConnection, Table]:
    """Stage and validate a claims file in a private DuckDB, with ingest's checks.

    Returns the connection, holding ``_errors`` (row, column, value, reason) and ``_typed``
    (the valid rows), and the table spec the file was validated against.
    """
    con = duckdb.connect()
    con.register("_areas", pa.table({"code": pa.array(sorted(area_history()), pa.string())}))
    spec = settle_input_table()
    tmpdir = Path(tempfile.gettempdir())
    try:
        checked = stage_and_check(
            con, path, spec, "_areas", stage="_stage", tmpdir=tmpdir, today=today
        )
        # A table, not a view: settle adds the policy's own errors to it.
        con.execute(f"CREATE TEMP TABLE {ERRORS} AS SELECT * FROM {checked.errors}")
        typed_sql = ibis.to_sql(checked.typed, dialect="duckdb")
        con.execute(f"CREATE TEMP TABLE {TYPED} AS {typed_sql}")
    except FileRejected as exc:
        msg = str(exc)
        raise FileRejected(msg if msg.startswith(path.name) else f"{path.name}: {msg}") from None
    finally:
        drop_stage(con, "_stage", tmpdir)  # the two results above are all settle reads
    return con, spec
