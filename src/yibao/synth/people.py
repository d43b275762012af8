"""Persons, households and enrolments of one county, with the planted enrolment anomalies.

Everything is drawn as whole numpy arrays.  A county's resident insured (险种 390) count is
exactly the preset's figure × scale: planted duplicates, invalid IDs and deceased enrolees are
among them, as they are among the insured a bureau reports (seed 000 counts them inside its
4,097,942).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa

from yibao.schema import codes

from .preset import AGE_MAX, PYRAMID, SynthPreset
from .vec import certno, concat, date_parts, money, take_str, unique_seq, zpad

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰霞波辉玲鹏红建文斌宇浩凯俊峰志飞春梅琴云莉林燕晶欣婷雪慧倩丹阳佳颖鑫亮成国海"
)
HOUSEHOLD_SIZES = (np.array([1, 2, 3, 4, 5]), np.array([0.14, 0.30, 0.26, 0.19, 0.11]))

RESIDENT, EMPLOYEE, CADRE = codes.RESIDENT, codes.EMPLOYEE, codes.RETIRED_CADRE


@dataclass
class County:
    """What later steps need of a county's people (arrays aligned by person)."""

    code: str
    name: str
    psn_no: pa.Array
    certno: pa.Array
    sex_male: np.ndarray
    birth: np.ndarray  # datetime64[D]
    age: np.ndarray
    idet: np.ndarray  # object array of 人员身份类别
    insutype: np.ndarray  # object array: 390 / 310 / 340
    claims_ok: np.ndarray  # bool: may have claims (not invalid-ID, not deceased, not employee)
    persons: pa.Table
    enrolments: pa.Table
    truth: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Twin:
    """A planted cross-county duplicate: the person's second record lives in ``other``."""

    other: str
    count: int


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    lows = np.array([lo for lo, _ in PYRAMID])
    shares = np.array([s for _, s in PYRAMID])
    band = rng.choice(len(lows), size=n, p=shares / shares.sum())
    highs = np.r_[lows[1:], AGE_MAX + 1]
    return lows[band] + (rng.random(n) * (highs[band] - lows[band])).astype(np.int64)


def _births(rng: np.random.Generator, year: int, age: np.ndarray) -> np.ndarray:
    """Birth dates in calendar year ``year - age - 1``: everyone is born before the year starts
    (a newborn of the year would be enrolled, and could be treated, before birth)."""
    base = (np.asarray(year - age - 1, dtype=np.int64) - 1970).astype("datetime64[Y]")
    return base.astype("datetime64[D]") + rng.integers(0, 365, len(age))


