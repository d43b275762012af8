"""The inputs of the rules, prepared once per run on the workspace's DuckDB.

Large inputs stay views (each rule scans them once); what several rules reuse is materialised
as a TEMP table, because Ibis inlines expressions and would otherwise recompute it per rule.
For PySpark the same tables are handed over as Parquet (``expose_to_spark``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from yibao.engine.workspace import Workspace
from yibao.identity.engine import certno_problem, check_char_expr
from yibao.ingest.headers import map_headers
from yibao.ingest.validate import one_of
from yibao.schema import TABLES
from yibao.schema.codes import INPATIENT_MED_TYPES
from yibao.settle.identity import with_identity
from yibao.supervise.params import SupervisionParams

#: Stays of the previous months are context for overlaps and readmissions in January.
LOOKBACK_DAYS = 120

INPUTS = (
    "_sv_claims_own",
    "_sv_stays",
    "_sv_persons",
    "_sv_enrol",
    "_sv_institutions",
    "_sv_bad_ids",
    "_sv_discrepancies",
    "_sv_accounts",
    "_sv_employers",
)


@dataclass(frozen=True)
class Inputs:
    """Ibis tables on the engine that runs the rules."""

    claims: ir.Table  # claims settled in the year as loaded, with fund_pay
    stays: ir.Table  # inpatient claims (year + lookback) with the previous stay of the person
    persons: ir.Table
    enrolments: ir.Table  # enrolments of the year, certno filled from persons
    institutions: ir.Table
    bad_ids: ir.Table  # psn_no, certno, table_name, reason: quarantined or failing the ID check
    discrepancies: ir.Table | None  # settle_discrepancies of the year; None when settle never ran
    hospitals: ir.Table | None = None  # per-hospital stay metrics, cached (three rules use them)
    accounts: ir.Table | None = None  # personal_accounts of the year (empty before finance)
    employers: ir.Table | None = None  # finance_employers of the year (empty before finance)


def _sql(expr: ir.Expr) -> str:
    return ibis.to_sql(expr, dialect="duckdb")


def fund_pay(t: ir.Table) -> ir.DecimalValue:
    """Σ of the fund payments (基本医保 + 大额补助 + 大病 + 救助), exact DECIMAL(18,2)."""
    zero = ibis.literal(0, "decimal(18,2)")
    total = t.hifp_pay.fill_null(zero) + t.hifmi_pay.fill_null(zero) + t.maf_pay.fill_null(zero)
    total = total + t.hifob_pay.fill_null(zero)
    return total.cast("decimal(18,2)")


def _stays(claims: ir.Table) -> ir.Table:
    """Inpatient stays with derived dates, length of stay and the person's previous stay."""
    c = claims.filter(one_of(claims.med_type, INPATIENT_MED_TYPES))
    adm = c.adm_time.fill_null(c.setl_time)
    dscg = c.dscg_time.fill_null(c.setl_time)
    c = c.mutate(adm=adm, dscg=dscg)
    days = c.dscg.date().delta(c.adm.date(), unit="day")
    c = c.mutate(
        los=c.act_ipt_days.fill_null(ibis.greatest(days, 1)).cast("int64"),
        dx3=c.dise_codg.upper().substr(0, 3),
    )
    w = ibis.window(group_by="psn_no", order_by=[c.adm, c.setl_id])
    c = c.mutate(
        prev_setl_id=c.setl_id.lag().over(w),
        prev_dscg=c.dscg.lag().over(w),
        prev_dx3=c.dx3.lag().over(w),
        prev_fixmedins_code=c.fixmedins_code.lag().over(w),
    )
    return c.mutate(gap_days=c.adm.date().delta(c.prev_dscg.date(), unit="day"))


def _has_table(ws: Workspace, name: str) -> bool:
    return (
        ws.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
        > 0
    )


def settled_years(ws: Workspace) -> set[int]:
    if not _has_table(ws, "settlements"):
        return set()
    return {r[0] for r in ws.con.execute("SELECT DISTINCT year FROM settlements").fetchall()}


def _quarantined_ids_sql(ws: Workspace) -> str:
    """psn_no / certno of rows quarantined for their 身份证号, read from the raw record JSON.

    The record is keyed by the file's own headers, so each load's headers are mapped once
    (one row per load, not per record) and the values are extracted set-based.
    """
    con = ws.con
    loads = con.execute(
        "SELECT load_id, table_name, any_value(record)::VARCHAR FROM _quarantine "
        "WHERE column_name = 'certno' AND table_name IN ('persons', 'enrolments') "
        "GROUP BY 1, 2 ORDER BY 1"
    ).fetchall()
    parts = []
    for load_id, table_name, record in loads:
        headers = list(json.loads(record)) if record else []
        cols = map_headers(TABLES[table_name], headers).columns
        if "psn_no" not in cols:
            continue

        def field(name: str, cols: dict = cols, headers: list = headers) -> str:
            if name not in cols:
                return "NULL::VARCHAR"
            h = headers[cols[name]].replace("'", "''").replace('"', '\\"')
            return f"trim(json_extract_string(record, '$.\"{h}\"'))"

        parts.append(
            f"SELECT {field('psn_no')} AS psn_no, upper(value) AS certno, "
            f"'{table_name}' AS table_name, reason FROM _quarantine WHERE load_id = {int(load_id)} "
            "AND column_name = 'certno'"
        )
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS psn_no, NULL::VARCHAR AS certno, "
            "NULL::VARCHAR AS table_name, NULL::VARCHAR AS reason LIMIT 0"
        )
    return " UNION ALL ".join(parts)


