"""What the pages read from the DuckDB workspace, with the user's region scope in every query.

Each function takes a DuckDB cursor (one per request: cursors of the server's connection read a
consistent snapshot while the job runner writes) and the user.  A region-scoped user gets only
rows whose ``region_code`` starts with their scope, filtered in SQL; whole-fund totals (rows
without a region) are for users whose scope is the whole workspace.  Personal columns come back
masked unless the caller asks to unmask, which the route allows only for unmasking roles and
audits before the page is rendered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from yibao.privacy import mask_record

PAGE = 50
#: Workspace metadata (table names, years, rule names; nothing user-specific) is cached for a
#: few seconds and dropped whenever a job has written the workspace.
META_TTL = 5.0
_meta: dict[str, tuple[int, float, Any]] = {}
_meta_lock = threading.Lock()
_generation = 0


def invalidate() -> None:
    """Called by the job runner after every job (the workspace may have changed)."""
    global _generation
    with _meta_lock:
        _generation += 1
        _meta.clear()


class Reader:
    """A request's DuckDB cursor, with the workspace it reads (the metadata cache's key)."""

    def __init__(self, cur: Any, key: str) -> None:
        self.cur, self.cache_key = cur, key

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)


def _cached(cur: Any, key: str, compute: Callable[[], Any]) -> Any:
    ws = getattr(cur, "cache_key", None)
    if ws is None:  # a bare cursor (scripts, tests): no cache
        return compute()
    key = f"{ws}:{key}"
    now = time.monotonic()
    with _meta_lock:
        hit = _meta.get(key)
        gen = _generation
    if hit is not None and hit[0] == gen and now - hit[1] < META_TTL:
        return hit[2]
    value = compute()
    with _meta_lock:
        if gen == _generation:
            _meta[key] = (gen, now, value)
    return value


def tables(cur: Any) -> set[str]:
    def get() -> set[str]:
        return {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}

    return _cached(cur, "tables", get)


def _rows(cur: Any, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    res = cur.execute(sql, params or [])
    cols = [d[0] for d in res.description]
    return [dict(zip(cols, r, strict=True)) for r in res.fetchall()]


def scope_sql(who: Any, column: str = "region_code") -> tuple[str, list[Any]]:
    """The region predicate of a user (parameterised)."""
    if not who.region_scope:
        return "TRUE", []
    return f"starts_with(coalesce({column}, ''), ?)", [who.region_scope]


def years(cur: Any) -> list[int]:
    def get() -> list[int]:
        have = tables(cur)
        found: set[int] = set()
        for t in ("finance_balance", "indicator_values", "supervise_findings", "evaluate_results"):
            if t in have:
                found |= {r[0] for r in cur.execute(f"SELECT DISTINCT year FROM {t}").fetchall()}
        return sorted(found)

    return _cached(cur, "years", get)


def regions(cur: Any, who: Any) -> list[dict[str, Any]]:
    if "regions" not in tables(cur):
        return []
    where, params = scope_sql(who)
    return _rows(
        cur,
        f"SELECT region_code, region_name, level FROM regions WHERE {where} ORDER BY 1",
        params,
    )


def overview(cur: Any, who: Any) -> dict[str, Any]:
    """Fund income, expense, balance and reserve per year; coverage; subsidy arrival."""
    have = tables(cur)
    out: dict[str, Any] = {"balance": [], "subsidy": [], "coverage": [], "accounts": []}
    if "finance_balance" in have and not who.region_scope:
        out["balance"] = _rows(
            cur,
            "SELECT year, income, expense, closing, months_of_reserve FROM finance_balance "
            "ORDER BY year",
        )
    if "finance_accounts" in have and not who.region_scope:
        out["accounts"] = _rows(
            cur,
            "SELECT year, direction, label, ledger FROM finance_accounts ORDER BY year, direction",
        )
    where, params = scope_sql(who)
    if "finance_subsidy" in have:
        out["subsidy"] = _rows(
            cur,
            "SELECT year, region_code, region_name, budget_level, due, received, arrival_rate "
            f"FROM finance_subsidy WHERE {where} ORDER BY year, region_code, budget_level",
            params,
        )
    if "indicator_values" in have:
        cov_where = where if who.region_scope else "TRUE"
        out["coverage"] = _rows(
            cur,
            "SELECT year, region_code, value FROM indicator_values "
            f"WHERE code = 'coverage_rate_resident' AND ({cov_where}) "
            "AND (region_code IS NOT NULL OR ?) ORDER BY year, region_code NULLS FIRST",
            [*(params if who.region_scope else []), not who.region_scope],
        )
    return out


def indicator_values(cur: Any, who: Any, year: int) -> list[dict[str, Any]]:
    if "indicator_values" not in tables(cur):
        return []
    where, params = scope_sql(who)
    return _rows(
        cur,
        "SELECT code, name, region_code, value, unit, numerator, denominator FROM indicator_values "
        f"WHERE year = ? AND (({where} AND region_code IS NOT NULL) "
        "OR (region_code IS NULL AND ?)) "
        "ORDER BY code, region_code NULLS FIRST",
        [year, *params, not who.region_scope],
    )


def evaluation_lines(cur: Any, year: int, framework: str) -> list[dict[str, Any]]:
    if "evaluate_lines" not in tables(cur):
        return []
    return _rows(
        cur,
        "SELECT * FROM evaluate_lines WHERE year = ? AND framework = ? ORDER BY seq",
        [year, framework],
    )


def evaluation_result(cur: Any, year: int, framework: str) -> dict[str, Any] | None:
    if "evaluate_results" not in tables(cur):
        return None
    rows = _rows(
        cur,
        "SELECT * FROM evaluate_results WHERE year = ? AND framework = ?",
        [year, framework],
    )
    return rows[0] if rows else None


def indicator_queries(cur: Any, code: str) -> list[str]:
    """The SQL text of the latest evaluate run's query of an indicator (provenance)."""
    if "_run_queries" not in tables(cur):
        return []
    rows = cur.execute(
        "SELECT sql FROM _run_queries WHERE label = ? ORDER BY run_id DESC LIMIT 1", [code]
    ).fetchall()
    return [r[0] for r in rows]


