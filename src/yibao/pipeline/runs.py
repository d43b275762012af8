"""Run records (``_runs``): which step wrote which rows, under which policy, from which loads.

Each run stores the step, year, policy name and hash, engine, user, the load ids of the tables
it read, start and end times and its status; ``_run_tables`` the rows per stored table and
``_run_queries`` the SQL text of each query that fed a table; ``_run_notes`` the step's notes.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from yibao.engine.workspace import Workspace, transaction
from yibao.pipeline import provenance
from yibao.pipeline.contract import Note, RunContext, Step, StepFailed, StepResult

RUNS_DDL = (
    """CREATE TABLE IF NOT EXISTS _runs (
    run_id BIGINT PRIMARY KEY, step VARCHAR NOT NULL, year INTEGER, policy_name VARCHAR,
    policy_hash VARCHAR, engine VARCHAR, user_name VARCHAR, input_loads VARCHAR,
    started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP NOT NULL, seconds DOUBLE,
    status VARCHAR NOT NULL, message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS _run_tables (
    run_id BIGINT NOT NULL, table_name VARCHAR NOT NULL, rows BIGINT)""",
    """CREATE TABLE IF NOT EXISTS _run_queries (
    run_id BIGINT NOT NULL, table_name VARCHAR NOT NULL, seq INTEGER NOT NULL,
    label VARCHAR, sql VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS _run_notes (
    run_id BIGINT NOT NULL, seq INTEGER NOT NULL, code VARCHAR, severity VARCHAR,
    scope VARCHAR, scope_key VARCHAR, text VARCHAR)""",
)


def ensure_run_tables(ws: Workspace) -> None:
    for ddl in RUNS_DDL:
        ws.con.execute(ddl)


def _input_loads(ws: Workspace, tables: tuple[str, ...]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for name in tables:
        rows = ws.con.execute(
            f"SELECT DISTINCT _load_id FROM {name} ORDER BY 1"  # noqa: S608 - registry names
        ).fetchall()
        out[name] = [r[0] for r in rows]
    return out


def run_step(ctx: RunContext, step: Step) -> StepResult:
    """Run one step and record it; a failure is recorded too, and re-raised."""
    ws = ctx.ws
    ensure_run_tables(ws)
    started, t0 = datetime.now(), time.perf_counter()
    status, message, result = "ok", None, StepResult()
    with provenance.capture() as log:
        try:
            result = step.run(ctx)
        except StepFailed as exc:
            status, message, result = "failed", str(exc), StepResult(notes=exc.notes)
            raise
        except BaseException as exc:
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            _record(ctx, step, started, time.perf_counter() - t0, status, message, result, log)
    return result


def _record(
    ctx: RunContext,
    step: Step,
    started: datetime,
    seconds: float,
    status: str,
    message: str | None,
    result: StepResult,
    log: provenance.QueryLog,
) -> None:
    con = ctx.ws.con
    with transaction(con):
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM _runs").fetchone()[0]
        loads = json.dumps(_input_loads(ctx.ws, step.reads), ensure_ascii=False)
        con.execute(
            "INSERT INTO _runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?)",
            [
                run_id,
                step.name,
                ctx.year,
                ctx.policy.name,
                ctx.policy_hash,
                ctx.engine,
                ctx.user,
                loads,
                started,
                seconds,
                status,
                message,
            ],
        )
        for name, rows in result.tables.items():
            con.execute("INSERT INTO _run_tables VALUES (?, ?, ?)", [run_id, name, rows])
        for seq, (table, label, sql) in enumerate(log.entries, 1):
            con.execute(
                "INSERT INTO _run_queries VALUES (?, ?, ?, ?, ?)", [run_id, table, seq, label, sql]
            )
        for seq, n in enumerate(result.notes, 1):
            note = n if isinstance(n, Note) else Note("note", str(n))
            con.execute(
                "INSERT INTO _run_notes VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, seq, note.code, note.severity, note.scope, note.scope_key, note.text],
            )


def year_rows(ws: Workspace, tables: list[str], year: int) -> dict[str, int]:
    """Rows of ``year`` in each stored table (by its registered year column)."""
    from yibao.schema import DERIVED

    out = {}
    for name in tables:
        t = DERIVED[name]
        exists = ws.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
        if not exists:
            continue
        out[name] = ws.con.execute(
            f'SELECT count(*) FROM {name} WHERE "{t.year_column}" = ?', [int(year)]
        ).fetchone()[0]
    return out
