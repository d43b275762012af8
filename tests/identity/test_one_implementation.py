"""One GB 11643 check, one key normaliser, one number grammar: the engine (Ibis) form and the
Python form agree on every input hypothesis finds (issue 10 item 7, issue 11 §2 and §3)."""

from __future__ import annotations

import random
import unicodedata
from datetime import date

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import TODAY
from yibao.identity import check_char, check_id, random_valid_id
from yibao.identity.engine import certno_area_unknown, certno_problem
from yibao.ingest.keys import key_expr, normalise_key
from yibao.ingest.validate import number_expr
from yibao.money import MoneyError, number_text, yuan
from yibao.refdata import area_history

AREAS = sorted(area_history())


@pytest.fixture(scope="module")
def duck():
    con = ibis.duckdb.connect()
    con.create_table("areas", pa.table({"code": pa.array(AREAS, pa.string())}))
    return con


def _engine_valid(duck, ids: list[str]) -> list[bool]:
    t = ibis.memtable(pa.table({"n": list(range(len(ids))), "s": pa.array(ids, pa.string())}))
    areas = duck.table("areas")
    ok = certno_problem(t.s, TODAY).isnull() & ~certno_area_unknown(t.s, areas)
    got = duck.to_pyarrow(t.select(t.n, ok=ok).order_by("n"))
    return got.column("ok").to_pylist()


@st.composite
def ids(draw) -> str:
    """Valid IDs, IDs one keystroke away, unknown areas, impossible dates, random strings."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    area = draw(st.sampled_from(AREAS + ["439999", "999999", "110000", "000000"]))
    birth = draw(st.dates(date(1850, 1, 1), date(2030, 12, 31)))
    good = random_valid_id(rng, area, birth, draw(st.booleans()))
    kind = draw(st.sampled_from(["valid", "check", "digit", "date", "junk", "len"]))
    if kind == "check":
        return good[:17] + draw(st.sampled_from("0123456789X"))
    if kind == "digit":
        i = draw(st.integers(0, 16))
        return good[:i] + str(draw(st.integers(0, 9))) + good[i + 1 :]
    if kind == "date":
        body = good[:10] + draw(st.sampled_from(["0230", "1301", "0000", "0431"])) + good[14:17]
        return body + check_char(body)
    if kind == "junk":
        return draw(st.text("0123456789Xx ", min_size=18, max_size=18))
    if kind == "len":
        return good[: draw(st.integers(0, 17))] + draw(st.text("0123456789", max_size=2))
    return good


@settings(max_examples=25, deadline=None)
@given(st.lists(ids(), min_size=1, max_size=40))
def test_engine_and_python_gb11643_agree(duck, values):
    values = [v.upper() for v in values]
    python = [check_id(v, today=TODAY).valid for v in values]
    assert _engine_valid(duck, values) == python


KEY_CHARS = st.sampled_from(
    list("AZaz09-_ S") + ["\u3000", "\u00a0", "\u200b", "\ufeff", "\t", "Ｓ", "ｓ", "０", "①", "ﬁ"]
    + ["é", "ß", "李", "\u2003", "㈠"]
)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(KEY_CHARS, max_size=12), min_size=1, max_size=30))
def test_engine_and_python_key_normalisers_agree(duck, values):
    t = ibis.memtable(pa.table({"n": list(range(len(values))), "k": pa.array(values)}))
    got = duck.to_pyarrow(t.select(t.n, k=key_expr(t.k)).order_by("n")).column("k").to_pylist()
    assert got == [normalise_key(v) for v in values]
    for v, k in zip(values, got, strict=True):
        if k is not None and all(unicodedata.normalize("NFKC", c) == c or len(
            unicodedata.normalize("NFKC", c)) == 1 for c in v):  # fmt: skip
            # Within NFKC's one-to-one mappings the normal form is NFKC, upper-cased ASCII.
            expected = unicodedata.normalize("NFKC", v.replace("\u200b", "").replace("\ufeff", ""))
            expected = "".join(" " if c.isspace() else c for c in expected).strip(" ")
            assert k == "".join(c.upper() if c.isascii() else c for c in expected)


NUMBER_CHARS = st.sampled_from(list("0123456789,.-¥，") + ["1,234", "6,441.00", ",000"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(NUMBER_CHARS, max_size=8).map("".join), min_size=1, max_size=30))
def test_engine_and_python_number_grammars_agree(duck, values):
    t = ibis.memtable(pa.table({"n": list(range(len(values))), "s": pa.array(values)}))
    parsed = number_expr(t.s)
    ok = parsed.re_search(r"^-?[0-9]+(\.[0-9]+)?$")
    got = duck.to_pyarrow(t.select(t.n, v=ibis.cases((ok, parsed), else_=None)).order_by("n"))
    assert got.column("v").to_pylist() == [number_text(v) for v in values]


@pytest.mark.parametrize(
    ("text", "ok"),
    [("6,441.00", "6441.00"), ("64,41", None), ("12,34", None), ("1,234,567", "1234567")],
)
def test_yuan_accepts_only_thousands_grouping(text, ok):
    if ok is None:
        with pytest.raises(MoneyError):
            yuan(text)
    else:
        assert str(yuan(text)) == ok