#: Findings with their region from ``supervise_finding_regions`` (the cases step writes it).
FINDINGS_SQL = """
SELECT f.*, r.region_code FROM supervise_findings f
JOIN supervise_finding_regions r ON r.year = f.year AND r.rule = f.rule AND r.key = f.key
WHERE f.year = ? AND ? IS NOT NULL
"""
#: The same computed live, for a workspace whose regions table is not written yet.
FINDINGS_LIVE_SQL = """
WITH f AS (SELECT * FROM supervise_findings WHERE year = ?),
person AS (
  SELECT e.psn_no, min(e.region_code) AS p_region FROM enrolments e
  SEMI JOIN (SELECT psn_no FROM f WHERE psn_no IS NOT NULL) k ON k.psn_no = e.psn_no
  WHERE e.year = ? GROUP BY e.psn_no)
SELECT f.*, coalesce(p.p_region, i.region_code) AS region_code
FROM f LEFT JOIN person p ON p.psn_no = f.psn_no
LEFT JOIN institutions i ON i.fixmedins_code = f.fixmedins_code
"""


def _findings_sql(cur: Any) -> str:
    return FINDINGS_SQL if "supervise_finding_regions" in tables(cur) else FINDINGS_LIVE_SQL


def findings(
    cur: Any,
    who: Any,
    year: int,
    *,
    rule: str = "",
    hospital: str = "",
    county: str = "",
    min_amount: Decimal | None = None,
    keys: list[tuple[str, str]] | None = None,
    ranks: list[int] | None = None,
    unmask: bool = False,
    page: int = 0,
) -> list[dict[str, Any]]:
    """Findings of a year with the region they belong to (the person's fund, else the
    institution's county), filtered in SQL by scope and by the page's filters; ``PAGE`` rows
    from ``page``, each with ``n_total`` and ``amount_total`` of all matching rows."""
    if "supervise_findings" not in tables(cur):
        return []
    where, params = scope_sql(who, "x.region_code")
    conds, extra = [where], list(params)
    if rule:
        conds.append("x.rule = ?")
        extra.append(rule)
    if hospital:
        conds.append("(x.fixmedins_code = ? OR x.fixmedins_name LIKE ?)")
        extra += [hospital, f"%{hospital}%"]
    if county:
        conds.append("starts_with(coalesce(x.region_code, ''), ?)")
        extra.append(county)
    if min_amount is not None:
        conds.append("x.amount >= ?")
        extra.append(min_amount)
    if keys:
        conds.append("(" + " OR ".join("(x.rule = ? AND x.key = ?)" for _ in keys) + ")")
        extra += [v for k in keys for v in k]
    if ranks is not None:  # the finding's rank: unique in a year, and no personal data in URLs
        conds.append(f"x.rank IN ({', '.join('?' for _ in ranks) or 'NULL'})")
        extra += [int(r) for r in ranks]
    sql = (
        "SELECT x.*, count(*) OVER () AS n_total, sum(x.amount) OVER () AS amount_total "
        f"FROM ({_findings_sql(cur)}) x WHERE {' AND '.join(conds)} "
        f"ORDER BY x.amount DESC, x.rank LIMIT {PAGE} OFFSET {PAGE * max(0, int(page))}"
    )
    rows = _rows(cur, sql, [year, year, *extra])
    return rows if unmask else [mask_record("supervise_findings", r) for r in rows]


