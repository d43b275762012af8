"""Each rule on hand-made data: the positive cases are found, the negative ones are not."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from yibao.identity.idcard import random_valid_id
from yibao.supervise import run_supervision
from yibao.supervise.catalogue import CATALOGUE, RULES
from yibao.supervise.params import SuperviseParamError, parse_ranges

D = date
YEAR = 2021


def found(ws, rule: str) -> dict[str, dict]:
    run_supervision(ws, YEAR, rules=rule)
    cur = ws.con.execute(
        "SELECT * FROM supervise_findings WHERE year = ? AND rule = ? ORDER BY rank", [YEAR, rule]
    )
    cols = [c[0] for c in cur.description]
    return {r[cols.index("key")]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def test_catalogue_is_complete_and_evidence_holds_no_personal_data():
    # README: 17 条规则 (three for the employee fund since issue 16), each with a name and a
    # legal basis citing the 条例 (国务院令第735号).
    assert len(CATALOGUE) == 17 and len({r.code for r in CATALOGUE}) == 17
    assert {r.code for r in CATALOGUE} == set(RULES)
    for r in CATALOGUE:
        assert r.name, r.code
        assert "条例" in r.basis and "第735号" in r.basis, r.code
        assert r.key in ("setl_id", "psn_no", "certno", "fixmedins_code", "emp_no")
        cols = {c for c, _ in r.evidence}
        assert not cols & {"certno", "psn_name", "dise_codg"}, r.code


def test_invalid_ids_from_quarantine_and_from_loaded_rows(data, make_ws):
    data.person("P1")
    data.enrol("P1")
    bad = "430921197005171230"  # wrong check character
    record = json.dumps({"人员编号": "P9", "身份证号": bad, "姓名": "李四"}, ensure_ascii=False)
    for table in ("persons", "enrolments"):
        data.quarantine.append(
            {
                "load_id": 1 if table == "persons" else 2,
                "table": table,
                "header": "身份证号",
                "value": bad,
                "record": record,
            }
        )
    # A quarantined row whose problem is another column is no invalid ID.
    data.quarantine.append(
        {
            "load_id": 3,
            "table": "persons",
            "header": "身份证号",
            "value": "x",
            "record": json.dumps({"psn_no": "P8", "certno": "x"}),
        }
    )
    data.quarantine[-1]["reason"] = "other"
    # A loaded ID whose area code never existed (passes the checksum).
    ghost = random_valid_id(random.Random(5), "430999", D(1980, 1, 1), True)
    data.person("P7", certno=ghost)
    ws = make_ws(data)
    ws.con.execute("UPDATE _quarantine SET column_name = 'psn_name' WHERE load_id = 3")
    got = found(ws, "invalid_id")
    assert set(got) == {"P9", "P7"}
    assert got["P9"]["amount"] == Decimal("580.00")  # national 2021 subsidy per person
    assert "校验码" in got["P9"]["evidence"] and "地址码" in got["P7"]["evidence"]


def test_a_loaded_id_with_a_wrong_check_character_is_found_with_the_right_one(data, make_ws):
    good = random_valid_id(random.Random(3), "430921", D(1980, 1, 1), True)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    data.person("P1", certno=wrong)
    data.person("P2", certno=good.lower())  # a lower-case x is the same ID
    data.person("P3", certno=good[:6] + "2099" + good[10:])  # born in the future
    ws = make_ws(data)
    got = found(ws, "invalid_id")
    assert set(got) == {"P1", "P3"}, got
    assert f"应为 {good[17]}" in got["P1"]["evidence"], got["P1"]["evidence"]


def test_the_check_character_of_a_loaded_id_is_computed_once():
    """In one expression it was computed four times per person (12.4 s → 3.0 s for 4.7 M)."""
    import ibis

    from yibao.identity.engine import check_char_expr
    from yibao.identity.idcard import CHECK_CHARS
    from yibao.supervise.inputs import loaded_bad_ids

    persons = ibis.table({"psn_no": "string", "certno": "string"}, name="persons")
    one = ibis.to_sql(
        persons.select(k=check_char_expr(persons.certno.substr(0, 17))), dialect="duckdb"
    ).count(CHECK_CHARS)
    sql = ibis.to_sql(loaded_bad_ids(persons, D(2021, 6, 30)), dialect="duckdb")
    assert one and sql.count(CHECK_CHARS) == one, (sql.count(CHECK_CHARS), one)


def test_duplicate_enrolment_across_regions(data, make_ws):
    a = data.person("P1")
    data.person("P2", certno=a["certno"])  # the same ID under a second psn_no
    data.enrol("P1", region="430921")
    data.enrol("P2", region="430902")
    b = data.person("P3")
    data.person("P4", certno=b["certno"])
    data.enrol("P3")
    data.enrol("P4")  # same region twice: not a cross-region duplicate
    data.person("P5")
    data.enrol("P5", insutype="310", region="430902")
    data.enrol("P5", insutype="390", region="430921")  # 310 + 390 is the other rule
    got = found(make_ws(data), "duplicate_enrolment_region")
    assert set(got) == {a["certno"]}
    assert "430902" in got[a["certno"]]["evidence"]


def test_duplicate_enrolment_employee_and_resident(data, make_ws):
    p = data.person("P1")
    data.enrol("P1", insutype="310")
    data.enrol("P1", insutype="390")
    data.person("P2")
    data.enrol("P2", insutype="390")
    data.person("P3")
    data.enrol("P3", insutype="310", year=YEAR - 1)  # last year's employee insurance
    data.enrol("P3", insutype="390")
    got = found(make_ws(data), "duplicate_enrolment_insutype")
    assert set(got) == {p["certno"]}


def test_deceased_enrolled_and_claims_after_death(data, make_ws):
    data.hospital("H1")
    data.person("P1", death_date=D(YEAR - 1, 6, 1))
    data.enrol("P1")
    data.person("P2", death_date=D(YEAR, 6, 1))  # died during the year: enrolled normally
    data.enrol("P2")
    data.person("P3", death_date=D(YEAR - 2, 1, 1))  # dead, but not enrolled this year
    data.stay("S1", "P2", "H1", D(YEAR, 7, 1), D(YEAR, 7, 5))  # after death
    data.stay("S2", "P2", "H1", D(YEAR, 5, 1), D(YEAR, 5, 5))  # before death
    ws = make_ws(data)
    assert set(found(ws, "deceased_enrolled")) == {"P1"}
    after = found(ws, "claim_after_death")
    assert set(after) == {"S1"} and after["S1"]["amount"] == Decimal("4000.00")


def test_overlapping_stays_only_at_different_hospitals(data, make_ws):
    for h in ("H1", "H2"):
        data.hospital(h)
    for p in ("P1", "P2", "P3"):
        data.person(p)
    data.stay("S1", "P1", "H1", D(YEAR, 3, 1), D(YEAR, 3, 10))
    data.stay("S2", "P1", "H2", D(YEAR, 3, 5), D(YEAR, 3, 8), fund="1234.56")  # overlaps S1
    data.stay("S3", "P2", "H1", D(YEAR, 3, 1), D(YEAR, 3, 10))
    data.stay("S4", "P2", "H1", D(YEAR, 3, 5), D(YEAR, 3, 12))  # same hospital: not this rule
    data.stay("S5", "P3", "H1", D(YEAR, 4, 1), D(YEAR, 4, 10))
    data.stay("S6", "P3", "H2", D(YEAR, 4, 10), D(YEAR, 4, 20))  # transfer on discharge day
    got = found(make_ws(data), "overlapping_stay")
    assert set(got) == {"S2"}
    assert got["S2"]["amount"] == Decimal("1234.56") and "重叠结算ID:S1" in got["S2"]["evidence"]


def test_split_admission_day_15_vs_16_chemo_and_diagnosis(data, make_ws):
    data.hospital("H1")
    cases = {
        # psn: (gap days, readmission diagnosis, first diagnosis)
        "P15": (15, "J18.900", "J18.000"),  # same category J18, day 15: found
        "P16": (16, "J18.900", "J18.900"),  # day 16: not
        "PZ": (5, "Z51.100", "Z51.000"),  # chemotherapy cycle: excluded
        "PD": (3, "K35.800", "J18.900"),  # another diagnosis: not
        "P0": (0, "I63.900", "I63.900"),  # readmitted on the discharge day: found
    }
    for i, (psn, (gap, dx2, dx1)) in enumerate(cases.items()):
        data.person(psn)
        first = D(YEAR, 3, 1)
        out = first + timedelta(days=6)
        data.stay(f"A{i}", psn, "H1", first, out, dx=dx1)
        data.stay(
            f"B{i}", psn, "H1", out + timedelta(days=gap), out + timedelta(days=gap + 4), dx=dx2
        )
    # Discharged in December of the year before, readmitted in January: found.
    data.person("PY")
    data.stay("AY", "PY", "H1", D(YEAR - 1, 12, 10), D(YEAR - 1, 12, 28), dx="N18.500")
    data.stay("BY", "PY", "H1", D(YEAR, 1, 5), D(YEAR, 1, 9), dx="N18.500")
    got = found(make_ws(data), "split_admission")
    assert set(got) == {"B0", "B4", "BY"}
    assert "间隔天数:15" in got["B0"]["evidence"]


def test_bed_hanging_long_and_cheap(data, make_ws):
    data.hospital("H1")
    for p in ("P1", "P2", "P3"):
        data.person(p)
    data.stay("S1", "P1", "H1", D(YEAR, 1, 10), D(YEAR, 3, 11), medfee="2400.00", fund="2000.00")
    data.stay("S2", "P2", "H1", D(YEAR, 1, 10), D(YEAR, 3, 11), medfee="9000.00")  # 150 元/天
    data.stay("S3", "P3", "H1", D(YEAR, 1, 10), D(YEAR, 1, 30), medfee="400.00", fund="100.00")
    got = found(make_ws(data), "bed_hanging")
    assert set(got) == {"S1"}
    assert "日均费用:40.00" in got["S1"]["evidence"] and got["S1"]["score"] == 2.5


def test_gender_and_age_restricted_diagnoses(data, make_ws):
    data.hospital("H1")
    data.person("PM", male=True)
    data.person("PF", male=False)
    data.person("PC", male=False, birth=D(YEAR - 10, 1, 1))
    data.person("PX", male=True, gend=None)  # sex from the ID number
    day = D(YEAR, 5, 1)
    data.visit("M1", "PM", "H1", day, dx="O80.000")  # delivery billed to a man: found
    data.visit("M2", "PM", "H1", day, dx="N40.x00")  # prostate for a man: fine
    data.visit("F1", "PF", "H1", day, dx="O80.000")  # delivery for a woman of 50: fine
    data.visit("F2", "PF", "H1", day, dx="C61.x00")  # prostate cancer for a woman: found
    data.visit("C1", "PC", "H1", day, dx="O80.000")  # delivery at 10: found
    data.visit("X1", "PX", "H1", day, dx="N71.900")  # female pelvic disease, male by ID: found
    got = found(make_ws(data), "restricted_diagnosis")
    assert set(got) == {"M1", "F2", "C1", "X1"}
    assert "女性限定诊断用于男性" in got["M1"]["evidence"]
    assert "年龄:10" in got["C1"]["evidence"]


def _hospital_year(data, code: str, n: int, medfee: str, days: int, start: int) -> None:
    data.hospital(code)
    for i in range(n):
        psn = f"{code}P{i}"
        data.person(psn)
        adm = D(YEAR, 1, 1) + timedelta(days=(i * 7 + start) % 300)
        data.stay(f"{code}S{i}", psn, code, adm, adm + timedelta(days=days), medfee=medfee)


def test_hospital_cost_and_los_outliers_against_same_level_peers(data, make_ws):
    costs = ["5000.00", "5200.00", "4900.00", "5100.00", "5300.00", "4800.00"]
    for k, cost in enumerate(costs):
        _hospital_year(data, f"H{k}", 20, cost, 6 + k % 2, k)
    _hospital_year(data, "HX", 20, "9000.00", 6, 9)  # inflated cost
    _hospital_year(data, "HL", 20, "5000.00", 20, 11)  # long stays
    _hospital_year(data, "HS", 19, "9000.00", 20, 13)  # too few admissions to compare
    ws = make_ws(data)
    cost = found(ws, "hospital_cost_outlier")
    assert set(cost) == {"HX"}
    # Σ medfee − n × peer median (median of 8 hospitals' cost per admission: 5050.00).
    assert cost["HX"]["amount"] == Decimal("20") * (Decimal("9000") - Decimal("5050.00"))
    assert set(found(ws, "hospital_los_outlier")) == {"HL"}


def test_off_site_hospitals_are_not_peers_of_the_regions_own(data, make_ws):
    """An off-site tertiary hospital treats referred, costlier cases and is not the bureau's
    定点 network: it is checked by the 异地 rule, never flagged against local peers."""
    costs = ["5000.00", "5200.00", "4900.00", "5100.00", "5300.00", "4800.00"]
    for k, cost in enumerate(costs):
        _hospital_year(data, f"H{k}", 20, cost, 6 + k % 2, k)
    data.hospital("HO")
    for i in range(20):
        psn = f"HOP{i}"
        data.person(psn)
        adm = D(YEAR, 1, 1) + timedelta(days=(i * 7 + 5) % 300)
        data.stay(f"HOS{i}", psn, "HO", adm, adm + timedelta(days=6), medfee="9000.00",
                  offsite="1")  # fmt: skip
    assert found(make_ws(data), "hospital_cost_outlier") == {}


def test_hospital_readmission_outlier_when_most_peers_have_none(data, make_ws):
    for k in range(6):
        _hospital_year(data, f"H{k}", 20, "5000.00", 5, k)
    data.hospital("HR")
    for i in range(20):
        psn = f"RP{i}"
        data.person(psn)
        adm = D(YEAR, 2, 1) + timedelta(days=i * 9)
        data.stay(f"R{i}a", psn, "HR", adm, adm + timedelta(days=4), dx="K80.100")
        if i < 8:  # readmitted 20 days later: counted within 31 days, not a 15-day split
            back = adm + timedelta(days=24)
            data.stay(f"R{i}b", psn, "HR", back, back + timedelta(days=4), dx="K81.000")
    got = found(make_ws(data), "hospital_readmission_outlier")
    assert set(got) == {"HR"}


def test_payment_mismatch_needs_settlement_first(data, make_ws):
    data.hospital("H1")
    data.person("P1")
    data.stay("S1", "P1", "H1", D(YEAR, 3, 1), D(YEAR, 3, 5))
    ws = make_ws(data)
    out = run_supervision(ws, YEAR, rules="payment_mismatch")
    assert out.runs[0].skipped and "yibao settle" in out.runs[0].skipped
    ws.con.execute(
        "CREATE TABLE settlements AS SELECT 'S1' AS setl_id, 2021 AS year UNION ALL "
        "SELECT 'S2', 2021"
    )
    ws.con.execute(
        "CREATE TABLE settle_discrepancies AS SELECT * FROM (VALUES "
        "('S1', 2021, 'H1', 'P1', '21', 4000.00, 3900.50, 99.50, 0.00, 10.00, -10.00, "
        "0.00, 0.00, 0.00, 2000.00, 2089.50, -89.50)) t(setl_id, year, fixmedins_code, psn_no, "
        "med_type, recorded_hifp_pay, computed_hifp_pay, diff_hifp_pay, recorded_hifmi_pay, "
        "computed_hifmi_pay, diff_hifmi_pay, recorded_maf_pay, computed_maf_pay, diff_maf_pay, "
        "recorded_psn_part_amt, computed_psn_part_amt, diff_psn_part_amt)"
    )
    got = found(ws, "payment_mismatch")
    assert set(got) == {"S1"} and got["S1"]["amount"] == Decimal("109.50")
    assert "复核统筹:3900.50" in got["S1"]["evidence"]


def test_offsite_claims_needing_verification(data, make_ws):
    for h in ("H1", "HO"):
        data.hospital(h)
    for p in ("P1", "P2", "P3", "P4"):
        data.person(p)
    data.stay("S1", "P1", "HO", D(YEAR, 3, 1), D(YEAR, 3, 20), offsite="1", medfee="45000.00")
    data.stay("S2", "P2", "HO", D(YEAR, 3, 1), D(YEAR, 3, 5), offsite="1", medfee="8000.00")
    data.stay("S3", "P3", "HO", D(YEAR, 4, 1), D(YEAR, 4, 10), offsite="1", medfee="8000.00")
    data.visit("V3", "P3", "H1", D(YEAR, 4, 5))  # at home during the off-site stay: found
    data.stay("S4", "P4", "HO", D(YEAR, 5, 1), D(YEAR, 5, 10), offsite="1", medfee="8000.00")
    data.visit("V4", "P4", "H1", D(YEAR, 5, 1))  # on the admission day: travel, not found
    data.stay("S5", "P4", "H1", D(YEAR, 6, 1), D(YEAR, 6, 20), medfee="45000.00")  # local
    got = found(make_ws(data), "offsite_check")
    assert set(got) == {"S1", "S3"}
    assert "同期本地结算数:1" in got["S3"]["evidence"]


def test_ranges_come_from_the_icd_list_and_typos_fail():
    assert [str(r) for r in parse_ranges(["O00-O99", "C61"], "x")] == ["O00–O99", "C61"]
    with pytest.raises(SuperviseParamError):
        parse_ranges(["O00-099"], "x")
    with pytest.raises(SuperviseParamError):
        parse_ranges(["U99"], "x")  # no such category in ICD-10 医保版


def test_findings_are_ranked_by_amount_and_replaced_per_rule(data, make_ws):
    data.hospital("H1")
    data.hospital("H2")
    data.person("P1")
    data.person("P2", death_date=D(YEAR - 1, 1, 1))
    data.enrol("P2")
    data.stay("S1", "P1", "H1", D(YEAR, 3, 1), D(YEAR, 3, 10))
    data.stay("S2", "P1", "H2", D(YEAR, 3, 5), D(YEAR, 3, 8), fund="9000.00")
    ws = make_ws(data)
    run_supervision(ws, YEAR)
    run_supervision(ws, YEAR, rules="overlapping_stay")  # rerun replaces, never duplicates
    rows = ws.con.execute(
        "SELECT rank, rule, amount FROM supervise_findings WHERE year = ? ORDER BY rank", [YEAR]
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, "overlapping_stay"), (2, "deceased_enrolled")]
    summary = ws.con.execute(
        "SELECT fixmedins_code, rule, findings, amount FROM supervise_hospital_summary"
    ).fetchall()
    assert summary == [("H2", "overlapping_stay", 1, Decimal("9000.00"))]
    assert RULES["overlapping_stay"].truth_kind == "overlapping_stay"


def test_hospital_cost_outlier_needs_a_material_excess(data, make_ws):
    # Peers within 0.2 % of each other make any hospital 18 % above them an extreme z …
    for k, cost in enumerate(["5000.00", "5010.00", "4990.00", "5005.00", "5000.00"]):
        _hospital_year(data, f"H{k}", 20, cost, 6, k)
    _hospital_year(data, "HM", 20, "5900.00", 6, 7)  # … but not 30 % above: no finding
    _hospital_year(data, "HX", 20, "6600.00", 6, 9)  # 32 % above: found
    assert set(found(make_ws(data), "hospital_cost_outlier")) == {"HX"}


def test_the_rules_read_the_claims_without_the_identity_joins_which_stay_for_review(data, make_ws):
    """No rule uses 人员身份类别: its two LEFT JOINs, which DuckDB keeps even when their columns
    go unused, cost 2-3 s per rule at 19.7 M claims.  _sv_claims still fills it as settle does."""
    data.person("P1", psn_idet_type="低保对象")
    data.enrol("P1")
    data.hospital("H1")
    data.visit("S1", "P1", "H1", D(YEAR, 3, 1))
    ws = make_ws(data)
    run_supervision(ws, YEAR, rules="offsite_check")

    def plan(view: str) -> str:
        return "\n".join(r[1] for r in ws.con.execute(f"EXPLAIN SELECT * FROM {view}").fetchall())

    assert "JOIN" not in plan("_sv_claims_own"), plan("_sv_claims_own")
    assert ws.con.execute(
        "SELECT setl_id, psn_idet_type, psn_idet_source FROM _sv_claims"
    ).fetchall() == [("S1", "低保对象", "人员登记(persons)")]
