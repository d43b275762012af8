"""Generated employees (issue 16): seed 003's head counts, employers, contributions, the
planted under-declaring employer."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from yibao.synth.run import synthesize

#: Module fixtures built once, on one worker: the generated 遂宁 region (`suining`).
pytestmark = pytest.mark.xdist_group("synth-suining")


@pytest.fixture(scope="module")
def suining(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "suining"
    synthesize("suining-2013", out, scale=0.01, seed=5)
    return out


def _q(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect()
    return con.execute(sql.format(d=path)).fetchall()


def test_suining_generates_seed_003_employees_and_residents_in_proportion(suining: Path):
    """Scale 1 is 24.03 万 employees and 50.11 万 residents (seed 003); at 0.01, a hundredth."""
    counts = dict(
        _q(
            suining,
            "SELECT 险种类型::VARCHAR, count(DISTINCT 人员编号) FROM '{d}/enrolments.csv' "
            "GROUP BY 1",
        )
    )
    assert counts["390"] == 5011
    assert abs(counts["310"] - 2403) <= 12  # rounding per county, less the planted twins


def test_workers_contribute_every_month_on_a_bounded_base(suining: Path):
    [(workers, months, lo, hi)] = _q(
        suining,
        "SELECT count(DISTINCT 人员编号), count(*) / count(DISTINCT 人员编号), "
        "min(缴费基数), max(缴费基数) FROM '{d}/contributions.csv' WHERE 单位编号 NOT IN "
        "(SELECT key FROM '{d}/truth/anomalies.csv' WHERE kind = 'employer_under_declared') "
        "AND 人员编号 NOT IN (SELECT 人员编号 FROM '{d}/enrolments.csv' "
        "WHERE 参保终止日期 IS NOT NULL)",
    )
    assert months == 12 and workers > 1000
    assert lo >= 3600 and hi <= 18000  # typical 6,000 average wage, 60 % / 300 %
    [(retired_paying,)] = _q(
        suining,
        "SELECT count(*) FROM '{d}/contributions.csv' c JOIN '{d}/enrolments.csv' e "
        "USING (人员编号) WHERE e.在职退休状态 = 1",
    )
    assert retired_paying == 0


def test_one_under_declaring_employer_per_county_is_planted(suining: Path):
    planted = _q(
        suining,
        "SELECT key, 100.0 * count(*) FILTER (WHERE c.缴费基数 < 3600) / count(*) "
        "FROM '{d}/truth/anomalies.csv' t JOIN '{d}/contributions.csv' c ON c.单位编号 = t.key "
        "WHERE t.kind = 'employer_under_declared' GROUP BY 1",
    )
    assert len(planted) == 5 and all(share >= 50 for _, share in planted)


def test_an_account_paying_after_enrolment_end_is_planted_per_county(suining: Path):
    rows = _q(
        suining,
        "SELECT e.人员编号, e.参保终止日期, min(c.setl_time)::DATE, count(*) "
        "FROM '{d}/truth/anomalies.csv' t JOIN '{d}/claims.csv' c ON c.setl_id = t.key "
        "JOIN '{d}/enrolments.csv' e ON e.人员编号 = c.psn_no AND e.险种类型 = 310 "
        "WHERE t.kind = 'account_after_enrolment_end' AND c.acct_pay > 0 GROUP BY 1, 2",
    )
    assert len(rows) == 5
    assert all(first > end for _, end, first, _ in rows)
