"""Hospitals and the claims of one chunk of people: admissions, outpatient and chronic visits.

Calibration (DOMAIN §4): admissions by age, cost per admission lognormal by hospital level,
lengths of stay by level, about 3.5 outpatient visits a person, chronic outpatient visits for
the chronically ill.  A person's admissions sit in separate parts of the year, so normal stays
never overlap and the next admission starts at least 30 days after a discharge (the guarantees
in docs/synth-truth.md); planted stays are added to people without admissions of their own.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from yibao.money import fen_of_draws
from yibao.refdata import area_name, counties_of, icd10_diagnoses, procedures

from .preset import (
    CHRONIC_MEAN_COST,
    CHRONIC_SHARE_BY_AGE,
    INPATIENT_RATE_BY_AGE,
    OUTPATIENT_MEAN_COST,
    SynthPreset,
)
from .vec import concat, expand, money, take_str, zpad

NUMERALS = "一二三四五六七八九十"
MIN_PER_COUNTY = {"1": 4, "2": 6}
MIN_LEVEL3 = 4
GAP_DAYS = 30  # docs/synth-truth.md: next admission ≥ 30 days after a discharge
MIN_DAILY_FEN = 150_00


def _num(k: int) -> str:
    return NUMERALS[k - 1] if k <= 10 else str(k)


@dataclass
class Hospitals:
    table: pa.Table  # institutions rows (hospitals and pharmacies)
    code: np.ndarray  # hospitals only, below
    level: np.ndarray  # "1" / "2" / "3"
    county: np.ndarray  # county code of the hospital ("" for off-site)
    factor: np.ndarray  # cost factor around the level's norm
    offsite: np.ndarray  # bool
    inflated: np.ndarray  # bool
    upcoder: np.ndarray | None = None  # bool; planted only for multi-year output (--years)
    over_budget: np.ndarray | None = None  # bool; ditto


def make_hospitals(
    rng: np.random.Generator, preset: SynthPreset, counts: dict[str, int]
) -> Hospitals:
    pref = area_name(preset.prefecture) or preset.prefecture
    codes, names, levels, where, beds = [], [], [], [], []
    total = sum(counts.values())
    county_list = list(counts)
    for lv, spec in preset.levels.items():
        if lv == "3":
            k = max(MIN_LEVEL3, round(total * spec.per_100k / 100_000))
            for i in range(k):  # a region's few tertiary hospitals sit in its first counties
                c = county_list[i % min(2, len(county_list))]
                codes.append(c)
                names.append(f"{pref}第{_num(i + 1)}人民医院")
                levels.append("3")
                where.append(c)
                beds.append(int(rng.integers(800, 2500)))
            continue
        for c, n in counts.items():
            k = max(MIN_PER_COUNTY[lv], round(n * spec.per_100k / 100_000))
            cname = area_name(c) or c
            for i in range(k):
                codes.append(c)
                if lv == "2":
                    kinds = ("人民医院", "中医医院", "妇幼保健院")
                    names.append(
                        f"{cname}{_num(i // 3 + 1) if i >= 3 else ''}{kinds[i % 3]}"
                        if i >= 3
                        else f"{cname}{kinds[i % 3]}"
                    )
                else:
                    names.append(f"{cname}第{_num(i + 1)}乡镇卫生院")
                levels.append(lv)
                where.append(c)
                beds.append(int(rng.integers(150, 600) if lv == "2" else rng.integers(20, 90)))
    # Off-site: tertiary hospitals of the provincial capital (异地就医).
    capital = preset.prefecture[:2] + "0100"
    cap_counties = [c for c in counties_of(capital) if c not in counts][:3] or [capital]
    cap_name = area_name(capital) or capital
    n_off = 6
    for i in range(n_off):
        c = cap_counties[i % len(cap_counties)]
        codes.append(c)
        names.append(f"{cap_name}第{_num(i + 1)}医院(异地)")
        levels.append("3")
        where.append("")
        beds.append(int(rng.integers(1500, 4000)))
    n = len(codes)
    serial = np.zeros(n, dtype=np.int64)
    seen: dict[str, int] = {}
    for i, c in enumerate(codes):  # a few hundred institutions, not rows of claims
        seen[c] = seen.get(c, 0) + 1
        serial[i] = seen[c]
    code = np.asarray(concat("H", pa.array(codes), zpad(serial, 5)).to_pylist(), dtype=object)
    level = np.asarray(levels, dtype=object)
    county = np.asarray(where, dtype=object)
    offsite = county == ""
    factor = rng.uniform(0.85, 1.15, n)
    rate = preset.anomalies["inflated_hospital"]
    pool = np.flatnonzero(((level == "2") | (level == "3")) & ~offsite)
    k = max(1, round(rate * len(pool))) if rate > 0 and len(pool) >= 5 else 0
    inflated = np.zeros(n, dtype=bool)
    inflated[rng.choice(pool, size=k, replace=False)] = True
    factor[inflated] = 1.8
    # Pharmacies (定点零售药店): listed, no claims in the resident export.
    ph_codes, ph_names, ph_where = [], [], []
    for c in counts:
        for i in range(3):
            ph_codes.append(f"P{c}{i + 1:05d}")
            ph_names.append(f"{area_name(c) or c}第{_num(i + 1)}大药房")
            ph_where.append(c)
    table = pa.table(
        {
            "fixmedins_code": pa.array([*code, *ph_codes], pa.string()),
            "fixmedins_name": pa.array([*names, *ph_names], pa.string()),
            "hosp_lv": pa.array([*levels, *([None] * len(ph_codes))], pa.string()),
            "region_code": pa.array([*codes, *ph_where], pa.string()),
            "fixmedins_type": pa.array(["1"] * n + ["2"] * len(ph_codes), pa.string()),
            "beds": pa.array([*beds, *([None] * len(ph_codes))], pa.int64()),
        }
    )
    return Hospitals(table, code, level, county, factor, offsite, inflated)


# ---- diagnoses ---------------------------------------------------------------------------

CHAPTER_WEIGHTS = {
    "I": 0.19,
    "J": 0.15,
    "K": 0.12,
    "S": 0.08,
    "C": 0.07,
    "M": 0.07,
    "N": 0.06,
    "E": 0.05,
    "R": 0.04,
    "G": 0.04,
    "H": 0.03,
    "L": 0.02,
    "D": 0.02,
    "A": 0.02,
    "B": 0.01,
    "F": 0.01,
    "T": 0.02,
}


def _in(code: str, lo: str, hi: str) -> bool:
    return lo <= code[:3] <= hi


#: 3-character ranges that only one sex can have (kept away from the other sex).
FEMALE_ONLY = (("C51", "C58"), ("D25", "D28"), ("N70", "N98"))
MALE_ONLY = (("C60", "C63"), ("N40", "N51"))
CHRONIC_PREFIXES = ("I10", "I11", "E11", "E10", "N18", "I25", "J44", "I63", "I50", "F20", "M05")
OUTPATIENT_PREFIXES = ("J00", "J02", "J06", "J20", "K29", "K52", "M54", "R50", "R51", "L30", "H10")


@dataclass(frozen=True)
class Pools:
    general: np.ndarray
    chapter_start: np.ndarray
    chapter_size: np.ndarray
    chapter_p: np.ndarray
    female: np.ndarray
    male: np.ndarray
    obstetric: np.ndarray
    chronic: np.ndarray
    outpatient: np.ndarray


@cache
def pools() -> Pools:
    codes = sorted(icd10_diagnoses())

    def sex_specific(c: str) -> bool:
        return any(_in(c, lo, hi) for lo, hi in (*FEMALE_ONLY, *MALE_ONLY))

    general, starts, sizes, probs = [], [], [], []
    for ch, w in CHAPTER_WEIGHTS.items():
        members = [c for c in codes if c[0] == ch and not sex_specific(c)]
        starts.append(len(general))
        sizes.append(len(members))
        probs.append(w)
        general.extend(members)
    p = np.array(probs)

    def pick(pred: object) -> np.ndarray:
        return np.array([c for c in codes if pred(c)], dtype=object)  # type: ignore[operator]

    return Pools(
        general=np.array(general, dtype=object),
        chapter_start=np.array(starts),
        chapter_size=np.array(sizes),
        chapter_p=p / p.sum(),
        female=pick(lambda c: any(_in(c, lo, hi) for lo, hi in FEMALE_ONLY)),
        male=pick(lambda c: any(_in(c, lo, hi) for lo, hi in MALE_ONLY)),
        obstetric=pick(lambda c: _in(c, "O80", "O84")),
        chronic=pick(lambda c: c[:3] in CHRONIC_PREFIXES),
        outpatient=pick(lambda c: c[:3] in OUTPATIENT_PREFIXES),
    )


def inpatient_diagnoses(rng: np.random.Generator, male: np.ndarray, age: np.ndarray) -> np.ndarray:
    p = pools()
    n = len(male)
    ch = rng.choice(len(p.chapter_p), size=n, p=p.chapter_p)
    dx = p.general[p.chapter_start[ch] + (rng.random(n) * p.chapter_size[ch]).astype(np.int64)]
    u = rng.random(n)
    births = ~male & (age >= 18) & (age <= 45) & (u < 0.20)
    dx[births] = p.obstetric[rng.integers(0, len(p.obstetric), births.sum())]
    fem = ~male & (age >= 15) & (u >= 0.20) & (u < 0.25)
    dx[fem] = p.female[rng.integers(0, len(p.female), fem.sum())]
    mal = male & (age >= 40) & (u < 0.05)
    dx[mal] = p.male[rng.integers(0, len(p.male), mal.sum())]
    # Most admissions are for a few common conditions (so that DIP groups have cases).
    common = ~births & ~fem & ~mal & (rng.random(n) < COMMON_SHARE)
    cp = common_pool()
    dx[common] = cp.codes[rng.choice(len(cp.codes), size=int(common.sum()), p=cp.p)]
    return dx


# ---- procedures (ICD-9-CM-3 医保版) --------------------------------------------------------

COMMON_SHARE = 0.85
#: Common inpatient conditions: ICD-10 category → (weight, procedure prefix or "", share of
#: cases with it, cost factor with it).  Codes are taken from the reference lists.  Surgical
#: conditions are mostly operated; medical ones rarely get a procedure (ventilation 96.71,
#: thrombolysis 99.10), which makes a dearer DIP group.
COMMON_INPATIENT = {
    "J18": (0.12, "96.71", 0.05, 2.5),
    "I63": (0.10, "99.10", 0.08, 2.0),
    "J44": (0.08, "96.71", 0.06, 2.5),
    "I10": (0.06, "", 0.0, 1.0),
    "E11": (0.06, "", 0.0, 1.0),
    "J20": (0.05, "", 0.0, 1.0),
    "K29": (0.04, "", 0.0, 1.0),
    "I50": (0.05, "96.71", 0.04, 2.5),
    "N39": (0.03, "", 0.0, 1.0),
    "K80": (0.06, "51.23", 0.85, 2.2),
    "K35": (0.05, "47.0", 0.9, 1.8),
    "I20": (0.06, "36.06", 0.6, 3.0),
    "S72": (0.04, "79.35", 0.85, 3.2),
    "H25": (0.05, "13.41", 0.95, 1.3),
    "K40": (0.04, "53.0", 0.9, 1.6),
    "N20": (0.04, "98.51", 0.7, 1.4),
    "C34": (0.03, "32.4", 0.5, 3.5),
    "M17": (0.04, "81.54", 0.6, 4.0),
}
#: Sex-specific and obstetric categories: procedure prefix, share operated, cost factor.
SPECIFIC_PROCEDURES = {
    "O82": ("74.1", 1.0, 1.6),
    "O80": ("73.5", 0.6, 1.0),
    "D25": ("68.4", 0.7, 2.0),
    "N40": ("60.2", 0.5, 2.0),
    "C61": ("60.5", 0.4, 3.0),
}


@dataclass(frozen=True)
class CommonPool:
    codes: np.ndarray  # one real ICD-10 code per common category
    p: np.ndarray


@cache
def common_pool() -> CommonPool:
    codes = sorted(icd10_diagnoses())
    picked, weights = [], []
    for cat, (w, *_rest) in COMMON_INPATIENT.items():
        members = [c for c in codes if c.startswith(cat)]
        if members:
            picked.append(members[0])
            weights.append(w)
    p = np.array(weights)
    return CommonPool(np.array(picked, dtype=object), p / p.sum())


@cache
def _procedure_rules() -> dict[str, tuple[str, float, float]]:
    """ICD-10 category → (a real procedure code, share operated, cost factor)."""
    procs = sorted(procedures())
    out = {}
    rules = {c: (pre, share, f) for c, (_w, pre, share, f) in COMMON_INPATIENT.items() if pre}
    rules.update(SPECIFIC_PROCEDURES)
    for cat, (prefix, share, factor) in rules.items():
        members = [c for c in procs if c.startswith(prefix)]
        if members:
            out[cat] = (members[0], share, factor)
    return out


def surgical_procedure(dx: np.ndarray) -> np.ndarray:
    """The procedure of the dearer group of a diagnosis's category ("" when it has none)."""
    rules = _procedure_rules()
    cats = np.array([d[:3] if d else "" for d in dx], dtype=object)
    out = np.full(len(dx), "", dtype=object)
    for cat, (code, _share, _f) in rules.items():
        out[cats == cat] = code
    return out