def prepare(ws: Workspace, params: SupervisionParams) -> list[str]:
    """Create the ``_sv_*`` views and TEMP tables; returns warnings for the user (Chinese)."""
    con = ws.con
    duck = ibis.duckdb.from_connection(con)
    start = params.year_start
    context = start - timedelta(days=LOOKBACK_DAYS)
    nxt = date(params.year + 1, 1, 1)
    warnings: list[str] = []

    claims = duck.table("claims").drop("_load_id", "_row")
    claims = claims.mutate(fund_pay=fund_pay(claims))
    in_year = claims.filter((claims.setl_time >= start) & (claims.setl_time < nxt))
    # The rules read the claims as loaded: none of them uses 人员身份类别, and the identity
    # joins cost 2-3 s per rule at the city's 19.7 M claims (DuckDB keeps a LEFT JOIN whose
    # columns go unused).  _sv_claims is the same year with 人员身份类别 filled from the
    # registers as settlement fills it, for a rule or a reviewer that needs it.
    con.execute(f"CREATE OR REPLACE TEMP VIEW _sv_claims_own AS {_sql(in_year)}")
    identity = with_identity(in_year, duck.table("enrolments"), duck.table("persons"))
    con.execute(f"CREATE OR REPLACE TEMP VIEW _sv_claims AS {_sql(identity)}")
    ctx = claims.filter((claims.setl_time >= context) & (claims.setl_time < nxt))
    stays = _stays(ctx).mutate(in_year=ctx.setl_time >= start)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sv_stays AS {_sql(stays)}")

    con.execute(
        "CREATE OR REPLACE TEMP VIEW _sv_persons AS SELECT * EXCLUDE (_load_id, _row) FROM persons"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _sv_institutions AS "
        "SELECT * EXCLUDE (_load_id, _row) FROM institutions"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _sv_enrol AS SELECT e.psn_no, e.year, e.insutype, "
        "e.region_code, upper(coalesce(e.certno, p.certno)) AS certno, e.enrol_date, "
        "e.end_date, e.emp_no "
        f"FROM enrolments e LEFT JOIN persons p USING (psn_no) WHERE e.year = {params.year}"
    )
    # Loaded rows failing the same GB 11643 check as ingest (data loaded by other means, or
    # an area code that never existed), plus the rows ingest quarantined for their ID.
    p = duck.table("persons")
    areas = duck.table("_ref_area_codes")
    loaded_bad = loaded_bad_ids(p, date.today())
    unknown_area = p.filter(p.certno.substr(0, 6).notin(areas.code)).select(
        psn_no=p.psn_no,
        certno=p.certno.upper(),
        table_name=ibis.literal("persons"),
        reason=ibis.literal("身份证号地址码不是曾用过的行政区划代码"),
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sv_bad_ids AS "
        f"SELECT * FROM ({_quarantined_ids_sql(ws)}) UNION ALL {_sql(loaded_bad)} "
        f"UNION ALL {_sql(unknown_area)}"
    )
    if params.year in settled_years(ws):
        con.execute(
            "CREATE OR REPLACE TEMP VIEW _sv_discrepancies AS SELECT * FROM "
            f"settle_discrepancies WHERE year = {params.year}"
        )
    else:
        con.execute("DROP VIEW IF EXISTS _sv_discrepancies")
        warnings.append(
            f"工作区没有 {params.year} 年度的结算复核结果:规则 payment_mismatch(结算金额与复核不符)"
            f"需要先运行 yibao settle WORKSPACE --year {params.year}"
        )
    _finance_inputs(ws, params.year)
    return warnings


def loaded_bad_ids(persons: ir.Table, today: date) -> ir.Table:
    """Persons whose 身份证号 fails GB 11643, with the reason.

    Each stage is a projection of its own, as in ingest's prepare: written as one expression,
    the check character was computed four times per person (the filter and the reason, each
    comparing and quoting it), 12.4 s for the city's 4.7 M persons against 3.0 s.
    """
    p = persons.mutate(_u=persons.certno.upper())
    p = p.mutate(_k=check_char_expr(p._u.substr(0, 17)))
    p = p.mutate(_problem=certno_problem(p._u, today, p._k))
    return p.filter(p._problem.notnull()).select(
        psn_no=p.psn_no, certno=p._u, table_name=ibis.literal("persons"), reason=p._problem
    )


def _finance_inputs(ws: Workspace, year: int) -> None:
    """personal_accounts and finance_employers of the year, empty when finance has not run."""
    from yibao.schema.derived import DERIVED

    for view, name in (
        ("_sv_accounts", "personal_accounts"),
        ("_sv_employers", "finance_employers"),
    ):
        t = DERIVED[name]
        if _has_table(ws, name):
            sql = f"SELECT * FROM {name} WHERE year = {int(year)}"
        else:
            cols = ", ".join(f'NULL::{c.sql_type} AS "{c.name}"' for c in t.columns)
            sql = f"SELECT {cols} LIMIT 0"
        ws.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {sql}")


def tables(backend: ibis.BaseBackend, with_discrepancies: bool) -> Inputs:
    return Inputs(
        claims=backend.table("_sv_claims_own"),
        stays=backend.table("_sv_stays"),
        persons=backend.table("_sv_persons"),
        enrolments=backend.table("_sv_enrol"),
        institutions=backend.table("_sv_institutions"),
        bad_ids=backend.table("_sv_bad_ids"),
        discrepancies=backend.table("_sv_discrepancies") if with_discrepancies else None,
        accounts=backend.table("_sv_accounts"),
        employers=backend.table("_sv_employers"),
    )
