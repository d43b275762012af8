"""Issue 4 contract: determinism, ingest quarantines exactly the planted rows, calibration,
settlement reproduces recorded payments except the planted mismatches, truth guarantees."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from yibao.engine import Workspace
from yibao.ingest import ingest_file
from yibao.schema.tables import TABLES
from yibao.settle.run import settle_workspace
from yibao.synth.preset import load_preset
from yibao.synth.run import synthesize
from yibao.synth.writer import headers

#: Module fixtures built once, on one worker: the settled county (`gen`, `ws`).
pytestmark = pytest.mark.xdist_group("synth-county")

TABLE_NAMES = list(TABLES)


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "demo"
    synthesize("demo-county", out, scale=0.03, seed=7)
    return out


@pytest.fixture(scope="module")
def ws(gen: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("ws") / "w"
    with Workspace.create(path, policy=str(gen / "policy.yaml")):
        pass
    w = Workspace.open(path)
    for t in TABLE_NAMES:
        ingest_file(w, gen / f"{t}.csv", t)
    settle_workspace(w, 2021)
    yield w
    w.close()


def _truth(gen: Path, kind: str | None = None) -> list[dict]:
    with (gen / "truth" / "anomalies.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if kind is None or r["kind"] == kind]


def _files(d: Path) -> dict[str, bytes]:
    return {
        p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("fmt", "encoding"), [("csv", "utf-8"), ("csv", "gbk"), ("parquet", "utf-8"), ("xlsx", "utf-8")]
)
def test_same_seed_same_bytes(tmp_path: Path, fmt: str, encoding: str) -> None:
    a = synthesize("demo-county", tmp_path / "a", scale=0.002, seed=3, fmt=fmt, encoding=encoding)
    b = synthesize("demo-county", tmp_path / "b", scale=0.002, seed=3, fmt=fmt, encoding=encoding)
    fa, fb = _files(a.out), _files(b.out)
    assert fa.keys() == fb.keys()
    assert len(fa) == 10 + 5  # ten tables (contributions since issue 16), policy, manifest, truth
    assert [k for k in fa if fa[k] != fb[k]] == []
    c = synthesize("demo-county", tmp_path / "c", scale=0.002, seed=4, fmt=fmt, encoding=encoding)
    assert _files(c.out)[f"claims.{fmt}"] != fa[f"claims.{fmt}"]


def test_gbk_files_decode_as_gbk_only(tmp_path: Path) -> None:
    r = synthesize("demo-county", tmp_path / "g", scale=0.002, seed=3, encoding="gbk")
    raw = (r.out / "persons.csv").read_bytes()
    head = raw.decode("gbk").splitlines()[0]
    assert head.startswith("人员编号,证件号码,姓名")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_ingest_quarantines_exactly_the_planted_rows(gen: Path, ws: Workspace) -> None:
    with (gen / "truth" / "quarantine.csv").open(encoding="utf-8") as f:
        expected = {(r["table"], r["key"], r["column"]) for r in csv.DictReader(f)}
    assert expected, "the fixture must plant at least one invalid row"
    got = set()
    for table, column, record in ws.con.execute(
        "SELECT table_name, column_name, record FROM _quarantine"
    ).fetchall():
        raw = json.loads(record)
        heads = dict(zip(TABLES[table].column_names, headers(table), strict=True))
        key = "|".join(str(raw[heads[k]]) for k in TABLES[table].key)
        got.add((table, key, column))
    assert got == expected
    # Nothing else was lost: every other generated row is in its table.
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    quarantined = {t: sum(1 for e in expected if e[0] == t) for t in TABLE_NAMES}
    for t in TABLE_NAMES:
        assert ws.count(t) == manifest["files"][t]["rows"] - quarantined[t], t


def test_settlement_reproduces_recorded_payments_except_planted(gen: Path, ws: Workspace) -> None:
    planted = {r["key"] for r in _truth(gen, "payment_mismatch")}
    assert planted
    found = {
        r[0] for r in ws.con.execute("SELECT DISTINCT setl_id FROM settle_discrepancies").fetchall()
    }
    assert found == planted
    settled = ws.con.execute("SELECT count(*) FROM settlements").fetchone()[0]
    assert settled == ws.count("claims")


def _claims(gen: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE c AS SELECT * FROM read_csv('{gen / 'claims.csv'}', header=true)")
    return con


def test_calibration_targets_hold_at_small_scale(gen: Path) -> None:
    """DOMAIN §4 targets, recomputed from the files (not from the manifest)."""
    con = _claims(gen)
    con.execute(
        f"CREATE TABLE e AS SELECT * FROM read_csv('{gen / 'enrolments.csv'}', header=true)"
    )
    con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv('{gen / 'regions.csv'}', header=true)")
    residents = con.execute(
        "SELECT count(*) FROM e WHERE 险种类型 = 390 AND 参保区划代码 = 430921"
    ).fetchone()[0]
    assert residents == round(300_000 * 0.03)
    adm = con.execute("SELECT count(*) FROM c WHERE insutype = 390 AND med_type = 21").fetchone()[0]
    assert 0.15 <= adm / residents <= 0.20
    visits = con.execute(
        "SELECT count(*) FROM c WHERE insutype = 390 AND med_type = 11"
    ).fetchone()[0]
    assert 3.3 <= visits / residents <= 3.7
    inflated = ",".join(f"'{r['key']}'" for r in _truth(gen, "inflated_hospital"))
    by_level = dict(
        con.execute(
            "SELECT hi_setl_lv, avg(medfee_sumamt) FROM c WHERE med_type = 21 AND offsite_flag = 0 "
            f"AND act_ipt_days <= 30 AND fixmedins_code NOT IN ({inflated}) GROUP BY 1"
        ).fetchall()
    )
    # Issue 12 gave tertiary costs a heavy tail (大病 claims of the size of the premium), so the
    # mean of a few hundred stays moves by thousands between seeds: a wider band until the
    # mixed-severity cost model lands (noted on issue 12).
    assert 9_000 <= by_level[3] <= 16_000
    assert 5_800 <= by_level[2] <= 7_600
    assert 3_000 <= by_level[1] <= 4_300
    los = con.execute("SELECT avg(act_ipt_days) FROM c WHERE med_type = 21 AND act_ipt_days <= 30")
    assert 5 <= los.fetchone()[0] <= 10
    # Older people are admitted more often.
    young, old = con.execute(
        f"""SELECT avg(CASE WHEN age < 45 THEN n END), avg(CASE WHEN age >= 60 THEN n END) FROM (
              SELECT p.人员编号, 2021 - year(p.出生日期) AS age, count(c.setl_id) AS n
              FROM read_csv('{gen / "persons.csv"}', header=true) p
              LEFT JOIN c ON c.psn_no = p.人员编号 AND c.med_type = 21 GROUP BY ALL)"""
    ).fetchone()
    assert old > 2 * young
    coverage = con.execute(
        f"SELECT (SELECT count(*) FROM read_csv('{gen / 'persons.csv'}', header=true) "
        "WHERE 户籍区划代码 = 430921) / (SELECT sum(常住人口) FROM r WHERE 行政区划代码 = 430921)"
    ).fetchone()[0]
    assert 0.965 <= coverage <= 0.975
    dx = con.execute("SELECT count(*) FROM c WHERE dise_codg IS NULL").fetchone()[0]
    assert dx == 0


def test_planted_claims_are_what_truth_says_and_normal_data_is_clean(gen: Path) -> None:
    """docs/synth-truth.md guarantees, checked set-based on the claims file."""
    con = _claims(gen)
    con.execute(
        "CREATE TABLE s AS SELECT setl_id, psn_no, fixmedins_code AS h, adm_time AS a, "
        "dscg_time AS d, left(dise_codg, 3) AS dx3, act_ipt_days AS los, medfee_sumamt AS fee "
        "FROM c WHERE med_type = 21"
    )
    overlap = {
        r[0]
        for r in con.execute(
            "SELECT y.setl_id FROM s x JOIN s y ON x.psn_no = y.psn_no AND x.setl_id <> y.setl_id "
            "AND x.h <> y.h AND y.a > x.a AND y.a < x.d"
        ).fetchall()
    }
    assert overlap == {r["key"] for r in _truth(gen, "overlapping_stay")}
    split = {
        r[0]
        for r in con.execute(
            "SELECT y.setl_id FROM s x JOIN s y ON x.psn_no = y.psn_no AND y.a > x.d "
            "AND y.a::DATE - x.d::DATE <= 15 AND x.dx3 = y.dx3 AND x.dx3 <> 'Z51'"
        ).fetchall()
    }
    assert split == {r["key"] for r in _truth(gen, "split_admission")}
    # Normal stays: next admission ≥ 30 days after a discharge unless planted.
    close = con.execute(
        "SELECT count(*) FROM s x JOIN s y ON x.psn_no = y.psn_no AND y.a > x.d "
        "AND y.a::DATE - x.d::DATE < 30"
    ).fetchone()[0]
    assert close == len(split)
    bed = {
        r[0]
        for r in con.execute("SELECT setl_id FROM s WHERE los >= 45 AND fee / los < 50").fetchall()
    }
    assert bed == {r["key"] for r in _truth(gen, "bed_hanging")}
    assert (
        con.execute("SELECT count(*) FROM s WHERE los <= 30 AND fee / los < 150").fetchone()[0] == 0
    )
    # No pregnancy codes for men, no prostate codes for women.
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_csv('{gen / 'persons.csv'}', header=true)")
    wrong = con.execute(
        "SELECT count(*) FROM c JOIN p ON c.psn_no = p.人员编号 WHERE (p.性别 = '男' AND "
        "c.dise_codg LIKE 'O%') OR (p.性别 = '女' AND left(c.dise_codg, 3) BETWEEN 'N40' AND 'N51')"
    ).fetchone()[0]
    assert wrong == 0


def test_truth_covers_every_kind_with_amounts(gen: Path) -> None:
    rows = _truth(gen)
    kinds = {r["kind"] for r in rows}
    # the employee fund's two planted kinds (issue 16) are always planted, not rate-driven
    employee_kinds = {"employer_under_declared", "account_after_enrolment_end"}
    assert kinds == set(load_preset("demo-county").anomalies) | employee_kinds
    for r in rows:
        assert r["amount_at_risk"].count(".") == 1 and len(r["amount_at_risk"].split(".")[1]) == 2
    short = _truth(gen, "subsidy_short")
    assert len(short) == 1 and short[0]["key"].startswith("430921|")


def test_duplicate_and_deceased_enrolments(gen: Path) -> None:
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE e AS SELECT * FROM read_csv('{gen / 'enrolments.csv'}', header=true, "
        "all_varchar=true)"
    )
    con.execute(
        f"CREATE TABLE p AS SELECT * FROM read_csv('{gen / 'persons.csv'}', header=true, "
        "all_varchar=true)"
    )
    region = {
        r[0]
        for r in con.execute(
            "SELECT 证件号码 FROM e WHERE 险种类型 = '390' GROUP BY 1 "
            "HAVING count(DISTINCT 参保区划代码) > 1"
        ).fetchall()
    }
    assert region == {r["key"] for r in _truth(gen, "duplicate_enrolment_region")}
    both = {
        r[0]
        for r in con.execute(
            "SELECT 证件号码 FROM e GROUP BY 1 HAVING count(DISTINCT 险种类型) FILTER "
            "(WHERE 险种类型 IN ('310', '390')) > 1"
        ).fetchall()
    }
    assert both == {r["key"] for r in _truth(gen, "duplicate_enrolment_insutype")}
    dead = {
        r[0]
        for r in con.execute(
            "SELECT p.人员编号 FROM p JOIN e USING (人员编号) WHERE p.死亡日期 < '2021-01-01'"
        ).fetchall()
    }
    assert dead == {r["key"] for r in _truth(gen, "deceased_enrolled")}


def test_yiyang_counties_scale_exactly() -> None:
    p = load_preset("yiyang-2019")
    assert p.total_insured == 4_097_942
    assert p.county_counts(0.001) == {c: round(n * 0.001) for c, n in p.counties.items()}


def test_yiyang_small_run_has_six_counties_and_seed_subsidy(tmp_path: Path) -> None:
    r = synthesize("yiyang-2019", tmp_path / "y", scale=0.0005, seed=2)
    con = duckdb.connect()
    rows = dict(
        con.execute(
            "SELECT 参保区划代码, count(*) FROM "
            f"read_csv('{r.out / 'enrolments.csv'}', header=true, all_varchar=true) "
            "WHERE 险种类型 = '390' GROUP BY 1"
        ).fetchall()
    )
    assert rows == load_preset("yiyang-2019").county_counts(0.0005)
    # 资阳区 per-person subsidy by level (seed 000): 312 + 104 + 62.4 + 41.6 = 520.
    due = dict(
        con.execute(
            f"SELECT 财政级次, sum(到账金额) FROM read_csv('{r.out / 'subsidy_receipts.csv'}', "
            "header=true) WHERE 区划代码 = 430902 AND 是否清算 = 0 GROUP BY 1"
        ).fetchall()
    )
    n = rows["430902"]
    short = {t["key"] for t in _truth(r.out, "subsidy_short")}
    for level, per in (("中央", 312), ("省级", 104), ("市级", 62.4), ("县级", 41.6)):
        if f"430902|{level}" not in short:
            assert float(due[level]) == pytest.approx(n * per, abs=0.001)


def test_dates_respect_birth(tmp_path: Path) -> None:
    """Regression: deaths were planted before a baby's birth (quarantined by the persons row
    rule, so the deceased were lost), and newborns were enrolled before they were born."""
    r = synthesize(
        "demo-county", tmp_path / "d", scale=0.05, seed=11, rates={"deceased_enrolled": 0.01}
    )
    con = duckdb.connect()
    p = f"read_csv('{r.out / 'persons.csv'}', header=true, all_varchar=true)"
    e = f"read_csv('{r.out / 'enrolments.csv'}', header=true, all_varchar=true)"
    assert con.execute(f"SELECT count(*) FROM {p} WHERE 死亡日期 <= 出生日期").fetchone()[0] == 0
    assert (
        con.execute(f"SELECT count(*) FROM {p} WHERE 出生日期 >= '2021-01-01'").fetchone()[0] == 0
    )
    late = con.execute(
        f"SELECT count(*) FROM {e} JOIN {p} USING (人员编号) WHERE 参保日期 <= 出生日期"
    ).fetchone()[0]
    assert late == 0
    assert len(_truth(r.out, "deceased_enrolled")) == round(15_000 * 0.01)
