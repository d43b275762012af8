"""`yibao synth`: a whole region-year of exports, county by county, chunk by chunk.

Randomness comes from one ``numpy.random.SeedSequence(seed)`` split into independent streams
(hospitals; per county: people, usage, each claim chunk; accounts), so the same seed gives
the same bytes and a county's data does not depend on how many counties come before it.
Memory is bounded by one county's people (a few arrays of a million) plus one claim chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yibao.finance.params import finance_params
from yibao.money import fen_exact, fen_of_draws, to_fen
from yibao.policy import load_policy
from yibao.policy.loader import Policy
from yibao.refdata import area_name

from . import accounts
from .care import (
    ClaimBlock,
    HospitalPicker,
    Hospitals,
    chunk_claims,
    claims_table,
    draw_usage,
    make_hospitals,
)
from .employees import (
    RETIREMENT_AGE,
    employee_tables,
    end_enrolment,
    plant_account_after_end,
    with_account_payments,
    with_emp_retired,
    with_employee_columns,
)
from .payments import Payer, plant_mismatches
from .people import EMPLOYEE, RESIDENT, Twin, make_county
from .policyfile import policy_yaml
from .preset import ANOMALY_KINDS, SynthPreset, load_preset, with_anomaly_rates
from .vec import fen_of, yuan_str
from .writer import TableWriter

CHUNK_PERSONS = 200_000
FORMATS = ("csv", "xlsx", "parquet")
ENCODINGS = ("utf-8", "gbk")
#: The truth contract, shipped in the package (docs/synth-truth.md is the same text; a test
#: keeps them equal) so that an installed wheel writes it too.
TRUTH_README = Path(__file__).parent / "truth.md"


@dataclass
class Realised:
    """Running counts for the realised-vs-target table (all integers, fen for money)."""

    residents: int = 0
    persons: int = 0
    eligible: int = 0
    admissions: int = 0
    adm_by_level: dict[str, list[int]] = field(default_factory=dict)  # level → [n, fen, days]
    visits: int = 0
    chronic_visits: int = 0
    chronic_people: int = 0
    claims: int = 0
    elderly: int = 0
    elderly_adm: int = 0
    inscp_fen: int = 0
    fund_fen: int = 0
    hosp_inpatient_fen: dict[str, int] = field(default_factory=dict)
    inflated: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def add_level(self, level: str, n: int, fen: int, days: int) -> None:
        acc = self.adm_by_level.setdefault(level, [0, 0, 0])
        acc[0] += n
        acc[1] += fen
        acc[2] += days


@dataclass
class SynthResult:
    out: Path
    manifest: dict
    seconds: float
    peak_rss_mb: int


def _streams(seed: int, n_counties: int) -> tuple[np.random.SeedSequence, ...]:
    root = np.random.SeedSequence(seed)
    return tuple(root.spawn(2 + n_counties))


def synthesize(
    preset_name: str,
    out: Path,
    *,
    scale: float = 0.01,
    seed: int = 1,
    fmt: str = "csv",
    encoding: str = "utf-8",
    rates: dict[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
    years: int = 1,
) -> SynthResult:
    if fmt not in FORMATS:
        raise ValueError(f"不支持的格式 {fmt!r}; 可用: {', '.join(FORMATS)}")
    if encoding not in ENCODINGS:
        raise ValueError(f"不支持的编码 {encoding!r}; 可用: {', '.join(ENCODINGS)}")
    if not 0 < scale <= 10:
        raise ValueError(f"--scale 应在 (0, 10] 之间: {scale}")
    if not 1 <= years <= 3:
        raise ValueError(f"--years 应在 1 到 3 之间: {years}")
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    preset: SynthPreset = load_preset(preset_name)
    if rates:
        preset = with_anomaly_rates(preset, rates)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    (out / "policy.yaml").write_text(policy_yaml(preset), encoding="utf-8")
    policy = load_policy(out / "policy.yaml")
    year = preset.year
    on = dt.date(year, 1, 1)
    contribution = Decimal(policy.value("financing.resident.individual_contribution", on))
    subsidy = Decimal(policy.value("financing.resident.subsidy_per_person", on))
    assist_fen = assistance_fen(preset, policy, contribution)
    counts = preset.county_counts(scale)
    codes = list(counts)

    # Cross-county duplicates: county i plants its twins in the next county (or a neighbour).
    partners = (
        {
            c: (codes[(i + 1) % len(codes)] if len(codes) > 1 else preset.neighbours[0])
            for i, c in enumerate(codes)
        }
        if (len(codes) > 1 or preset.neighbours)
        else {}
    )
    rate = preset.anomalies["duplicate_enrolment_region"]
    twins_out = {
        c: Twin(partners[c], max(1, round(rate * counts[c])) if rate > 0 else 0) for c in partners
    }
    twins_in = {c: 0 for c in codes}
    for tw in twins_out.values():
        if tw.other in twins_in:
            twins_in[tw.other] += tw.count

    streams = _streams(seed, len(codes))
    rng_h = np.random.default_rng(streams[0])
    hospitals = make_hospitals(rng_h, preset, counts)
    if years > 1:
        plant_payment_hospitals(hospitals)
    prior_years = [year - k for k in range(1, years)]
    prior = {y: TableWriter(out, "claims", fmt, encoding, name=f"claims_{y}") for y in prior_years}
    prior_serial = dict.fromkeys(prior_years, 0)
    writers = {
        t: TableWriter(out, t, fmt, encoding)
        for t in (
            "regions",
            "persons",
            "enrolments",
            "institutions",
            "claims",
            "subsidy_receipts",
            "fund_ledger",
            "budgets",
            "survey_responses",
            "contributions",
        )
    }
    truth: list[dict] = []
    quarantine: list[dict] = []
    # Neighbours that receive planted duplicates are accounted too: their insured are due a
    # subsidy like any other, so the data stays coherent for `yibao finance`.
    extra = [tw.other for tw in twins_out.values() if tw.count and tw.other not in counts]
    totals = {c: accounts.CountyTotals() for c in [*codes, *dict.fromkeys(extra)]}
    real = Realised(inflated=hospitals.code[hospitals.inflated])
    payer = Payer(policy)
    claim_serial = 0
    try:
        for ci, code in enumerate(codes):
            county_ss = streams[2 + ci].spawn(3)
            rng_p = np.random.default_rng(county_ss[0])
            say(f"{area_name(code) or code}: 人员与参保({counts[code]:,} 名居民参保)")
            county, twins = make_county(
                rng_p,
                preset,
                code,
                area_name(code) or code,
                counts[code],
                twins_in=twins_in[code],
                twins_out=twins_out.get(code),
                contribution_fen=round_fen_int(contribution),
                assist_fen=assist_fen,
                subsidy=subsidy,
            )
            truth += county.truth
            quarantine += county.quarantine
            employee = county.insutype == EMPLOYEE
            retired = employee & (county.age >= RETIREMENT_AGE)
            contrib = None
            if employee.any():
                cols, contrib, emp_truth = employee_tables(
                    rng_p, code, county.psn_no, county.age, employee, policy, year
                )
                county.enrolments = with_employee_columns(county.enrolments, employee, cols)
                truth += emp_truth
            acct_claims: list[pa.Table] = []
            writers["persons"].write(county.persons)
            if twins:
                writers["persons"].write(twins["persons"])
            for t in (county.enrolments, twins.get("enrolments")):
                if t is not None:
                    _add_enrolment_totals(t, totals)
            real.persons += county.persons.num_rows
            totals[code].people += county.persons.num_rows
            if twins:
                real.persons += twins["persons"].num_rows
                other = twins_out[code].other
                if other in totals:
                    totals[other].people += twins["persons"].num_rows

            resident = county.insutype == RESIDENT
            rng_u = np.random.default_rng(county_ss[1])
            usage = draw_usage(rng_u, preset, county.age, county.claims_ok, resident, counts[code])
            real.eligible += int((county.claims_ok & resident).sum())
            real.chronic_people += int((usage.chronic_visits > 0).sum())
            elderly = county.claims_ok & resident & (county.age >= 60)
            real.elderly += int(elderly.sum())
            real.elderly_adm += int(usage.admissions[elderly].sum())
            picker = HospitalPicker(hospitals, code)
            n = len(county.age)
            chunk_ss = county_ss[2].spawn(max(1, -(-n // CHUNK_PERSONS)))
            for k, lo in enumerate(range(0, n, CHUNK_PERSONS)):
                rng_c = np.random.default_rng(chunk_ss[k])
                people = np.arange(lo, min(n, lo + CHUNK_PERSONS))
                block = chunk_claims(
                    rng_c, preset, hospitals, picker, usage, people, county.sex_male, county.age
                )
                tbl = claims_table(
                    block,
                    code,
                    year,
                    claim_serial + 1,
                    county.psn_no,
                    county.certno,
                    county.insutype,
                    county.idet,
                    hospitals,
                )
                claim_serial += tbl.num_rows
                say(f"{county.name}: 结算 {tbl.num_rows:,} 条就诊记录(第 {k + 1} 批)")
                tbl = payer.pay(with_emp_retired(tbl, county.psn_no, retired))
                tbl, mism = plant_mismatches(
                    rng_c, tbl, preset.anomalies["payment_mismatch"], at_least_one=(k == 0)
                )
                tbl = with_account_payments(tbl)
                paid = pc.greater(pc.fill_null(tbl.column("acct_pay"), 0), 0)
                acct_claims.append(
                    tbl.filter(paid).select(["setl_id", "psn_no", "setl_time", "acct_pay"])
                )
                truth += mism
                truth += _claim_truth(tbl)
                _account(tbl, totals[code], real)
                writers["claims"].write(tbl.drop_columns(["_plant"]))
                for y in prior_years:
                    rng_y = np.random.default_rng(
                        np.random.SeedSequence([seed, 15, year - y, ci, k])
                    )
                    earlier = earlier_year(rng_y, block, hospitals, year - y)
                    tbl_y = claims_table(
                        earlier,
                        code,
                        y,
                        prior_serial[y] + 1,
                        county.psn_no,
                        county.certno,
                        county.insutype,
                        county.idet,
                        hospitals,
                    )
                    prior_serial[y] += tbl_y.num_rows
                    tbl_y = with_emp_retired(tbl_y, county.psn_no, retired)
                    tbl_y = shift_years(with_account_payments(payer.pay(tbl_y)), year - y)
                    prior[y].write(tbl_y.drop_columns(["_plant"]))
            # Employees' claims come from their own random stream, after the residents': the
            # resident data stay what they were before employees claimed (issue 16).  No
            # planted claim anomalies and no earlier years for employees.
            if employee.any():
                rng_e = np.random.default_rng(np.random.SeedSequence([seed, 16, ci]))
                usage_e = draw_usage(
                    rng_e, preset, county.age, employee, np.zeros(n, dtype=bool), counts[code]
                )
                block = chunk_claims(
                    rng_e,
                    preset,
                    hospitals,
                    picker,
                    usage_e,
                    np.flatnonzero(employee),
                    county.sex_male,
                    county.age,
                )
                tbl = claims_table(
                    block,
                    code,
                    year,
                    claim_serial + 1,
                    county.psn_no,
                    county.certno,
                    county.insutype,
                    county.idet,
                    hospitals,
                )
                claim_serial += tbl.num_rows
                say(f"{county.name}: 职工结算 {tbl.num_rows:,} 条就诊记录")
                tbl = with_account_payments(
                    payer.pay(with_emp_retired(tbl, county.psn_no, retired))
                )
                paid = pc.greater(pc.fill_null(tbl.column("acct_pay"), 0), 0)
                acct_claims.append(
                    tbl.filter(paid).select(["setl_id", "psn_no", "setl_time", "acct_pay"])
                )
                _account(tbl, totals[code], real)
                writers["claims"].write(tbl.drop_columns(["_plant"]))
            # Enrolments and contributions are written once the claims are known: one worker's
            # enrolment ends before his account payments (planted).
            workers = county.psn_no.filter(pa.array(employee & ~retired))
            planted = plant_account_after_end(rng_p, acct_claims, workers)
            if planted is not None and contrib is not None:
                who, end, acct_truth = planted
                county.enrolments, contrib = end_enrolment(county.enrolments, contrib, who, end)
                truth += acct_truth
            writers["enrolments"].write(county.enrolments)
            if twins:
                writers["enrolments"].write(twins["enrolments"])
            if contrib is not None:
                writers["contributions"].write(contrib)
        rng_a = np.random.default_rng(streams[1])
        say("财政补助、基金明细账、预算、满意度调查")
        gen_counts = {c: totals[c].residents for c in codes}
        writers["regions"].write(
            accounts.regions_table(preset, policy, {c: t.people for c, t in totals.items()})
        )
        writers["institutions"].write(hospitals.table)
        receipts, short = accounts.receipts_table(rng_a, preset, policy, totals)
        truth += short
        writers["subsidy_receipts"].write(receipts)
        writers["fund_ledger"].write(accounts.ledger_table(rng_a, preset, policy, totals, receipts))
        writers["budgets"].write(accounts.budgets_table(preset, totals))
        writers["survey_responses"].write(accounts.survey_table(rng_a, preset, gen_counts))
        for h in hospitals.code[hospitals.inflated]:
            truth.append(_inflated_truth(h))
        truth += _payment_truth(hospitals, real)
    finally:
        payer.close()
        for w in [*writers.values(), *prior.values()]:
            w.close()
    _fill_inflated_amounts(truth, real)
    _write_truth(out, truth, quarantine)
    manifest = _manifest(preset, scale, seed, fmt, encoding, writers, real, totals, truth)
    if prior:
        manifest["years"] = [*prior_years[::-1], year]
        manifest["earlier_claims"] = {
            str(y): {"file": w.path.name, "rows": w.rows} for y, w in prior.items()
        }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return SynthResult(out, manifest, secs, int(peak))


def round_fen_int(amount: Decimal) -> int:
    return to_fen(amount)


def assistance_fen(preset: SynthPreset, policy: Policy, contribution: Decimal) -> dict[str, int]:
    """资助参保 per person by category: in full for the fully subsidised, the policy's amount
    (finance reads the same parameter) or else the preset's share of the contribution."""
    fp = finance_params(policy, preset.year)
    out = {c: round_fen_int(contribution) for c in fp.fully_subsidised}
    for cat, share in preset.partial_subsidy_share.items():
        if cat in out:
            continue
        amount = fp.contribution_subsidy_amount.get(cat, contribution * share)
        out[cat] = round_fen_int(min(Decimal(amount), contribution))
    return out


