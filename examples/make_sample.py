"""Writes the small hand-made sample under examples/demo-county (run once; output is committed).

A county (430921 南县) with 30 people, 5 hospitals and 80 claims, in the shapes bureaus export:
GBK CSV with Chinese headers (persons, claims), UTF-8 with field codes (enrolments), and a few
deliberately bad rows so that the demo shows quarantine at work.  Recorded fund payments follow
the demo-county policy (issue 3) in plain Python, which is fine for 80 rows of a fixture.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from yibao.identity.idcard import random_valid_id
from yibao.refdata import icd10_diagnoses

OUT = Path(__file__).parent / "demo-county"
rng = random.Random(20210101)
DIAGNOSES: list[str] = []
D = Decimal
FEN = D("0.01")


def r2(x: Decimal) -> Decimal:
    return x.quantize(FEN, rounding=ROUND_HALF_UP)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰"
IDET = ["普通人员"] * 22 + ["特困人员"] * 2 + ["低保对象"] * 3 + ["返贫致贫人口"] * 3
HOSPITALS = [
    ("H43092100001", "南县人民医院", "2", "430921"),
    ("H43092100002", "南县中医医院", "2", "430921"),
    ("H43092100003", "南县茅草街镇卫生院", "1", "430921"),
    ("H43090200001", "益阳市中心医院", "3", "430902"),
    ("H43010200001", "中南大学湘雅医院", "3", "430102"),
]


def persons() -> list[dict]:
    rows = []
    for i in range(30):
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 80 * 365))
        male = rng.random() < 0.5
        rows.append(
            {
                "人员编号": f"43092100{i + 1:04d}",
                "身份证号": random_valid_id(rng, "430921", birth, male),
                "姓名": rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if i % 3 else ""),
                "性别": "男" if male else "女",
                "出生日期": birth.isoformat(),
                "户籍区划代码": "430921",
                "家庭编号": f"HH{(i // 2) + 1:04d}",
                "人员身份类别": IDET[i],
            }
        )
    # Two bad rows: a wrong check character and an impossible birth date.
    bad = dict(rows[5], 人员编号="430921009901")
    bad["身份证号"] = bad["身份证号"][:-1] + ("0" if bad["身份证号"][-1] != "0" else "1")
    rows.append(bad)
    rows.append(dict(rows[6], 人员编号="430921009902", 出生日期="1980-02-30"))
    return rows


def settle(claims: list[dict], idet: dict[str, str]) -> None:
    """demo-county chain, claim by claim in (setl_time, setl_id) order per person-year."""
    cum_basic: dict[str, Decimal] = {}
    cum_out: dict[str, Decimal] = {}
    cum_ci: dict[str, Decimal] = {}
    cum_maf: dict[str, Decimal] = {}
    scale = [
        (D(0), D("0.60")),
        (D(50000), D("0.65")),
        (D(100000), D("0.75")),
        (D(200000), D("0.85")),
    ]

    def f_ci(c: Decimal, ded: Decimal, bump: Decimal) -> Decimal:
        total = D(0)
        for i, (lo, rate) in enumerate(scale):
            hi = scale[i + 1][0] if i + 1 < len(scale) else None
            lo2 = max(lo, ded)
            top = c if hi is None else min(c, hi)
            if top > lo2:
                total += (top - lo2) * (rate + bump)
        return total

    for c in sorted(claims, key=lambda c: (c["psn_no"], c["setl_time"], c["setl_id"])):
        p, inscp, mt = c["psn_no"], D(c["inscp_scp_amt"]), c["med_type"]
        if mt == "21":
            lv = c["hi_setl_lv"]
            ded = (
                D(1000) if c["offsite_flag"] == "1" else {"1": D(200), "2": D(500), "3": D(800)}[lv]
            )
            ratio = {"1": D("0.90"), "2": D("0.80"), "3": D("0.65")}[lv]
            ratio -= D("0.10") if c["offsite_flag"] == "1" else 0
            raw = r2(max(D(0), inscp - ded) * ratio)
        elif mt == "14":
            raw = r2(inscp * D("0.70"))
        else:
            raw = r2(inscp * D("0.50"))
        if mt in ("21", "14"):
            before = cum_basic.get(p, D(0))
            hifp = min(before + raw, D(150000)) - min(before, D(150000))
            cum_basic[p] = before + raw
        else:
            before = cum_out.get(p, D(0))
            hifp = min(before + raw, D(400)) - min(before, D(400))
            cum_out[p] = before + raw
        hifmi = maf = D(0)
        if mt in ("21", "14"):
            poor = idet[p] in ("特困人员", "低保对象", "返贫致贫人口")
            ded, bump = (D(6000), D("0.05")) if poor else (D(12000), D(0))
            base = inscp - hifp
            b0 = cum_ci.get(p, D(0))
            hifmi = r2(f_ci(b0 + base, ded, bump)) - r2(f_ci(b0, ded, bump))
            cum_ci[p] = b0 + base
            rate = {"特困人员": D("0.90"), "低保对象": D("0.75"), "返贫致贫人口": D("0.60")}.get(
                idet[p], D(0)
            )
            raw_m = r2((inscp - hifp - hifmi) * rate)
            m0 = cum_maf.get(p, D(0))
            maf = min(m0 + raw_m, D(60000)) - min(m0, D(60000))
            cum_maf[p] = m0 + raw_m
        c["hifp_pay"], c["hifmi_pay"], c["maf_pay"] = hifp, hifmi, maf
        c["psn_part_amt"] = D(c["medfee_sumamt"]) - hifp - hifmi - maf


def claims(people: list[dict]) -> list[dict]:
    global DIAGNOSES
    DIAGNOSES = sorted(rng.sample(sorted(icd10_diagnoses()), 40))
    rows = []
    good = people[:30]
    for i in range(80):
        p = good[rng.randrange(30)]
        kind = rng.choices(["11", "14", "21"], [5, 2, 3])[0]
        if kind == "21":
            h = rng.choices(HOSPITALS, [4, 2, 3, 2, 1])[0]
            days = rng.randint(3, 15)
            adm = datetime(2021, 1, 1, 8) + timedelta(
                days=rng.randrange(0, 340), hours=rng.randint(0, 10)
            )
            dscg = adm + timedelta(days=days, hours=2)
            mean = {"1": 3600, "2": 6600, "3": 12000}[h[2]]
            total = r2(D(str(round(rng.lognormvariate(0, 0.6) * mean, 2))))
        else:
            h = rng.choice(HOSPITALS[:3])
            adm = datetime(2021, 1, 1, 9) + timedelta(
                days=rng.randrange(0, 360), minutes=rng.randint(0, 600)
            )
            dscg = adm + timedelta(minutes=30)
            total = r2(
                D(str(round(rng.lognormvariate(0, 0.5) * (400 if kind == "14" else 120), 2)))
            )
        inscp = r2(total * D(str(rng.choice(["0.78", "0.85", "0.9", "0.95"]))))
        rows.append(
            {
                "setl_id": f"S2021{i + 1:06d}",
                "mdtrt_id": f"M2021{i + 1:06d}",
                "psn_no": p["人员编号"],
                "certno": p["身份证号"],
                "insutype": "390",
                "med_type": kind,
                "fixmedins_code": h[0],
                "hi_setl_lv": h[2],
                "offsite_flag": "1" if h[3][:4] != "4309" else "0",
                "psn_idet_type": p["人员身份类别"],
                "adm_time": adm.strftime("%Y-%m-%d %H:%M:%S"),
                "dscg_time": dscg.strftime("%Y-%m-%d %H:%M:%S"),
                "setl_time": dscg.strftime("%Y-%m-%d %H:%M:%S"),
                "dise_codg": rng.choice(DIAGNOSES),
                "act_ipt_days": str((dscg - adm).days) if kind == "21" else "0",
                "medfee_sumamt": total,
                "inscp_scp_amt": inscp,
            }
        )
    settle(rows, {p["人员编号"]: p["人员身份类别"] for p in good})
    # One recorded payment that does not follow the policy: 统筹 10.00 too high (the kind of
    # error `yibao settle WORKSPACE --year 2021` must find).
    rows[10]["hifp_pay"] += D("10.00")
    rows[10]["psn_part_amt"] -= D("10.00")
    # Bad rows for the demo's quarantine: inscp above total, unknown 医疗类别, negative amount,
    # and a duplicate 结算ID.
    bad1 = dict(rows[0], setl_id="S2021900001")
    bad1["inscp_scp_amt"] = bad1["medfee_sumamt"] + D("100")
    bad2 = dict(rows[1], setl_id="S2021900002", med_type="99")
    bad3 = dict(rows[2], setl_id="S2021900003", medfee_sumamt=D("-5.00"))
    rows += [bad1, bad2, bad3, dict(rows[3])]
    return rows


LABELS = {
    "setl_id": "结算ID",
    "mdtrt_id": "就诊ID",
    "psn_no": "人员编号",
    "certno": "证件号码",
    "insutype": "险种类型",
    "med_type": "医疗类别",
    "fixmedins_code": "定点医药机构编号",
    "hi_setl_lv": "医保结算等级",
    "offsite_flag": "异地就医标志",
    "psn_idet_type": "人员身份类别",
    "adm_time": "入院时间",
    "dscg_time": "出院时间",
    "setl_time": "结算时间",
    "dise_codg": "主诊断编码",
    "act_ipt_days": "实际住院天数",
    "medfee_sumamt": "医疗费总额",
    "inscp_scp_amt": "符合政策范围金额",
    "hifp_pay": "基本医疗保险统筹基金支出",
    "hifmi_pay": "居民大病保险资金支出",
    "maf_pay": "医疗救助基金支出",
    "psn_part_amt": "个人负担总金额",
}


def write(name: str, rows: list[dict], encoding: str) -> None:
    with (OUT / name).open("w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    write(
        "regions.csv",
        [
            {
                "行政区划代码": "430921",
                "行政区划名称": "南县",
                "上级区划代码": "430900",
                "区划级别": "县级",
                "县市区分类": "一类",
                "户籍人口": "32",
                "常住人口": "31",
            }
        ],
        "utf-8",
    )
    write(
        "institutions.csv",
        [
            {
                "定点医药机构编号": c,
                "定点医药机构名称": n,
                "医院等级": lv,
                "所在区划代码": a,
                "机构类型": "医院",
            }
            for c, n, lv, a in HOSPITALS
        ],
        "utf-8",
    )
    people = persons()
    write("persons_gbk.csv", people, "gbk")
    write(
        "enrolments.csv",
        [
            {
                "psn_no": p["人员编号"],
                "year": "2021",
                "insutype": "390",
                "insu_admdvs": "430921",
                "psn_idet_type": p["人员身份类别"],
                "contribution": "320.00" if p["人员身份类别"] == "普通人员" else "0.00",
                "subsidised_amt": "0.00" if p["人员身份类别"] == "普通人员" else "320.00",
                "paid_by": "个人"
                if p["人员身份类别"] == "普通人员"
                else ("医疗救助" if p["人员身份类别"] == "特困人员" else "部分资助"),
            }
            for p in people[:30]
        ],
        "utf-8",
    )
    rows = claims(people)
    write("claims_gbk.csv", [{LABELS[k]: str(v) for k, v in r.items()} for r in rows], "gbk")


if __name__ == "__main__":
    main()
