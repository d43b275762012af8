"""The same Ibis pipeline step on DuckDB and PySpark gives the same rows, to the fen."""

from __future__ import annotations

import random
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from helpers import CLAIM_HEADER_CN, TODAY, claim_row, valid_id
from yibao.engine.backend import connect_engine
from yibao.ingest.headers import map_headers
from yibao.ingest.validate import Refs, validate
from yibao.money import round_fen, round_fen_expr, round_ppm_expr
from yibao.refdata import area_history, icd10_diagnoses
from yibao.schema import get_table

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

#: fen × ppm past 2^53, where FLOOR(x / 1e6) in DOUBLE is a fen out on both engines.
BIG_PRODUCTS = [10**16 - 500_001, 2**53 + 499_999, 10**10 * 950_000 + 499_999]


def _staged() -> pa.Table:
    """A batch of claims as ingest stages them: every cell text, plus the file row number."""
    rng = random.Random(7)
    cents = [rng.randint(1, 10**7) for _ in range(199)]
    rows = [
        claim_row(
            i + 1,
            医疗费总额=f"{c // 100}.{c % 100:02d}",
            符合政策范围金额=f"{(c * 9 // 10) // 100}.{(c * 9 // 10) % 100:02d}",
            基本医疗保险统筹基金支出="0.00",
        )
        for i, c in enumerate(cents)
    ]
    rows += [
        claim_row(900, 医疗类别="99"),
        claim_row(901, 符合政策范围金额="99999999.00"),
        claim_row(902, 证件号码=valid_id(3)[:-1] + "Y"),
        claim_row(903, 结算时间="2021-13-01"),
        claim_row(1),
        claim_row(904, 医疗费总额="7.005"),
        # Issue 11: the key normaliser, the number grammar, fractional seconds, area codes.
        claim_row(905, 结算ID="ｓ000001\u3000"),
        claim_row(
            906,
            结算ID="\u200bs000906\xa0",
            医疗费总额="6,441.00",
            符合政策范围金额="1",
            基本医疗保险统筹基金支出="0.00",
        ),
        claim_row(907, 医疗费总额="64,41", 符合政策范围金额="1"),
        claim_row(908, 结算时间="2021-03-04 08:00:00.0"),
        claim_row(909, 结算时间="2021.3.4 08:00:00.5"),
        claim_row(910, 证件号码=valid_id(5, area="439999")),
        claim_row(911, 医疗费总额="NaN"),
        # Issue 12: Excel serial dates, text dates, labels where codes are expected.
        claim_row(912, 结算时间="44260.5"),
        claim_row(913, 结算时间="2021/3/5"),
        claim_row(
            914,
            险种类型="城乡居民基本医疗保险",
            医疗类别="普通住院",
            医保结算等级="三级甲等",
            异地就医标志="否",
        ),
        claim_row(915, 医保结算等级="四级甲等"),
    ]
    # Issue 15: the main diagnosis against ICD-10 医保版 (a real code, an empty one, a bad one).
    dx = ["J18.900" if i % 3 else "" for i in range(len(rows))]
    rows = [[*r, d] for r, d in zip(rows, dx, strict=True)]
    rows.append([*claim_row(916), "J18.999x999"])
    header = [*CLAIM_HEADER_CN, "主诊断编码"]
    hm = map_headers(get_table("claims"), header)
    cols = {c: pa.array([str(r[i]) for r in rows], pa.string()) for c, i in hm.columns.items()}
    cols["_row"] = pa.array(range(2, len(rows) + 2), pa.int64())
    return pa.table(cols)


def _run(engine: str) -> tuple[list[tuple], list[tuple], list[tuple]]:
    con = connect_engine(engine)
    staged = con.create_table(f"staged_{engine}", _staged(), overwrite=True)
    areas = con.create_table(
        f"areas_{engine}",
        pa.table({"code": pa.array(sorted(area_history()), pa.string())}),
        overwrite=True,
    )
    diagnoses = con.create_table(
        f"diagnoses_{engine}",
        pa.table({"code": pa.array(sorted(icd10_diagnoses()), pa.string())}),
        overwrite=True,
    )
    refs = Refs(area_codes=areas, diagnosis_codes=diagnoses)
    v = validate(staged, get_table("claims"), refs, today=TODAY)
    typed = con.to_pyarrow(v.typed).to_pylist()
    errors = con.to_pyarrow(v.errors).to_pylist()
    amounts = ibis.memtable(
        {
            "a": pa.array(
                [Decimal("1.005"), Decimal("2.675"), Decimal("-1.005"), Decimal("1234.5650")],
                pa.decimal128(18, 4),
            )
        }
    )
    rounded = con.execute(amounts.select(r=round_fen_expr(amounts.a)))["r"].tolist()
    products = ibis.memtable({"x": BIG_PRODUCTS}, schema={"x": "int64"})
    rounded += con.execute(products.select(r=round_ppm_expr(products.x)))["r"].tolist()
    norm = sorted(tuple((k, str(v)) for k, v in sorted(r.items())) for r in typed)
    return norm, sorted(tuple(sorted(e.items())) for e in errors), rounded


def test_validation_and_rounding_agree_on_duckdb_and_pyspark():
    duck = _run("duckdb")
    spark = _run("pyspark")
    assert duck[0] == spark[0] and len(duck[0]) == 199 + 3 + 3
    assert duck[1] == spark[1] and len({e[0][1] for e in duck[1]}) == 12
    bad_dx = [dict(e) for e in duck[1] if dict(e)["column_name"] == "dise_codg"]
    assert [(e["_row"], e["value"]) for e in bad_dx] == [(len(_staged()) + 1, "J18.999x999")]
    typed = {dict(r)["setl_id"]: dict(r) for r in duck[0]}
    assert typed["S000906"]["medfee_sumamt"] == "6441.00"
    assert typed["S000908"]["setl_time"] == "2021-03-04 08:00:00"
    assert typed["S000912"]["setl_time"] == "2021-03-05 12:00:00"
    assert typed["S000913"]["setl_time"] == "2021-03-05 00:00:00"
    codes = {k: typed["S000914"][k] for k in ("insutype", "med_type", "hi_setl_lv", "offsite_flag")}
    assert codes == {"insutype": "390", "med_type": "21", "hi_setl_lv": "3", "offsite_flag": "0"}
    assert (
        [Decimal(x) for x in duck[2]]
        == [Decimal(x) for x in spark[2]]
        == [round_fen(Decimal(s)) for s in ("1.005", "2.675", "-1.005", "1234.5650")]
        + [(x + 500_000) // 1_000_000 for x in BIG_PRODUCTS]
    )
