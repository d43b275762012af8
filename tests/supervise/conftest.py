"""Hand-made workspaces for the rule tests: rows written straight into the canonical tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from yibao.engine import Workspace
from yibao.identity.idcard import random_valid_id

YEAR = 2021


def cert(seed: int, male: bool = True, birth: date = date(1970, 5, 17)) -> str:
    import random

    return random_valid_id(random.Random(seed), "430921", birth, male)


@dataclass
class Data:
    persons: list[dict] = field(default_factory=list)
    enrolments: list[dict] = field(default_factory=list)
    institutions: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)

    def person(self, psn_no: str, *, male: bool = True, birth: date = date(1970, 5, 17), **kw):
        seed = sum(ord(c) * (i + 1) for i, c in enumerate(psn_no))
        row = {
            "psn_no": psn_no,
            "certno": cert(seed, male, birth),
            "psn_name": "张三丰",
            "gend": "1" if male else "2",
            "brdy": birth,
            "region_code": "430921",
        } | kw
        self.persons.append(row)
        return row

    def enrol(self, psn_no: str, insutype: str = "390", region: str = "430921", **kw):
        row = {
            "psn_no": psn_no,
            "year": YEAR,
            "insutype": insutype,
            "region_code": region,
            "enrol_date": date(YEAR - 1, 10, 1),
        } | kw
        self.enrolments.append(row)
        return row

    def hospital(self, code: str, level: str = "2", **kw):
        row = {"fixmedins_code": code, "fixmedins_name": f"{code}医院", "hosp_lv": level}
        row |= {"region_code": "430921", "fixmedins_type": "1"} | kw
        self.institutions.append(row)
        return row

    def stay(
        self,
        setl_id: str,
        psn_no: str,
        hosp: str,
        adm: date,
        dscg: date,
        *,
        dx: str = "J18.900",
        medfee: str = "6000.00",
        fund: str = "4000.00",
        med_type: str = "21",
        offsite: str = "0",
        lv: str = "2",
        **kw,
    ):
        row = {
            "setl_id": setl_id,
            "mdtrt_id": setl_id,
            "psn_no": psn_no,
            "insutype": "390",
            "med_type": med_type,
            "fixmedins_code": hosp,
            "hi_setl_lv": lv,
            "offsite_flag": offsite,
            "adm_time": datetime.combine(adm, time(9)),
            "dscg_time": datetime.combine(dscg, time(10)),
            "setl_time": datetime.combine(dscg, time(11)),
            "dise_codg": dx,
            "act_ipt_days": max((dscg - adm).days, 1),
            "medfee_sumamt": Decimal(medfee),
            "inscp_scp_amt": Decimal(medfee),
            "hifp_pay": Decimal(fund),
            "hifmi_pay": Decimal("0.00"),
            "maf_pay": Decimal("0.00"),
            "psn_part_amt": Decimal(medfee) - Decimal(fund),
        } | kw
        self.claims.append(row)
        return row

    def visit(self, setl_id: str, psn_no: str, hosp: str, day: date, **kw):
        """An outpatient claim on ``day``."""
        row = self.stay(setl_id, psn_no, hosp, day, day, med_type="11", **kw)
        row.update(adm_time=None, dscg_time=None, act_ipt_days=None)
        return row

    def write(self, ws: Workspace) -> Workspace:
        for table in ("persons", "enrolments", "institutions", "claims"):
            rows = getattr(self, table)
            if not rows:
                continue
            for i, r in enumerate(rows):
                r.setdefault("_load_id", 0)
                r.setdefault("_row", i + 2)
            keys = list(dict.fromkeys(k for r in rows for k in r))  # from_pylist reads row 1
            arrow = pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows])
            ws.con.register("_src", arrow)
            ws.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _src")
            ws.con.unregister("_src")
        for q in self.quarantine:
            ws.con.execute(
                "INSERT INTO _quarantine VALUES (?, ?, 'f.csv', ?, 'certno', ?, ?, ?, ?)",
                [
                    q["load_id"],
                    q["table"],
                    q.get("row", 2),
                    q["header"],
                    q["value"],
                    q.get("reason", "身份证号校验码错误"),
                    q["record"],
                ],
            )
        return ws


@pytest.fixture
def data() -> Data:
    return Data()


@pytest.fixture
def make_ws(tmp_path: Path):
    opened: list[Workspace] = []

    def make(d: Data, name: str = "ws", policy: str = "demo-county") -> Workspace:
        ws = Workspace.create(tmp_path / name, policy=policy)
        opened.append(ws)
        return d.write(ws)

    yield make
    for w in opened:
        w.close()


def mixed_scenario(d: Data) -> Data:
    """Some positives and negatives of every claim and enrolment rule, and one cost outlier."""
    from datetime import timedelta

    y = YEAR
    for k, cost in enumerate(["5000.00", "5200.00", "4900.00", "5100.00", "9500.00"]):
        code = f"H{k}"
        d.hospital(code)
        for i in range(20):
            psn = f"{code}P{i}"
            d.person(psn, male=i % 2 == 0)
            d.enrol(psn)
            adm = date(y, 1, 3) + timedelta(days=(i * 13 + k) % 330)
            d.stay(f"{code}S{i}", psn, code, adm, adm + timedelta(days=5 + i % 3), medfee=cost)
    d.hospital("HO")
    d.person("Q1")
    d.stay("Q1a", "Q1", "H0", date(y, 3, 1), date(y, 3, 10))
    d.stay("Q1b", "Q1", "H1", date(y, 3, 4), date(y, 3, 8), fund="1500.00")  # overlap
    d.stay("Q1c", "Q1", "H1", date(y, 3, 20), date(y, 3, 24))  # split after Q1b (day 12)
    d.person("Q2", male=False, birth=date(y - 9, 2, 2))
    d.visit("Q2a", "Q2", "H2", date(y, 4, 1), dx="O80.000")  # age-restricted
    d.stay("Q2b", "Q2", "H2", date(y, 5, 1), date(y, 7, 10), medfee="2000.00", fund="1800.00")
    d.person("Q3", death_date=date(y - 1, 3, 1))
    d.enrol("Q3")
    d.visit("Q3a", "Q3", "H3", date(y, 2, 2))  # after death
    d.stay("Q3b", "Q3", "HO", date(y, 8, 1), date(y, 8, 9), offsite="1", medfee="52000.00")
    q4 = d.person("Q4")
    d.person("Q5", certno=q4["certno"])
    d.enrol("Q4", region="430902")
    d.enrol("Q5")
    d.enrol("Q4", insutype="310")
    return d


@pytest.fixture
def scenario():
    return mixed_scenario
