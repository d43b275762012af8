"""The regional DIP catalogue built from claims history (`yibao payment build-catalogue`).

Groups are main diagnosis (亚目) + main procedure.  The case-count cut-off N is the largest for
which the groups with ≥ N cases cover the configured share (≥ 85 %) of cases: those are 核心病种;
every other case falls into a 综合病种 by diagnosis chapter and treatment kind.  Costs are
trimmed by rank inside each group and year (exact on both engines, unlike approximate
percentiles), and RW_i = weighted mean cost of group i ÷ weighted mean cost of all cases, the
years weighted 1:2:7 (oldest to latest).  Ibis reduces; the few thousand group rows finish in
Decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from yibao.engine.workspace import Workspace, replace_rows, transaction
from yibao.money import PPM, ppm_exact, ratio, round_fen, round_places
from yibao.payment.inputs import TREATMENTS, PaymentInputError, backend_for, inpatient_cases
from yibao.payment.params import DipParams
from yibao.payment.tables import PAYMENT_DIP_CATALOGUE, PAYMENT_DIP_CATALOGUE_INFO
from yibao.pipeline import provenance

CORE, INTEGRATED = "核心病种", "综合病种"


def cutoff(counts: list[int], coverage: Decimal) -> int:
    """Largest N such that groups with ≥ N cases hold ≥ ``coverage`` of all cases."""
    total = sum(counts)
    if total == 0:
        return 1
    covered = 0
    for n in sorted(set(counts), reverse=True):
        covered += n * counts.count(n)
        if Decimal(covered) >= coverage * total:
            return n
    return 1


@dataclass(frozen=True)
class GroupYear:
    group_code: str
    year: int
    kept_n: int
    kept_fen: int


def weighted_mean_fen(by_year: dict[int, tuple[int, int]], weights: dict[int, int]) -> Decimal:
    """Σ w_y × mean_y ÷ Σ w_y over the years with cases (mean_y = fen ÷ n); unrounded."""
    num, den = Decimal(0), 0
    for y, (n, fen) in by_year.items():
        if n:
            num += weights[y] * Decimal(fen) / n
            den += weights[y]
    return num / den if den else Decimal(0)


def scores(
    rows: list[GroupYear], weights: dict[int, int], scale: int
) -> tuple[dict[str, tuple[Decimal, Decimal, Decimal]], Decimal]:
    """group → (standard cost 元, RW, score) and the weighted mean cost of all cases (元)."""
    per_group: dict[str, dict[int, tuple[int, int]]] = {}
    all_years: dict[int, list[int]] = {}
    for r in rows:
        per_group.setdefault(r.group_code, {})[r.year] = (r.kept_n, r.kept_fen)
        acc = all_years.setdefault(r.year, [0, 0])
        acc[0] += r.kept_n
        acc[1] += r.kept_fen
    mean_all = weighted_mean_fen({y: (a[0], a[1]) for y, a in all_years.items()}, weights)
    out = {}
    for g, by_year in per_group.items():
        mean_g = weighted_mean_fen(by_year, weights)
        rw = mean_g / mean_all if mean_all else Decimal(0)
        out[g] = (
            round_fen(mean_g / 100),
            round_places(rw, 4),
            round_places(rw * scale, 2),
        )
    return out, round_fen(mean_all / 100)


def core_code(dx_key: str, proc_key: str) -> str:
    return f"{dx_key}|{proc_key or '保守'}"


def integrated_code(chapter: str, treatment: str) -> str:
    return f"综合-{chapter}-{treatment}"


def grouped(cases: ir.Table, core: ir.Table) -> ir.Table:
    """Cases with their group: core by (dx_key, proc_key), else 综合 by chapter × treatment."""
    j = cases.left_join(core, [cases.dx_key == core.c_dx_key, cases.proc_key == core.c_proc_key])
    integ = ibis.literal("综合-") + j.chapter + "-" + j.treatment
    return j.mutate(
        group_code=j.c_group_code.fill_null(integ),
        group_kind=ibis.cases((j.c_group_code.notnull(), CORE), else_=INTEGRATED),
    ).drop("c_dx_key", "c_proc_key", "c_group_code")


def trimmed_sums(g: ir.Table, trim: Decimal) -> ir.Table:
    """Per group and year: cases kept after dropping ⌊n × trim⌋ cheapest and dearest."""
    w = ibis.window(group_by=[g.group_code, g.year], order_by=[g.medfee_fen, g.setl_id])
    wn = ibis.window(group_by=[g.group_code, g.year])
    r = g.mutate(rn=ibis.row_number().over(w), n=g.count().over(wn))
    k = (r.n * ppm_exact(trim)) // PPM
    kept = r.filter((r.rn >= k) & (r.rn < r.n - k))
    return kept.group_by(["group_code", "year"]).aggregate(
        kept_n=kept.count(), kept_fen=kept.medfee_fen.sum()
    )


def build_catalogue(
    ws: Workspace, years: list[int], p: DipParams, *, engine: str = "duckdb"
) -> dict:
    """Build and store the catalogue of ``years``; returns its info row."""
    have = set(_years_present(ws))
    missing = [y for y in years if y not in have]
    if missing:
        raise PaymentInputError(
            f"工作区没有 {'、'.join(map(str, missing))} 年度的结算单,无法生成病种目录"
        )
    weights = dict(zip(sorted(years), p.weights_for(len(years)), strict=True))
    b = backend_for(ws, engine, ["claims"])
    cases = inpatient_cases(b, years, p.diagnosis_key_length, p.procedure_key_length)
    cases = cases.filter(cases.dx_key.notnull() & (cases.dx_key != ""))
    counts_expr = cases.group_by(["dx_key", "proc_key"]).aggregate(n=cases.count())
    provenance.record(["payment_dip_catalogue"], "病种组合例数", counts_expr)
    counts = b.to_pyarrow(counts_expr).to_pylist()
    if not counts:
        raise PaymentInputError(f"{'、'.join(map(str, years))} 年度没有本地住院病例")
    n_cut = cutoff([r["n"] for r in counts], p.core_coverage)
    core_rows = [r for r in counts if r["n"] >= n_cut]
    core = ibis.memtable(
        {
            "c_dx_key": [r["dx_key"] for r in core_rows],
            "c_proc_key": [r["proc_key"] for r in core_rows],
            "c_group_code": [core_code(r["dx_key"], r["proc_key"]) for r in core_rows],
        }
    )
    g = grouped(cases, core)
    sums_expr = trimmed_sums(g, p.trim_share)
    provenance.record(["payment_dip_catalogue"], "病种截尾费用", sums_expr)
    sums = [GroupYear(**r) for r in b.to_pyarrow(sums_expr).to_pylist()]
    kinds_expr = g.group_by(
        ["group_code", "group_kind", "dx_key", "proc_key", "chapter", "treatment"]
    ).aggregate(cases=g.count())
    meta = b.to_pyarrow(kinds_expr).to_pylist()
    by_group: dict[str, dict] = {}
    for r in meta:
        acc = by_group.setdefault(r["group_code"], {**r, "cases": 0})
        acc["cases"] += r["cases"]
    sc, mean_all = scores(sums, weights, p.score_scale)
    cid = "-".join(map(str, sorted(years)))
    rows = []
    for code, r in sorted(by_group.items()):
        if code not in sc:
            continue  # every case of the group was trimmed (a group of one or two)
        std, rw, score = sc[code]
        core_g = r["group_kind"] == CORE
        rows.append(
            {
                "catalogue_id": cid,
                "year": max(years),
                "group_code": code,
                "group_kind": r["group_kind"],
                "dx_key": r["dx_key"] if core_g else None,
                "proc_key": (r["proc_key"] or None) if core_g else None,
                "chapter": r["chapter"],
                "treatment": TREATMENTS[r["treatment"]],
                "cases": r["cases"],
                "std_cost": std,
                "rw": rw,
                "score": score,
            }
        )
    total = sum(r["n"] for r in counts)
    core_cases = sum(r["n"] for r in core_rows)
    info = {
        "catalogue_id": cid,
        "year": max(years),
        "years": ",".join(map(str, sorted(years))),
        "weights": ":".join(str(weights[y]) for y in sorted(years)),
        "cutoff": n_cut,
        "core_groups": sum(1 for r in rows if r["group_kind"] == CORE),
        "integrated_groups": sum(1 for r in rows if r["group_kind"] == INTEGRATED),
        "cases": total,
        "core_coverage": ratio(core_cases, total),
        "mean_cost": mean_all,
        "score_scale": p.score_scale,
        "built_at": dt.datetime.now().replace(microsecond=0),
    }
    _store(ws, cid, rows, info)
    return info


def _years_present(ws: Workspace) -> list[int]:
    from yibao.payment.inputs import claim_years

    return claim_years(ws)


def _store(ws: Workspace, cid: str, rows: list[dict], info: dict) -> None:
    con = ws.con
    cat = pa.Table.from_pylist(rows, schema=PAYMENT_DIP_CATALOGUE.arrow_schema())
    inf = pa.Table.from_pylist([info], schema=PAYMENT_DIP_CATALOGUE_INFO.arrow_schema())
    con.register("_cat_rows", cat)
    con.register("_cat_info", inf)
    try:
        with transaction(con):
            where = f"catalogue_id = '{cid}'"
            replace_rows(con, PAYMENT_DIP_CATALOGUE, "SELECT * FROM _cat_rows", where=where)
            replace_rows(con, PAYMENT_DIP_CATALOGUE_INFO, "SELECT * FROM _cat_info", where=where)
    finally:
        con.unregister("_cat_rows")
        con.unregister("_cat_info")