def _add_enrolment_totals(t: pa.Table, totals: dict[str, accounts.CountyTotals]) -> None:
    res = t.filter(pc.equal(t["insutype"], RESIDENT))
    if res.num_rows == 0:
        return
    g = res.group_by("region_code").aggregate(
        [("psn_no", "count"), ("contribution", "sum"), ("subsidised_amt", "sum")]
    )
    for region, n, c, s in zip(
        *(
            g[col].to_pylist()
            for col in ("region_code", "psn_no_count", "contribution_sum", "subsidised_amt_sum")
        ),
        strict=True,
    ):
        if region in totals:
            tot = totals[region]
            tot.residents += n
            tot.contributions += fen_exact(c)
            tot.assisted += fen_exact(s)


def _claim_truth(tbl: pa.Table) -> list[dict]:
    planted = tbl.filter(pc.not_equal(tbl["_plant"], ""))
    if planted.num_rows == 0:
        return []
    fund = fen_of(planted["hifp_pay"]) + fen_of(planted["hifmi_pay"]) + fen_of(planted["maf_pay"])
    details = {
        "overlapping_stay": "住院期间在另一家医院同时住院",
        "split_admission": "出院后 15 日内以相同诊断再次入院",
        "bed_hanging": "住院 45 天以上且日均费用不足 50 元",
    }
    return [
        {
            "kind": k,
            "table": "claims",
            "key": s,
            "amount_at_risk": yuan_str(int(f)),
            "detail": details[k],
        }
        for k, s, f in zip(
            planted["_plant"].to_pylist(), planted["setl_id"].to_pylist(), fund, strict=True
        )
    ]


