"""``yibao check``: every declared identity and key of every stored table, as a query.

A data test returns the rows that break it (dbt style); a table's key gets a uniqueness test
automatically.  Tables a workspace does not have yet are skipped, and so are tests whose other
tables are missing; both are reported as not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yibao.engine.workspace import Workspace
from yibao.privacy import mask_record
from yibao.schema import ALL_TABLES
from yibao.schema.model import DataTest, Table

SAMPLE = 5


@dataclass
class CheckResult:
    table: str
    test: str
    label: str
    failures: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is None and self.failures == 0


def _exists(ws: Workspace, name: str) -> bool:
    return bool(
        ws.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
    )


def key_test(t: Table) -> DataTest:
    cols = ", ".join(f'"{k}"' for k in t.key)
    return DataTest(
        f"{t.name}_key_unique",
        f"键({'、'.join(t.column(k).label for k in t.key)})唯一",
        f"SELECT {cols}, count(*) AS n FROM {{t}} GROUP BY {cols} HAVING count(*) > 1",
    )


def tests_of(t: Table) -> list[DataTest]:
    return [key_test(t), *t.tests]


def run_checks(ws: Workspace, tables: list[str] | None = None) -> list[CheckResult]:
    out = []
    for t in ALL_TABLES.values():
        if tables and t.name not in tables:
            continue
        present = _exists(ws, t.name)
        for test in tests_of(t):
            res = CheckResult(t.name, test.name, test.label)
            missing = [n for n in (t.name, *test.needs) if not _exists(ws, n)]
            if not present or missing:
                res.skipped = f"工作区没有表 {'、'.join(missing)}"
                out.append(res)
                continue
            sql = test.sql.format(t=t.name)
            res.failures = ws.con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
            if res.failures:
                cur = ws.con.execute(f"SELECT * FROM ({sql}) LIMIT {SAMPLE}")
                cols = [d[0] for d in cur.description]
                res.sample = [
                    mask_record(t.name, dict(zip(cols, r, strict=True))) for r in cur.fetchall()
                ]
            out.append(res)
    return out