def contribution_columns(
    idet: np.ndarray, insutype: np.ndarray, contribution_fen: int, assist_fen: dict[str, int]
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """个人缴费, 资助金额 and 缴费来源 by identity (seed 000: 特困 in full, 低保 in part)."""
    n = len(idet)
    contrib = np.full(n, contribution_fen, dtype=np.int64)
    subsid = np.zeros(n, dtype=np.int64)
    paid_by = np.full(n, "个人", dtype=object)
    for cat, fen in assist_fen.items():
        m = idet == cat
        subsid[m] = fen
        paid_by[m] = "医疗救助" if fen >= contribution_fen else "部分资助"
    not_resident = pa.array(insutype != RESIDENT)
    null = pa.nulls(n, pa.decimal128(18, 2))
    contrib_arr = pa.compute.if_else(not_resident, null, money(contrib))
    subsid_arr = pa.compute.if_else(not_resident, null, money(subsid))
    paid_by[insutype == EMPLOYEE] = "单位"
    paid_by[insutype == CADRE] = "财政"
    return contrib_arr, subsid_arr, pa.array(paid_by, pa.string())


def make_county(
    rng: np.random.Generator,
    preset: SynthPreset,
    code: str,
    name: str,
    n_resident: int,
    *,
    twins_in: int,
    twins_out: Twin | None,
    contribution_fen: int,
    assist_fen: dict[str, int],
    subsidy: Decimal,
) -> tuple[County, dict[str, pa.Table]]:
    """One county's people.  Returns the county and the twin records it plants elsewhere.

    ``twins_in`` resident slots are taken by other counties' planted duplicates (their rows are
    written by that county), so this county generates ``n_resident - twins_in`` residents itself.
    """
    year = preset.year
    a = preset.anomalies
    n_res = max(0, n_resident - twins_in)
    n_emp = round(n_res * preset.employee_per_resident)
    if preset.retired_cadres is not None:  # a count the seed gives for the whole region
        n_cad = max(1, round(preset.retired_cadres * n_resident / preset.total_insured))
    else:
        n_cad = max(1, round(n_res * preset.retired_cadres_per_100k / 100_000))
    n = n_res + n_emp + n_cad
    insutype = np.array([RESIDENT] * n_res + [EMPLOYEE] * n_emp + [CADRE] * n_cad, dtype=object)

    age = _ages(rng, n)
    age[n_res : n_res + n_emp] = rng.integers(20, 76, n_emp)
    age[n_res + n_emp :] = year - rng.integers(1920, 1935, n_cad)
    male = rng.random(n) < preset.male_share
    male[n_res + n_emp :] = rng.random(n_cad) < 0.85
    birth = _births(rng, year, age)
    by, bm, bd = date_parts(birth)
    area = np.full(n, int(code), dtype=np.int64)
    seq = unique_seq(rng, (birth - np.datetime64("1800-01-01")).astype(np.int64), male)

    # Households: consecutive people, sizes drawn from HOUSEHOLD_SIZES; identity per household.
    sizes = rng.choice(HOUSEHOLD_SIZES[0], size=n, p=HOUSEHOLD_SIZES[1])
    hh = np.searchsorted(np.cumsum(sizes), np.arange(n), side="right")
    n_hh = int(hh[-1]) + 1 if n else 0
    cats = ["普通人员", *preset.identity_shares]
    probs = np.array([1 - sum(preset.identity_shares.values()), *preset.identity_shares.values()])
    idet = np.asarray(cats, dtype=object)[rng.choice(len(cats), size=n_hh, p=probs)][hh]
    idet[insutype != RESIDENT] = "普通人员"
    surname = rng.integers(0, len(SURNAMES), n_hh)[hh]
    given1 = rng.integers(0, len(GIVEN), n)
    given2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.7
    names = concat(
        take_str(SURNAMES, surname),
        take_str(GIVEN, given1),
        take_str(np.array([*GIVEN, ""], dtype=object), np.where(two, given2, len(GIVEN))),
    )

    # Planted enrolment anomalies: disjoint sets of resident slots.
    res_order = rng.permutation(n_res)
    counts = {
        k: round(n_resident * a[k])
        for k in ("invalid_id", "deceased_enrolled", "duplicate_enrolment_insutype")
    }
    counts["duplicate_enrolment_region"] = twins_out.count if twins_out else 0
    picks: dict[str, np.ndarray] = {}
    # The deceased come from people aged 60 or more, so that a death in the previous year is
    # always after the birth date (persons' row rule); the other kinds from everyone left.
    old = res_order[age[res_order] >= 60]
    picks["deceased_enrolled"] = np.sort(old[: counts["deceased_enrolled"]])
    rest = res_order[~np.isin(res_order, picks["deceased_enrolled"])]
    pos = 0
    for kind, k in counts.items():
        if kind == "deceased_enrolled":
            continue
        picks[kind] = np.sort(rest[pos : pos + k])
        pos += k
    death = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    dead = picks["deceased_enrolled"]
    death[dead] = np.datetime64(f"{year - 1}-01-01") + rng.integers(0, 365, len(dead))
    # Invalid IDs: 60 % wrong check character, 40 % impossible birth date (day 00 or month 13).
    bad = picks["invalid_id"]
    bad_date = bad[rng.random(len(bad)) < 0.4]
    bm = bm.copy()
    bd = bd.copy()
    bm[bad_date[::2]] = 13
    bd[bad_date[1::2]] = 0
    ids = certno(area, by, bm, bd, seq)
    wrong_check = np.setdiff1d(bad, bad_date)
    if len(wrong_check):
        ids = _swap_check(ids, wrong_check, rng)

    serial = np.arange(n, dtype=np.int64) + 1
    psn = concat(code, zpad(serial, 10))
    hh_id = concat("H", code, zpad(hh + 1, 8))
    persons = pa.table(
        {
            "psn_no": psn,
            "certno": ids,
            "psn_name": names,
            "gend": pa.array(np.where(male, "1", "2"), pa.string()),
            "brdy": pa.array(birth, pa.date32()),
            "region_code": pa.array(np.full(n, code, dtype=object), pa.string()),
            "household_id": hh_id,
            "psn_idet_type": pa.array(idet, pa.string()),
            "death_date": pa.array(death, pa.date32()),
        }
    )
    enrol_date = np.maximum(
        np.datetime64(f"{year - 1}-09-01") + rng.integers(0, 122, n), birth + 1
    )  # a baby born during the collection window is enrolled after birth
    contrib, subsid, paid_by = contribution_columns(idet, insutype, contribution_fen, assist_fen)
    enrol = pa.table(
        {
            "psn_no": psn,
            "year": pa.array(np.full(n, year), pa.int64()),
            "insutype": pa.array(insutype, pa.string()),
            "region_code": persons["region_code"],
            "certno": ids,
            "psn_idet_type": persons["psn_idet_type"],
            "enrol_date": pa.array(enrol_date, pa.date32()),
            "contribution": contrib,
            "subsidised_amt": subsid,
            "paid_by": paid_by,
        }
    )
    # Employee + resident duplicates: the same psn_no also holds a 310 enrolment this year.
    dup_ins = picks["duplicate_enrolment_insutype"]
    extra = enrol.take(pa.array(dup_ins)).set_column(
        2, "insutype", pa.array([EMPLOYEE] * len(dup_ins), pa.string())
    )
    extra = _employee_money(extra)
    enrolments = pa.concat_tables([enrol, extra])

    county = County(
        code=code,
        name=name,
        psn_no=psn,
        certno=ids,
        sex_male=male,
        birth=birth,
        age=age,
        idet=idet,
        insutype=insutype,
        claims_ok=(insutype != EMPLOYEE),
        persons=persons,
        enrolments=enrolments,
    )
    county.claims_ok[bad] = False
    county.claims_ok[dead] = False
    sub = f"{subsidy:.2f}"
    _truth(county, "invalid_id", "persons", psn.take(pa.array(bad)), sub, "身份证号不符合 GB 11643")
    _truth(county, "deceased_enrolled", "persons", psn.take(pa.array(dead)), sub, "死亡后仍参保")
    _truth(
        county,
        "duplicate_enrolment_insutype",
        "enrolments",
        ids.take(pa.array(dup_ins)),
        sub,
        "同年同时参加职工医保(310)和居民医保(390)",
    )
    for table, keys in (
        ("persons", psn.take(pa.array(bad)).to_pylist()),
        (
            "enrolments",
            [f"{p}|{year}|{RESIDENT}|{code}" for p in psn.take(pa.array(bad)).to_pylist()],
        ),
    ):
        county.quarantine.extend(
            {"table": table, "key": k, "column": "certno", "reason": "身份证号无效"} for k in keys
        )

    twins: dict[str, pa.Table] = {}
    dup_reg = picks["duplicate_enrolment_region"]
    if twins_out and len(dup_reg):
        other = twins_out.other
        t_serial = 9_000_000_000 + np.arange(len(dup_reg), dtype=np.int64) + 1
        t_psn = concat(other, zpad(t_serial, 10))
        t_persons = persons.take(pa.array(dup_reg))
        t_persons = t_persons.set_column(0, "psn_no", t_psn)
        t_persons = t_persons.set_column(
            5, "region_code", pa.array([other] * len(dup_reg), pa.string())
        )
        t_persons = t_persons.set_column(6, "household_id", concat("H", other, zpad(t_serial, 8)))
        t_enrol = enrol.take(pa.array(dup_reg))
        t_enrol = t_enrol.set_column(0, "psn_no", t_psn)
        t_enrol = t_enrol.set_column(
            3, "region_code", pa.array([other] * len(dup_reg), pa.string())
        )
        twins = {"persons": t_persons, "enrolments": t_enrol}
        _truth(
            county,
            "duplicate_enrolment_region",
            "enrolments",
            ids.take(pa.array(dup_reg)),
            sub,
            f"同一身份证号同年在 {code} 和 {other} 参加居民医保",
        )
    return county, twins


def _employee_money(t: pa.Table) -> pa.Table:
    n = t.num_rows
    null = pa.nulls(n, pa.decimal128(18, 2))
    t = t.set_column(t.schema.get_field_index("contribution"), "contribution", null)
    t = t.set_column(t.schema.get_field_index("subsidised_amt"), "subsidised_amt", null)
    return t.set_column(
        t.schema.get_field_index("paid_by"), "paid_by", pa.array(["单位"] * n, pa.string())
    )


def _swap_check(ids: pa.Array, rows: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Replace the check character of ``rows`` by a wrong one (the commonest typing error)."""
    chars = np.array(list("0123456789X"), dtype=object)
    body = pa.compute.utf8_slice_codeunits(ids, 0, 17)
    last = np.asarray(
        pa.compute.utf8_slice_codeunits(ids, 17, 18).to_numpy(zero_copy_only=False), dtype=object
    )
    cur = np.searchsorted(chars.astype(str), last[rows].astype(str))  # chars are sorted
    last[rows] = chars[(cur + rng.integers(1, 11, len(rows))) % 11]
    return concat(body, pa.array(last, pa.string()))


def _truth(county: County, kind: str, table: str, keys: pa.Array, amount: str, detail: str) -> None:
    county.truth.extend(
        {"kind": kind, "table": table, "key": k, "amount_at_risk": amount, "detail": detail}
        for k in keys.to_pylist()
    )