def _account(tbl: pa.Table, tot: accounts.CountyTotals, real: Realised) -> None:
    """Monthly fund sums for the ledger and counts for the realised rates (vectorised)."""
    month = (
        np.asarray(pc.month(tbl["setl_time"]).to_numpy(zero_copy_only=False), dtype=np.int64) - 1
    )
    med = np.asarray(tbl["med_type"].to_numpy(zero_copy_only=False), dtype=object)
    ins = np.asarray(tbl["insutype"].to_numpy(zero_copy_only=False), dtype=object)
    hifp = fen_of(tbl["hifp_pay"])
    res = ins == RESIDENT
    inp = med == "21"
    tot.add(accounts.INPATIENT, month[res & inp], hifp[res & inp])
    tot.add(accounts.OUTPATIENT, month[res & ~inp], hifp[res & ~inp])
    tot.add("大病", month, fen_of(tbl["hifmi_pay"]))
    tot.add("救助", month, fen_of(tbl["maf_pay"]))
    tot.add("离休", month[~res], hifp[~res])
    real.claims += tbl.num_rows
    medfee = fen_of(tbl["medfee_sumamt"])
    lv = np.asarray(tbl["hi_setl_lv"].to_numpy(zero_copy_only=False), dtype=object)
    off = np.asarray(tbl["offsite_flag"].to_numpy(zero_copy_only=False), dtype=object) == "1"
    days = np.asarray(pc.fill_null(tbl["act_ipt_days"], 0).to_numpy(), dtype=np.int64)
    plain = np.asarray(tbl["_plant"].to_numpy(zero_copy_only=False), dtype=object) == ""
    fix = tbl["fixmedins_code"].to_numpy(zero_copy_only=False)
    adm = inp & res & plain & ~np.isin(fix, real.inflated)
    real.admissions += int((inp & res).sum())
    for level in ("1", "2", "3"):
        m = adm & (lv == level) & ~off
        real.add_level(level, int(m.sum()), int(medfee[m].sum()), int(days[m].sum()))
    g = tbl.filter(pa.array(inp)).group_by("fixmedins_code").aggregate([("medfee_sumamt", "sum")])
    for code, total in zip(
        g["fixmedins_code"].to_pylist(), g["medfee_sumamt_sum"].to_pylist(), strict=True
    ):  # one row per hospital
        real.hosp_inpatient_fen[code] = real.hosp_inpatient_fen.get(code, 0) + fen_exact(total)
    real.visits += int((res & (med == "11")).sum())
    real.chronic_visits += int((res & (med == "14")).sum())
    m = inp & res
    real.inscp_fen += int(fen_of(tbl["inscp_scp_amt"])[m].sum())
    real.fund_fen += int((hifp + fen_of(tbl["hifmi_pay"]) + fen_of(tbl["maf_pay"]))[m].sum())