def assign_procedures(rng: np.random.Generator, dx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Main procedure per inpatient stay and the cost factor it brings (diagnosis decides, and
    the diagnosis already fits the patient's sex and age): surgical conditions are mostly
    operated, medical ones never."""
    rules = _procedure_rules()
    cats = np.array([d[:3] if d else "" for d in dx], dtype=object)
    u = rng.random(len(dx))
    norm = _mean_factor()
    proc = np.full(len(dx), "", dtype=object)
    factor = np.ones(len(dx))
    for cat, (code, share, f) in rules.items():
        m = (cats == cat) & (u < share)
        proc[m] = code
        factor[m] = f
    return proc, factor / norm


@cache
def _mean_factor() -> float:
    """Expected cost factor over the admission mix, divided out so that the mean cost per
    admission by level stays at its calibration (DOMAIN §4)."""
    cp = common_pool()
    p = dict(zip((c[:3] for c in cp.codes), cp.p, strict=True))
    rules = _procedure_rules()
    extra = sum(p.get(cat, 0.0) * share * (f - 1) for cat, (_c, share, f) in rules.items())
    return 1.0 + COMMON_SHARE * extra


# ---- claims ------------------------------------------------------------------------------


def _by_age(table: tuple[tuple[int, float], ...], age: np.ndarray) -> np.ndarray:
    lows = np.array([lo for lo, _ in table])
    vals = np.array([v for _, v in table])
    return vals[np.searchsorted(lows, age, side="right") - 1]


@dataclass
class Usage:
    """Care drawn for every person of a county before chunking (so plants are county-wide)."""

    admissions: np.ndarray  # int per person
    visits: np.ndarray
    chronic_visits: np.ndarray
    chronic_dx: np.ndarray  # object per person ("" if not chronically ill)
    planted: dict[str, np.ndarray]  # kind → person indices


def draw_usage(
    rng: np.random.Generator,
    preset: SynthPreset,
    age: np.ndarray,
    eligible: np.ndarray,
    resident: np.ndarray,
    n_resident: int,
) -> Usage:
    n = len(age)
    lam = _by_age(INPATIENT_RATE_BY_AGE, age)
    adm = np.minimum(rng.poisson(lam), 4) * eligible
    visits = rng.poisson(preset.outpatient_visits, n) * eligible
    chronic = eligible & (rng.random(n) < _by_age(CHRONIC_SHARE_BY_AGE, age))
    cv = np.where(chronic, np.maximum(1, rng.poisson(preset.chronic_visits, n)), 0)
    p = pools()
    cdx = np.where(chronic, p.chronic[rng.integers(0, len(p.chronic), n)], "")
    candidates = np.flatnonzero(eligible & resident & (adm == 0) & (age >= 15))
    candidates = rng.permutation(candidates)
    planted: dict[str, np.ndarray] = {}
    pos = 0
    for kind in ("overlapping_stay", "split_admission", "bed_hanging"):
        rate = preset.anomalies[kind]
        k = max(1, round(rate * n_resident)) if rate > 0 else 0
        planted[kind] = np.sort(candidates[pos : pos + k])
        pos += k
    return Usage(adm.astype(np.int64), visits.astype(np.int64), cv.astype(np.int64), cdx, planted)


@dataclass
class ClaimBlock:
    """Columns of a set of claims before payments (numpy, aligned)."""

    person: np.ndarray  # index into the county's persons
    hosp: np.ndarray  # index into Hospitals
    med_type: np.ndarray
    adm: np.ndarray  # datetime64[s]
    dscg: np.ndarray
    setl: np.ndarray
    days: np.ndarray  # act_ipt_days (-1 = null)
    dx: np.ndarray
    medfee: np.ndarray  # fen
    inscp: np.ndarray  # fen
    plant: np.ndarray  # object: planted kind or ""
    proc: np.ndarray  # object: main procedure (ICD-9-CM-3 医保版) or ""

    @staticmethod
    def concat(blocks: list[ClaimBlock]) -> ClaimBlock:
        return ClaimBlock(
            *(np.concatenate([getattr(b, f) for b in blocks]) for f in ClaimBlock.__annotations__)
        )


class HospitalPicker:
    """Random hospital of a level, local to the person's county for levels 1 and 2."""

    def __init__(self, h: Hospitals, county: str) -> None:
        self.h = h
        local = ~h.offsite
        self.by_level = {
            lv: np.flatnonzero(local & (h.level == lv) & ((h.county == county) | (lv == "3")))
            for lv in ("1", "2", "3")
        }
        for lv, idx in self.by_level.items():
            if len(idx) == 0:
                self.by_level[lv] = np.flatnonzero(local & (h.level == lv))
        self.offsite = np.flatnonzero(h.offsite)

    def pick(self, rng: np.random.Generator, levels: np.ndarray) -> np.ndarray:
        out = np.empty(len(levels), dtype=np.int64)
        for lv, idx in self.by_level.items():
            m = levels == lv
            out[m] = idx[rng.integers(0, len(idx), m.sum())]
        m = levels == "X"
        out[m] = self.offsite[rng.integers(0, len(self.offsite), m.sum())]
        return out

    def other_than(self, rng: np.random.Generator, hosp: np.ndarray) -> np.ndarray:
        """A different local hospital of any level (for overlapping stays)."""
        pool = np.sort(np.concatenate([self.by_level[lv] for lv in ("1", "2", "3")]))
        pick = pool[rng.integers(0, len(pool), len(hosp))]
        same = pick == hosp
        pick[same] = pool[(np.searchsorted(pool, pick[same]) + 1) % len(pool)]
        return pick


def _lognormal_fen(
    rng: np.random.Generator, mean: np.ndarray, sigma: float | np.ndarray
) -> np.ndarray:
    mu = np.log(mean) - sigma**2 / 2
    return fen_of_draws(rng.lognormal(mu, sigma))


def _times(rng: np.random.Generator, year: int, day: np.ndarray, h0: int, h1: int) -> np.ndarray:
    start = np.datetime64(f"{year}-01-01T00:00:00", "s")
    secs = day * 86400 + rng.integers(h0 * 3600, h1 * 3600, len(day))
    return start + secs.astype("timedelta64[s]")


def _stays(
    rng: np.random.Generator,
    preset: SynthPreset,
    h: Hospitals,
    hosp: np.ndarray,
    person: np.ndarray,
    adm_day: np.ndarray,
    los: np.ndarray,
    dx: np.ndarray,
    plant: str,
    daily_fen: np.ndarray | None = None,
) -> ClaimBlock:
    """Inpatient claims from admission day, length of stay and hospital."""
    year = preset.year
    proc, cost_factor = assign_procedures(rng, dx)
    if daily_fen is None:
        care = [preset.levels["3" if lv == "X" else lv] for lv in h.level[hosp]]
        mean = np.array([c.mean_cost for c in care]) * cost_factor * preset.cost_index
        cost = _lognormal_fen(rng, mean * h.factor[hosp], np.array([c.sigma for c in care]))
        cost = np.maximum(cost, los * MIN_DAILY_FEN + rng.integers(0, 5000, len(los)))
    else:
        cost = los * daily_fen
        proc = np.full(len(los), "", dtype=object)
    if h.upcoder is not None:
        # Up-coding: cases without a procedure get the procedure of their category's dearer
        # group (operation, ventilation, thrombolysis); the care and its cost are unchanged.
        surgical = surgical_procedure(dx)
        up = h.upcoder[hosp] & (proc == "") & (surgical != "") & (rng.random(len(los)) < 0.9)
        proc = np.where(up, surgical, proc)
    lo, hi = preset.policy_range_share
    inscp = (cost * rng.uniform(lo, hi, len(cost))).astype(np.int64)
    adm = _times(rng, year, adm_day, 7, 21)
    dscg = _times(rng, year, adm_day + los, 9, 12)
    setl = dscg + rng.integers(300, 3000, len(los)).astype("timedelta64[s]")
    return ClaimBlock(
        person=person,
        hosp=hosp,
        med_type=np.full(len(los), "21", dtype=object),
        adm=adm,
        dscg=dscg,
        setl=setl,
        days=los,
        dx=dx,
        medfee=cost,
        inscp=inscp,
        plant=np.full(len(los), plant, dtype=object),
        proc=proc,
    )


def _los(rng: np.random.Generator, preset: SynthPreset, levels: np.ndarray) -> np.ndarray:
    mean = np.array([preset.levels["3" if lv == "X" else lv].mean_los for lv in levels])
    return np.clip(1 + rng.poisson(mean - 1), 1, 30).astype(np.int64)


def chunk_claims(
    rng: np.random.Generator,
    preset: SynthPreset,
    h: Hospitals,
    picker: HospitalPicker,
    usage: Usage,
    people: np.ndarray,
    male: np.ndarray,
    age: np.ndarray,
) -> ClaimBlock:
    """Every claim of the people ``people`` (indices into the county)."""
    days_in_year = 366 if calendar.isleap(preset.year) else 365
    blocks: list[ClaimBlock] = []
    levels_p = np.array(list(preset.levels))
    share = np.array([preset.levels[lv].admission_share for lv in levels_p])

    # Normal admissions: k stays in k equal parts of the year, each ending ≥ GAP_DAYS before
    # the next part starts.
    k = usage.admissions[people]
    person, j = expand(people, k)
    kk = usage.admissions[person]
    seg = days_in_year // np.maximum(kk, 1)
    lv = levels_p[rng.choice(len(levels_p), size=len(person), p=share / share.sum())]
    lv = np.where(rng.random(len(person)) < preset.offsite_share, "X", lv)
    hosp = picker.pick(rng, lv)
    los = np.minimum(_los(rng, preset, lv), seg - GAP_DAYS - 1)
    offset = (rng.random(len(person)) * (seg - GAP_DAYS - los)).astype(np.int64)
    adm_day = j * seg + offset
    dx = inpatient_diagnoses(rng, male[person], age[person])
    blocks.append(_stays(rng, preset, h, hosp, person, adm_day, los, dx, ""))

    # Outpatient visits (普通门诊) and chronic visits (门诊慢特病).
    for counts, med, levels, probs, mean, sigma in (
        (usage.visits, "11", ("1", "2", "3"), (0.70, 0.25, 0.05), OUTPATIENT_MEAN_COST, 0.7),
        (usage.chronic_visits, "14", ("1", "2", "3"), (0.25, 0.65, 0.10), CHRONIC_MEAN_COST, 0.5),
    ):
        person, _ = expand(people, counts[people])
        n = len(person)
        lvv = np.asarray(levels, dtype=object)[rng.choice(3, size=n, p=probs)]
        hosp = picker.pick(rng, lvv)
        mean = mean * preset.cost_index
        cost = np.maximum(_lognormal_fen(rng, np.full(n, mean, dtype=float), sigma), 500)
        inscp = (cost * rng.uniform(0.80, 0.95, n)).astype(np.int64)
        day = rng.integers(0, days_in_year, n)
        t = _times(rng, preset.year, day, 8, 17)
        if med == "14":
            dxx = usage.chronic_dx[person]
        else:
            p = pools()
            dxx = p.outpatient[rng.integers(0, len(p.outpatient), n)]
        blocks.append(
            ClaimBlock(
                person=person,
                hosp=hosp,
                med_type=np.full(n, med, dtype=object),
                adm=t,
                dscg=t,
                setl=t + rng.integers(120, 2400, n).astype("timedelta64[s]"),
                days=np.full(n, -1),
                dx=dxx,
                medfee=cost,
                inscp=inscp,
                plant=np.full(n, "", dtype=object),
                proc=np.full(n, "", dtype=object),
            )
        )
    blocks.extend(_planted(rng, preset, h, picker, usage, people, male, age, days_in_year))
    return ClaimBlock.concat(blocks)


def _planted(
    rng: np.random.Generator,
    preset: SynthPreset,
    h: Hospitals,
    picker: HospitalPicker,
    usage: Usage,
    people: np.ndarray,
    male: np.ndarray,
    age: np.ndarray,
    days_in_year: int,
) -> list[ClaimBlock]:
    out = []
    local_lv = np.array(["1", "2", "3"], dtype=object)

    def first_stays(who: np.ndarray, los_lo: int, los_hi: int, latest: int) -> ClaimBlock:
        n = len(who)
        lv = local_lv[rng.integers(0, 3, n)]
        hosp = picker.pick(rng, lv)
        los = rng.integers(los_lo, los_hi + 1, n)
        adm_day = rng.integers(0, latest, n)
        dx = inpatient_diagnoses(rng, male[who], age[who])
        return _stays(rng, preset, h, hosp, who, adm_day, los, dx, "")

    # Overlapping stays: a normal stay at A, and a stay at B admitted during it.
    who = np.intersect1d(usage.planted["overlapping_stay"], people)
    if len(who):
        a = first_stays(who, 5, 15, days_in_year - 60)
        adm_a = (
            (a.adm - np.datetime64(f"{preset.year}-01-01T00:00:00", "s"))
            .astype("timedelta64[D]")
            .astype(np.int64)
        )
        adm_b = adm_a + 1 + (rng.random(len(who)) * (a.days - 2)).astype(np.int64)
        los_b = rng.integers(2, 9, len(who))
        hosp_b = picker.other_than(rng, a.hosp)
        dx_b = inpatient_diagnoses(rng, male[who], age[who])
        b = _stays(rng, preset, h, hosp_b, who, adm_b, los_b, dx_b, "overlapping_stay")
        out += [a, b]
    # Split admissions: a stay, then a readmission 1–14 days after discharge, same diagnosis.
    who = np.intersect1d(usage.planted["split_admission"], people)
    if len(who):
        a = first_stays(who, 3, 12, days_in_year - 60)
        dscg_a = (
            (a.dscg - np.datetime64(f"{preset.year}-01-01T00:00:00", "s"))
            .astype("timedelta64[D]")
            .astype(np.int64)
        )
        adm_b = dscg_a + rng.integers(1, 15, len(who))
        los_b = rng.integers(2, 11, len(who))
        b = _stays(rng, preset, h, a.hosp, who, adm_b, los_b, a.dx.copy(), "split_admission")
        out += [a, b]
    # Bed-hanging: 45–120 days at under 50 元 a day.
    who = np.intersect1d(usage.planted["bed_hanging"], people)
    if len(who):
        n = len(who)
        lv = local_lv[rng.integers(0, 2, n)]
        hosp = picker.pick(rng, lv)
        los = rng.integers(45, 121, n)
        adm_day = (rng.random(n) * (days_in_year - 1 - los)).astype(np.int64)
        dx = inpatient_diagnoses(rng, male[who], age[who])
        daily = rng.integers(10_00, 45_00, n)
        out.append(_stays(rng, preset, h, hosp, who, adm_day, los, dx, "bed_hanging", daily))
    return out


def claims_table(
    block: ClaimBlock,
    county_code: str,
    year: int,
    serial0: int,
    psn_no: pa.Array,
    certno: pa.Array,
    insutype: np.ndarray,
    idet: np.ndarray,
    h: Hospitals,
) -> pa.Table:
    """The export columns (schema order) before payments, sorted by settlement time."""
    order = np.lexsort((block.person, block.setl))
    b = ClaimBlock(*(getattr(block, f)[order] for f in ClaimBlock.__annotations__))
    n = len(b.person)
    serial = serial0 + np.arange(n, dtype=np.int64)
    stem = concat(str(year), county_code, zpad(serial, 9))
    pidx = pa.array(b.person)
    days = pa.array(np.where(b.days >= 0, b.days, 0), pa.int64())
    days = pa.compute.if_else(pa.array(b.days >= 0), days, pa.nulls(n, pa.int64()))
    lv = h.level[b.hosp]
    return pa.table(
        {
            "setl_id": concat("S", stem),
            "mdtrt_id": concat("M", stem),
            "psn_no": psn_no.take(pidx),
            "certno": certno.take(pidx),
            "insutype": pa.array(insutype[b.person], pa.string()),
            "med_type": pa.array(b.med_type, pa.string()),
            "fixmedins_code": take_str(h.code, b.hosp),
            "hi_setl_lv": pa.array(lv, pa.string()),
            "offsite_flag": pa.array(np.where(h.offsite[b.hosp], "1", "0"), pa.string()),
            "psn_idet_type": pa.array(idet[b.person], pa.string()),
            "adm_time": pa.array(b.adm, pa.timestamp("s")),
            "dscg_time": pa.array(b.dscg, pa.timestamp("s")),
            "setl_time": pa.array(b.setl, pa.timestamp("s")),
            "dise_codg": pa.array(b.dx, pa.string()),
            "oprn_oprt_code": pa.array(np.where(b.proc == "", None, b.proc), pa.string()),
            "dept_codg": pa.nulls(n, pa.string()),
            "act_ipt_days": days,
            "medfee_sumamt": money(b.medfee),
            "inscp_scp_amt": money(b.inscp),
            "_plant": pa.array(b.plant, pa.string()),
        }
    )