def rules(cur: Any, year: int) -> list[tuple[str, str]]:
    if "supervise_findings" not in tables(cur):
        return []
    sql = "SELECT DISTINCT rule, rule_name FROM supervise_findings WHERE year = ? ORDER BY 1"
    return _cached(cur, f"rules{int(year)}", lambda: cur.execute(sql, [year]).fetchall())


def evidence(cur: Any, finding: dict[str, Any], unmask: bool) -> dict[str, list[dict]]:
    """The rows behind a finding: its claim, the person's enrolments, with file and row."""
    out: dict[str, list[dict]] = {}
    if finding.get("setl_id"):
        rows = _rows(
            cur,
            "SELECT c.*, l.file_name FROM claims c JOIN _loads l ON l.load_id = c._load_id "
            "WHERE c.setl_id = ?",
            [finding["setl_id"]],
        )
        out["claims"] = rows if unmask else [mask_record("claims", r) for r in rows]
    if finding.get("psn_no"):
        rows = _rows(
            cur,
            "SELECT e.*, l.file_name FROM enrolments e JOIN _loads l ON l.load_id = e._load_id "
            "WHERE e.psn_no = ? AND e.year = ? ORDER BY e.insutype",
            [finding["psn_no"], finding["year"]],
        )
        out["enrolments"] = rows if unmask else [mask_record("enrolments", r) for r in rows]
    return out


def hospitals(cur: Any, who: Any, year: int) -> list[dict[str, Any]]:
    """One row per institution with findings: count, amount, and by rule (comparison page)."""
    if "supervise_findings" not in tables(cur):
        return []
    where, params = scope_sql(who, "x.region_code")
    return _rows(
        cur,
        f"SELECT x.fixmedins_code, any_value(x.fixmedins_name) AS fixmedins_name, "
        f"any_value(x.hosp_lv) AS hosp_lv, any_value(x.region_code) AS region_code, "
        f"count(*) AS findings, sum(x.amount) AS amount, "
        f"string_agg(DISTINCT x.rule_name, '、') AS rules "
        f"FROM ({_findings_sql(cur)}) x WHERE x.fixmedins_code IS NOT NULL AND {where} "
        f"GROUP BY x.fixmedins_code ORDER BY amount DESC",
        [year, year, *params],
    )


def loads(cur: Any, limit: int = 50) -> list[dict[str, Any]]:
    if "_loads" not in tables(cur):
        return []
    return _rows(
        cur,
        "SELECT load_id, table_name, file_name, rows_total, rows_accepted, rows_quarantined, "
        "rows_already, exit_status, loaded_at FROM _loads ORDER BY load_id DESC LIMIT ?",
        [limit],
    )


def quarantine(cur: Any, load_id: int, limit: int = 200) -> list[dict[str, Any]]:
    from yibao.privacy import mask_value

    rows = _rows(
        cur,
        "SELECT row_no, column_name, header, value, reason FROM _quarantine WHERE load_id = ? "
        "ORDER BY row_no LIMIT ?",
        [load_id, limit],
    )
    for r in rows:
        r["value"] = mask_value(r["column_name"], r["value"])
    return rows