def _inflated_truth(code: str) -> dict:
    return {
        "kind": "inflated_hospital",
        "table": "institutions",
        "key": code,
        "amount_at_risk": "",
        "detail": "次均住院费用为同级医院常模的 1.8 倍",
    }


def _fill_inflated_amounts(truth: list[dict], real: Realised) -> None:
    """Σ medfee − Σ medfee ÷ 1.8 over each inflated hospital's admissions (half-up to the fen)."""
    for t in truth:
        if t["kind"] == "inflated_hospital":
            fen = real.hosp_inpatient_fen.get(t["key"], 0)
            t["amount_at_risk"] = yuan_str(fen - (fen * 20 + 18) // 36)


def _write_truth(out: Path, truth: list[dict], quarantine: list[dict]) -> None:
    order = {k: i for i, k in enumerate(ANOMALY_KINDS)}
    truth.sort(key=lambda r: (order.get(r["kind"], 99), r["key"]))
    with (out / "truth" / "anomalies.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(
            f, ["kind", "table", "key", "amount_at_risk", "detail"], lineterminator="\n"
        )
        w.writeheader()
        w.writerows(truth)
    quarantine.sort(key=lambda r: (r["table"], r["key"]))
    with (out / "truth" / "quarantine.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["table", "key", "column", "reason"], lineterminator="\n")
        w.writeheader()
        w.writerows(quarantine)
    (out / "truth" / "README.md").write_text(
        TRUTH_README.read_text(encoding="utf-8"), encoding="utf-8"
    )


def _pct(x: float) -> str:
    return f"{x:.2%}"


def _manifest(
    preset: SynthPreset,
    scale: float,
    seed: int,
    fmt: str,
    encoding: str,
    writers: dict[str, TableWriter],
    real: Realised,
    totals: dict[str, accounts.CountyTotals],
    truth: list[dict],
) -> dict:
    """Realised rates next to their targets (ratios are statistics, so floats are fine here)."""
    residents = sum(t.residents for t in totals.values())
    elig = max(1, real.eligible)
    rows = [
        (
            "居民参保人数",
            f"{residents:,}",
            f"{sum(preset.county_counts(scale).values()):,}",
            "各区县 = 预设人数 × scale",
        ),
        ("住院率(住院人次/有待遇居民)", _pct(real.admissions / elig), "15%–20%", "全国居民典型值"),
        ("60岁以上住院率", _pct(real.elderly_adm / max(1, real.elderly)), "高于总体", "随年龄上升"),
        ("人均普通门诊人次", f"{real.visits / elig:.2f}", "≈3.5", "全国居民典型值"),
        ("门诊慢特病患者占比", _pct(real.chronic_people / elig), "—", "按年龄"),
    ]
    targets = {"3": "11,000–14,000", "2": "≈6,600", "1": "≈3,600"}
    level = (
        "对数正态"
        if preset.year == 2021
        else f"对数正态;目标为 2021 年水平,本年 × {preset.cost_index:.2f}(全国次均住院费用)"
    )
    for lv in ("3", "2", "1"):
        n, fen, days = real.adm_by_level.get(lv, [0, 0, 0])
        avg = Decimal(fen) / 100 / n if n else Decimal(0)
        rows.append((f"{lv}级医院次均住院费用(元)", f"{avg:,.0f}", targets[lv], level))
        rows.append((f"{lv}级医院平均住院日", f"{days / max(1, n):.1f}", "—", ""))
    if real.inscp_fen:
        rows.append(
            (
                "住院政策范围内基金支付比例",
                _pct(real.fund_fen / real.inscp_fen),
                "≈65%–70%",
                "全国居民约 68%",
            )
        )
    kinds: dict[str, int] = {}
    for t in truth:
        kinds[t["kind"]] = kinds.get(t["kind"], 0) + 1
    return {
        "preset": preset.name,
        "label": preset.label,
        "policy": "policy.yaml",
        "year": preset.year,
        "scale": scale,
        "seed": seed,
        "format": fmt,
        "encoding": encoding,
        "files": {t: {"file": w.path.name, "rows": w.rows} for t, w in writers.items()},
        "realised": [
            {"indicator": a, "realised": b, "target": c, "note": d} for a, b, c, d in rows
        ],
        "planted": kinds,
        "anomaly_rates": preset.anomalies,
    }


# ---- earlier years (--years), for budget control and DIP -----------------------------------

#: Yearly growth of admissions and of cost per admission in the generated history (synthetic
#: assumption; budgets grow by the policy's rate, so normal hospitals land near 100 %).
VOLUME_GROWTH = 0.02
COST_GROWTH = 0.02
#: The planted over-budget hospital had this share fewer admissions in earlier years.
OVER_BUDGET_HISTORY_CUT = 0.50


def plant_payment_hospitals(h: Hospitals) -> None:
    """One up-coding and one over-budget hospital, level 2 or 3, local, not inflated; picked
    by position (no random draw) so the hospitals of a seed stay the same."""
    pool = np.flatnonzero(((h.level == "2") | (h.level == "3")) & ~h.offsite & ~h.inflated)
    h.upcoder = np.zeros(len(h.code), dtype=bool)
    h.over_budget = np.zeros(len(h.code), dtype=bool)
    if len(pool) >= 2:
        h.upcoder[pool[len(pool) // 3]] = True
        h.over_budget[pool[(2 * len(pool)) // 3]] = True


def earlier_year(rng: np.random.Generator, b: ClaimBlock, h: Hospitals, k: int) -> ClaimBlock:
    """The main year's claims as they were ``k`` years earlier: the same people, hospitals and
    diagnoses, fewer admissions and visits, lower costs (with a little noise per claim), no
    planted claims, and half the claims at the planted over-budget hospital."""
    n = len(b.person)
    keep = (b.plant == "") & (rng.random(n) < (1 + VOLUME_GROWTH) ** -k)
    if h.over_budget is not None:
        keep &= ~(h.over_budget[b.hosp] & (rng.random(n) < OVER_BUDGET_HISTORY_CUT))
    sub = ClaimBlock(*(getattr(b, f)[keep] for f in ClaimBlock.__annotations__))
    f = (1 + COST_GROWTH) ** -k * rng.lognormal(0.0, 0.10, len(sub.person))
    sub.medfee = np.maximum(fen_of_draws(sub.medfee * f / 100), 1)
    sub.inscp = np.minimum(fen_of_draws(sub.inscp * f / 100), sub.medfee)
    return sub


def shift_years(tbl: pa.Table, k: int) -> pa.Table:
    """Move every time back ``k`` calendar years (whole days); the few claims of 31 December
    of a leap year that would fall into the next year are dropped."""
    if k == 0:
        return tbl
    setl = tbl["setl_time"].to_numpy(zero_copy_only=False).astype("datetime64[s]")
    y = int(str(setl.min())[:4]) if len(setl) else 2000
    days = (np.datetime64(f"{y}-01-01") - np.datetime64(f"{y - k}-01-01")).astype(np.int64)
    delta = np.timedelta64(int(days), "D")
    for col in ("adm_time", "dscg_time", "setl_time"):
        v = tbl[col].to_numpy(zero_copy_only=False).astype("datetime64[s]") - delta
        tbl = tbl.set_column(tbl.schema.get_field_index(col), col, pa.array(v, pa.timestamp("s")))
    years = pc.year(tbl["setl_time"])
    return tbl.filter(pc.equal(years, y - k))


def _payment_truth(h: Hospitals, real: Realised) -> list[dict]:
    if h.upcoder is None or h.over_budget is None:
        return []
    out = []
    for code in h.code[h.upcoder]:
        out.append(
            {
                "kind": "upcoding_hospital",
                "table": "institutions",
                "key": code,
                "amount_at_risk": yuan_str(0),
                "detail": "保守治疗病例编入手术组(高套分值),费用不变",
            }
        )
    for code in h.code[h.over_budget]:
        out.append(
            {
                "kind": "over_budget_hospital",
                "table": "institutions",
                "key": code,
                "amount_at_risk": yuan_str(0),
                "detail": f"往年住院人次少 {OVER_BUDGET_HISTORY_CUT:.0%},本年超出总额 110% 以上",
            }
        )
    return out
