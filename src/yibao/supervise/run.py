"""Run the catalogue over one year of a workspace and store ranked findings.

Rules run on DuckDB (the workspace itself) or PySpark (inputs handed over as Parquet); results
always land in the workspace: ``supervise_findings`` (one row per finding, ranked),
``supervise_hospital_summary`` (per hospital and rule) and ``supervise_runs`` (per rule run).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal

import ibis

from yibao.engine.backend import connect_engine, expose_to_spark, unknown_engine
from yibao.engine.workspace import Workspace, transaction
from yibao.pipeline import provenance
from yibao.pipeline.context import resolve_policy
from yibao.policy import Policy
from yibao.schema.derived import DERIVED
from yibao.supervise import inputs as inputs_mod
from yibao.supervise.catalogue import CATALOGUE, RULES
from yibao.supervise.params import SupervisionParams, load_params
from yibao.supervise.rules import STANDARD, Rule, finish, hospital_metrics

_SQL_TYPES = {"string": "VARCHAR", "decimal(18,2)": "DECIMAL(18,2)", "float64": "DOUBLE"}
FOUND_COLUMNS = ("rule", *STANDARD, "evidence")


class SuperviseError(ValueError):
    """A request that cannot run (unknown rule, missing workspace data); message in Chinese."""


@dataclass
class RuleRun:
    rule: Rule
    findings: int = 0
    amount: Decimal = Decimal("0.00")
    seconds: float = 0.0
    skipped: str | None = None  # why the rule did not run


@dataclass
class SuperviseOutcome:
    year: int
    engine: str
    params: SupervisionParams
    runs: list[RuleRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def select_rules(codes: str | list[str] | None) -> list[Rule]:
    """``a,b`` → rules in catalogue order; unknown codes are an error naming the known ones."""
    if codes is None or codes == "" or codes == []:
        return list(CATALOGUE)
    wanted = [c.strip() for c in (codes.split(",") if isinstance(codes, str) else codes)]
    wanted = [c for c in wanted if c]
    unknown = [c for c in wanted if c not in RULES]
    if unknown:
        known = "、".join(RULES)
        raise SuperviseError(f"未知的规则 {', '.join(unknown)};可用的规则: {known}")
    return [r for r in CATALOGUE if r.code in wanted]


#: Claims columns each rule reads (besides the always-required ones); when a column is empty
#: for the whole year (an export without it, or a header ingest did not recognise), the rule
#: says so when it runs instead of quietly finding less.
RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "claim_after_death": ("adm_time",),
    "overlapping_stay": ("adm_time", "dscg_time"),
    "split_admission": ("adm_time", "dscg_time", "dise_codg"),
    "bed_hanging": ("adm_time", "dscg_time"),
    "restricted_diagnosis": ("dise_codg",),
    "hospital_cost_outlier": ("hi_setl_lv",),
    "hospital_los_outlier": ("adm_time", "dscg_time"),
    "hospital_readmission_outlier": ("adm_time", "dscg_time"),
    "offsite_check": ("offsite_flag", "adm_time", "dscg_time"),
}


def lost_inputs(ws: Workspace, year: int, selected: list[Rule]) -> list[str]:
    """One sentence per rule that lost an input column: which, and the dropped header that
    probably held it (from the loads' unrecognised headers)."""
    from yibao.ingest.headers import suggest
    from yibao.schema import get_table

    claims = get_table("claims")
    cols = sorted({c for r in selected for c in RULE_INPUTS.get(r.code, ())})
    if not cols:
        return []
    # The claims table itself, not _sv_claims: these are the claims' own columns, and the view's
    # identity join cost 6.7 s of one core at the city's 19.7 M claims for nothing.
    y = int(year)
    counts = ws.con.execute(
        f"SELECT count(*), {', '.join(f'count({c})' for c in cols)} FROM claims "
        f"WHERE setl_time >= DATE '{y}-01-01' AND setl_time < DATE '{y + 1}-01-01'"
    ).fetchone()
    if not counts[0]:
        return []
    empty = {c for c, n in zip(cols, counts[1:], strict=True) if n == 0}
    if not empty:
        return []
    dropped: dict[str, set[str]] = {}
    for (headers,) in ws.con.execute(
        "SELECT ignored_headers FROM _loads WHERE table_name = 'claims'"
    ).fetchall():
        for h in json.loads(headers or "[]"):
            for c in suggest(claims, h, set()):
                dropped.setdefault(c, set()).add(h)
    out = []
    for rule in selected:
        lost = [c for c in RULE_INPUTS.get(rule.code, ()) if c in empty]
        if not lost:
            continue
        names = "、".join(claims.column(c).label for c in lost)
        hints = sorted({h for c in lost for h in dropped.get(c, ())})
        hint = f"(导入时未识别的表头「{'」「'.join(hints)}」可能就是该列)" if hints else ""
        out.append(
            f"规则「{rule.name}」缺少输入:{year} 年度结算单的{names}全部为空{hint};"
            "该规则按结算时间或空值代替,结果不完整"
        )
    return out


def run_supervision(
    ws: Workspace,
    year: int,
    *,
    rules: str | list[str] | None = None,
    engine: str = "duckdb",
    policy_ref: str | Policy | None = None,
) -> SuperviseOutcome:
    selected = select_rules(rules)
    policy = resolve_policy(ws, policy_ref)
    params = load_params(policy, year)
    con = ws.con
    outcome = SuperviseOutcome(year=year, engine=engine, params=params)
    warnings = inputs_mod.prepare(ws, params)
    settled = year in inputs_mod.settled_years(ws)
    if any(r.needs_settlement for r in selected) and not settled:
        outcome.warnings += warnings
    outcome.warnings += lost_inputs(ws, year, selected)
    if engine == "duckdb":
        backend = connect_engine("duckdb", ws)
    elif engine == "pyspark":
        backend = connect_engine("pyspark", ws)
        names = [n for n in inputs_mod.INPUTS if settled or n != "_sv_discrepancies"]
        expose_to_spark(ws, backend, names)
    else:
        raise SuperviseError(unknown_engine(engine))
    inp = inputs_mod.tables(backend, settled)
    if any(r.code.startswith("hospital_") for r in selected):
        # Three rules share the per-hospital metrics: compute them once (TEMP table / cache).
        inp = replace(inp, hospitals=hospital_metrics(inp, params).cache())
    cols = ", ".join(
        f"{c} {_SQL_TYPES.get(STANDARD.get(c, 'string'), 'VARCHAR')}" for c in FOUND_COLUMNS
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _sv_found ({cols})")
    for rule in selected:
        run = RuleRun(rule)
        outcome.runs.append(run)
        if rule.needs_settlement and not settled:
            run.skipped = (
                f"缺少 {year} 年度结算复核结果,请先运行 yibao settle WORKSPACE --year {year}"
            )
            continue
        t0 = time.perf_counter()
        expr = finish(rule, rule.query(inp, params))
        provenance.record("supervise_findings", f"{rule.code} {rule.name}", expr)
        if engine == "duckdb":
            sql = ibis.to_sql(expr, dialect="duckdb")
            con.execute(f"INSERT INTO _sv_found SELECT * FROM ({sql})")
        else:
            arrow = backend.to_pyarrow(expr)
            con.register("_sv_arrow", arrow)
            con.execute(f"INSERT INTO _sv_found SELECT {', '.join(FOUND_COLUMNS)} FROM _sv_arrow")
            con.unregister("_sv_arrow")
        run.seconds = time.perf_counter() - t0
        n, amount = con.execute(
            "SELECT count(*), coalesce(sum(amount), 0) FROM _sv_found WHERE rule = ?", [rule.code]
        ).fetchone()
        run.findings, run.amount = n, Decimal(amount)
    _store(ws, year, engine, outcome)
    return outcome


def _store(ws: Workspace, year: int, engine: str, outcome: SuperviseOutcome) -> None:
    """Replace the year's findings of the rules that ran, then re-rank the whole year."""
    con = ws.con
    ran = [r for r in outcome.runs if r.skipped is None]
    codes = ", ".join(f"'{r.rule.code}'" for r in ran) or "NULL"
    names = " ".join(f"WHEN '{r.code}' THEN '{r.name}'" for r in CATALOGUE)
    params = json.dumps(outcome.params.shown(), ensure_ascii=False).replace("'", "''")
    y = int(year)
    findings, summary, runs = (
        DERIVED[n] for n in ("supervise_findings", "supervise_hospital_summary", "supervise_runs")
    )
    with transaction(con):
        for t in (findings, summary, runs):
            con.execute(t.ddl())
        con.execute(f"DELETE FROM supervise_findings WHERE year = {y} AND rule IN ({codes})")
        con.execute(
            f"INSERT INTO supervise_findings SELECT {y}, f.rule, CASE f.rule {names} END, NULL, "
            "f.key, f.setl_id, f.psn_no, coalesce(f.certno, p.certno), p.psn_name, "
            "f.fixmedins_code, i.fixmedins_name, i.hosp_lv, f.dise_codg, f.amount, f.score, "
            f"f.evidence, '{engine}', now()::TIMESTAMP FROM _sv_found f "
            "LEFT JOIN persons p ON p.psn_no = f.psn_no "
            "LEFT JOIN institutions i ON i.fixmedins_code = f.fixmedins_code"
        )
        # Rank: money at risk first, then the strength of the signal; ties broken by keys.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _sv_ranked AS SELECT * REPLACE (row_number() OVER ("
            "ORDER BY amount DESC NULLS LAST, score DESC NULLS LAST, rule, key) AS rank) "
            f"FROM supervise_findings WHERE year = {y}"
        )
        con.execute(f"DELETE FROM supervise_findings WHERE year = {y}")
        con.execute("INSERT INTO supervise_findings SELECT * FROM _sv_ranked ORDER BY rank")
        con.execute(f"DELETE FROM supervise_hospital_summary WHERE year = {y}")
        con.execute(
            f"INSERT INTO supervise_hospital_summary SELECT {y}, fixmedins_code, "
            "any_value(fixmedins_name), any_value(hosp_lv), rule, count(*), sum(amount) "
            f"FROM supervise_findings WHERE year = {y} AND fixmedins_code IS NOT NULL "
            "GROUP BY fixmedins_code, rule"
        )
        con.execute(f"DELETE FROM supervise_runs WHERE year = {y} AND rule IN ({codes})")
        for r in ran:
            con.execute(
                "INSERT INTO supervise_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [y, r.rule.code, r.rule.name, r.findings, r.amount, r.seconds, engine, params],
            )
