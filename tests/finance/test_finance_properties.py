"""Finance properties: dues against the seed's shares, contributions against the preset's figures,
the balance across years, stated openings that disagree reported."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.finance.accounts import EXPENSE, INCOME, classify_text, fund_book
from yibao.finance.contrib import contributions
from yibao.finance.params import finance_params
from yibao.finance.subsidy import compare_receipts, rate, subsidy_due
from yibao.money import round_fen
from yibao.policy import load_policy

D = Decimal
YIYANG = finance_params(load_policy("yiyang-2019"), 2019)
DEMO = finance_params(load_policy("demo-county"), 2021)
#: The six 益阳 counties (by class) and counties of other provinces (by national tier only).
CODES = ["430902", "430903", "430921", "430922", "430923", "430981", "110101", "510104", "320102"]


@given(st.dictionaries(st.sampled_from(CODES), st.integers(0, 3_000_000), min_size=1))
@settings(max_examples=150, deadline=None)
def test_levels_add_up_to_insured_times_subsidy(insured):
    for fp in (YIYANG, DEMO):
        rows, _ = subsidy_due(insured, fp)
        for region, n in insured.items():
            mine = [r for r in rows if r.region_code == region]
            assert [r.level for r in mine] == ["中央", "省级", "市级", "县级"]
            # (the county is the remainder, so the sum holds by construction; level by level,
            # test_each_level_due_is_insured_times_the_seed_share checks the seed shares)
            assert sum(r.due for r in mine) == round_fen(fp.subsidy_per_person * n)
            assert all(r.due >= 0 for r in mine)
            assert all(r.due == r.due.quantize(D("0.01")) for r in mine)


def test_central_share_by_national_tier_when_the_county_has_no_class():
    rows, notes = subsidy_due({"510104": 10, "110101": 10}, YIYANG)
    due = {(r.region_code, r.level): r.due for r in rows}
    assert due[("510104", "中央")] == D("4160.00")  # 四川 一档 80% × 520 × 10
    assert due[("110101", "中央")] == D("520.00")  # 北京 五档 10%
    assert any("省级按 0 计" in n for n in notes)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted({"普通人员", "特困人员", "低保对象", "返贫致贫人口", "孤儿"})),
            st.integers(0, 10_000),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
@settings(max_examples=60, deadline=None)
def test_contribution_parts_add_up(cats):
    rows = [
        {
            "region_code": "430902",
            "category": c,
            "insured": n,
            "recorded": None,
            "recorded_subsidised": None,
            "missing_contribution": n,
        }
        for c, n in cats
    ]
    out, _ = contributions(rows, YIYANG)
    # The preset's figures: 特困 fully paid (220), 低保 and 返贫致贫 110 each, others nothing.
    assisted = {"特困人员": 220, "低保对象": 110, "返贫致贫人口": 110}
    assert len(out) == len(cats)
    for r in out:
        assert r.due == 220 * r.insured
        assert r.due_subsidy == assisted.get(r.category, 0) * r.insured
        assert r.due_person == (220 - assisted.get(r.category, 0)) * r.insured


CATEGORIES = {
    "收入": ["个人缴费收入", "财政补助收入", "利息收入", "其他收入", "财政专户转入"],
    "支出": ["住院支出", "门诊支出", "购买大病保险", "其他支出", "拨付支出户(转出)"],
}
amounts = st.integers(0, 10**9).map(lambda f: D(f) / 100)


@st.composite
def ledgers(draw):
    """Entries over 1–5 years; internal transfers balanced or not, as drawn."""
    first = draw(st.integers(2015, 2020))
    years = draw(st.integers(1, 5))
    rows = [
        {
            "year": first,
            "fund": "居民医保",
            "line": "opening",
            "amount": draw(amounts),
            "category": "期初余额",
        }
    ]
    for _ in range(draw(st.integers(0, 40))):
        direction = draw(st.sampled_from(["收入", "支出"]))
        cat = draw(st.sampled_from(CATEGORIES[direction]))
        rows.append(
            {
                "year": first + draw(st.integers(0, years - 1)),
                "fund": "居民医保",
                "line": classify_text(direction, cat),
                "amount": draw(amounts),
                "category": cat,
            }
        )
    return first, first + years - 1, rows


@given(ledgers())
@settings(max_examples=200, deadline=None)
def test_balance_telescopes_across_years(case):
    first, last, rows = case
    book = fund_book(rows, {}, last)
    bal = book.balances
    assert [b.year for b in bal] == list(range(first, last + 1))
    opening = next(r["amount"] for r in rows if r["line"] == "opening")
    assert bal[0].opening == opening
    for prev, nxt in zip(bal, bal[1:], strict=False):
        assert nxt.opening == prev.closing
    for b in bal:
        assert b.closing == b.opening + b.income - b.expense
    income = sum((r["amount"] for r in rows if r["line"] in INCOME), D(0))
    expense = sum((r["amount"] for r in rows if r["line"] in EXPENSE), D(0))
    assert bal[-1].closing == opening + income - expense
    # every entry added up, as the ledger has it: the gap is exactly the unbalanced transfers
    signed = sum(
        (r["amount"] if r["line"] in INCOME | {"transfer_in", "opening"} else -r["amount"])
        for r in rows
    )
    transfers = sum(
        (r["amount"] if r["line"] == "transfer_in" else -r["amount"])
        for r in rows
        if r["line"] in ("transfer_in", "transfer_out")
    )
    assert bal[-1].book_balance == signed
    assert bal[-1].gap == transfers
    assert (bal[-1].gap != 0) == any("相差" in n for n in book.notes)


def test_balance_equation_on_generated_ledger(yiyang_ws, tmp_path):
    """300 random entries over three years through `yibao ingest` and the Ibis classification:
    the 2019 closing is the sum of every signed entry, to the fen."""
    from finance.fin_data import LEDGER_HEADER, load, write
    from yibao.finance.run import run_finance

    rng = random.Random(7)
    rows, signed = [], D(0)
    for i in range(300):
        direction = rng.choice(["收入", "支出"])
        cat = rng.choice(CATEGORIES[direction][:4])
        amt = D(rng.randint(1, 10**8)) / 100
        y = rng.choice([2019, 2020, 2021])
        rows.append(
            [f"G{i}", f"{y}-{rng.randint(1, 12):02d}-15", "430922", "居民医保", "支出户",
             direction, cat, f"{amt}"]
        )  # fmt: skip
        if y <= 2020:
            signed += amt if direction == "收入" else -amt
    load(yiyang_ws, write(tmp_path / "gen.csv", LEDGER_HEADER, rows), "fund_ledger")
    rep = run_finance(yiyang_ws, 2020)
    # the fixture's own ledger: 1000 + 2000 − 1500 in 2018, 7112.34 − 3888.30 in 2019
    expected = D("1000") + D("500") + D("7112.34") - D("3888.30") + signed
    assert rep.book.closing == expected
    assert rep.book.balances[-1].gap == 0


# --- issue 19: properties the code does not build in ------------------------------------------

#: Seed 000's per-person shares of 520 元 (元/人, DOMAIN §2): central, province, city, county.
#: All are whole fen, so each level's due is exactly insured × share, with no rounding at all.
SEED000_SHARES = {
    "430902": ("312", "104", "62.4", "41.6"),
    "430903": ("312", "104", "62.4", "41.6"),
    "430922": ("312", "145.6", "0", "62.4"),
    "430981": ("416", "72.8", "0", "31.2"),
    "430921": ("416", "72.8", "0", "31.2"),
    "430923": ("416", "83.2", "0", "20.8"),
}


@given(st.dictionaries(st.sampled_from(sorted(SEED000_SHARES)), st.integers(0, 5_000_000)))
@settings(max_examples=100, deadline=None)
def test_each_level_due_is_insured_times_the_seed_share(insured):
    """The county level is computed as the remainder; here it must equal insured × its share."""
    rows, _ = subsidy_due(insured, YIYANG)
    got = {(r.region_code, r.level): r.due for r in rows}
    assert len(got) == 4 * len(insured)
    for code, n in insured.items():
        levels = ("中央", "省级", "市级", "县级")
        for level, share in zip(levels, SEED000_SHARES[code], strict=True):
            assert got[(code, level)] == D(share) * n, (code, level, n)


@st.composite
def ledgers_with_stated_openings(draw):
    """A ledger over 2–4 years whose later years state an opening balance: right or off."""
    first = 2019
    years = draw(st.integers(2, 4))
    opening = draw(amounts)
    rows = [{"year": first, "fund": "居民医保", "line": "opening", "amount": opening,
             "category": "期初余额"}]  # fmt: skip
    closing = opening  # worked out here entry by entry, independently of the book
    stated: dict[int, tuple[Decimal, Decimal]] = {}
    for y in range(first, first + years):
        if y > first and draw(st.booleans()):
            off = draw(st.sampled_from([D(0), D(0), D("0.01"), D("-0.01"), D("1000.00")]))
            rows.append({"year": y, "fund": "居民医保", "line": "opening",
                         "amount": closing + off, "category": "上年结余"})  # fmt: skip
            stated[y] = (closing + off, closing)
        for _ in range(draw(st.integers(0, 6))):
            direction = draw(st.sampled_from(["收入", "支出"]))
            cat = draw(st.sampled_from(CATEGORIES[direction][:4]))
            amt = draw(amounts)
            rows.append({"year": y, "fund": "居民医保", "line": classify_text(direction, cat),
                         "amount": amt, "category": cat})  # fmt: skip
            closing += amt if direction == "收入" else -amt
    return first + years - 1, rows, stated, closing


@given(ledgers_with_stated_openings())
@settings(max_examples=150, deadline=None)
def test_stated_openings_that_disagree_are_reported_to_the_fen(case):
    last, rows, stated, closing = case
    book = fund_book(rows, {}, last)
    assert book.closing == closing  # later stated openings never change the roll-forward
    for y, (said, prev_closing) in stated.items():
        said2, prev2 = said.quantize(D("0.01")), prev_closing.quantize(D("0.01"))
        note = f"{y} 年账载期初余额 {said2} 元与上年末结余 {prev2} 元不符"
        assert (note in [str(n) for n in book.notes]) == (said != prev_closing), (y, book.notes)
    wrong = sum(1 for said, prev in stated.values() if said != prev)
    assert sum("账载期初余额" in n for n in book.notes) == wrong


def _receipt(region, level, amount, quarter=1, settlement="0", negative=0):
    return {"region_code": region, "budget_level": level, "amount": D(amount),
            "settlement": settlement, "negative": negative, "arrival_year": 2019,
            "quarter": quarter}  # fmt: skip


def test_arrival_worked_by_hand():
    """资阳区 1,000 insured and 南县 10 (seed 000 shares); figures worked out by hand."""
    due_rows, _ = subsidy_due({"430902": 1000, "430921": 10}, YIYANG)
    receipts = [
        _receipt("430902", "中央", "200000.00", 1),
        _receipt("430902", "中央", "112000.00", 3),
        _receipt("430902", "省级", "100000.00", 2),
        _receipt("430902", "省级", "-5000.00", 2, settlement="1"),  # 上年清算: apart
        _receipt("430902", "市级", "70000.00", 4),
        _receipt("430921", "中央", "-100.00", 1, negative=1),  # unflagged: counted, noted
        _receipt("440000", "省级", "50.00", 2),  # no insured there
    ]
    arrivals, quarters, notes = compare_receipts(due_rows, receipts)
    got = {(a.region_code, a.level): a for a in arrivals}
    assert list(got)[:4] == [("430902", lv) for lv in ("中央", "省级", "市级", "县级")]
    a = got[("430902", "中央")]
    assert (a.insured, a.due, a.received, a.rate, a.shortfall, a.status) == (
        1000, D("312000.00"), D("312000.00"), D("1.0000"), D("0.00"), "足额")  # fmt: skip
    a = got[("430902", "省级")]
    assert (a.received, a.settlement, a.received_net, a.rate, a.shortfall, a.status) == (
        D("100000.00"), D("-5000.00"), D("95000.00"), D("0.9615"), D("4000.00"), "短缺",
    )  # fmt: skip
    a = got[("430902", "市级")]
    assert (a.rate, a.shortfall, a.status) == (D("1.1218"), D("-7600.00"), "超拨")
    a = got[("430902", "县级")]
    assert (a.due, a.received, a.rate, a.status) == (D("41600.00"), D(0), D("0.0000"), "短缺")
    assert got[("430921", "市级")].status == "无应拨" and got[("430921", "市级")].rate is None
    assert got[("430921", "中央")].received == D("-100.00")
    a = got[("440000", "省级")]
    assert (a.insured, a.due, a.rate, a.status) == (0, D(0), None, "超拨")
    texts = [str(n) for n in notes]  # notes are data (issue 10); their text is what users read
    assert "有 1 笔负数到账未标为上年清算,已计入当年到位,请核实" in texts
    assert "440000 省级:有到账但无参保人数,应补助按 0 计" in texts
    q = [(r["level"], r["quarter"], r["received"], r["cumulative"], r["due"], r["cumulative_rate"])
         for r in quarters]  # fmt: skip
    assert q == [
        ("中央", "2019年第1季度", D("199900.00"), D("199900.00"), D("316160.00"), D("0.6323")),
        ("中央", "2019年第3季度", D("112000.00"), D("311900.00"), D("316160.00"), D("0.9865")),
        ("省级", "2019年第2季度", D("100050.00"), D("100050.00"), D("104728.00"), D("0.9553")),
        ("市级", "2019年第4季度", D("70000.00"), D("70000.00"), D("62400.00"), D("1.1218")),
    ]


def test_rates_round_half_up_at_four_places_and_a_county_at_zero_is_not_negative():
    assert rate(D(1), D(32)) == D("0.0313")  # 0.03125: half-up, not half-even
    assert rate(D(3), D(32)) == D("0.0938")  # 0.09375
    assert rate(D(5), D(0)) is None
    rows, notes = subsidy_due({"430902": 0}, YIYANG)
    assert [r.due for r in rows] == [D(0)] * 4 and not [n for n in notes if "为负" in n]
    classes = load_policy("yiyang-2019").value(
        "financing.subsidy_sharing.county_class", datetime.date(2019, 1, 1)
    )
    rows, _ = subsidy_due({"430902": 7, "430923": 3}, YIYANG)
    assert {(r.region_code, r.county_class, r.insured) for r in rows} == {
        ("430902", classes["430902"], 7),
        ("430923", classes["430923"], 3),
    }


CHANGED_SHARES = """
preset: yiyang-changed
label: 益阳(测试:市级人头负担过高、定额补助已知)
extends: yiyang-2019
parameters:
  financing:
    subsidy_sharing:
      city_amount_per_person:
        description: 测试
        type: table
        item_type: amount
        unit: 元/人/年
        reference: 测试
        values:
          2019-01-01: {"430902": 300}
      city_fixed_amount:
        description: 测试
        type: table
        item_type: amount
        unit: 元/年
        reference: 测试
        values:
          2019-01-01: {"430922": 50000}
"""


def test_a_negative_county_share_is_noted_and_a_known_lump_sum_is_used(tmp_path):
    pol = tmp_path / "changed.yaml"
    pol.write_text(CHANGED_SHARES, encoding="utf-8")
    fp = finance_params(load_policy(pol), 2019)
    rows, notes = subsidy_due({"430902": 10, "430922": 1000}, fp)
    got = {(r.region_code, r.level): r for r in rows}
    # 资阳区: 520 − 312 − 104 − 300 = −196 元/人 for the county
    assert got[("430902", "县级")].due == D("-1960.00")
    assert any(n.startswith("430902:县级应补助为负(-1960.00 元)") for n in notes), notes
    # 桃江县: the city pays 50,000 as a lump sum; the county the rest, with no per-person share
    city = got[("430922", "市级")]
    assert (city.due, city.per_person) == (D("50000.00"), None)
    assert got[("430922", "县级")].due == D(520_000 - 312_000 - 145_600 - 50_000)
    assert got[("430922", "县级")].per_person is None


def test_settlements_of_one_key_add_up_and_an_unknown_level_sorts_last():
    due_rows, _ = subsidy_due({"430902": 10}, YIYANG)
    receipts = [
        _receipt("430902", "中央", "-30.00", 1, settlement="1"),
        _receipt("430902", "中央", "-20.00", 2, settlement="1"),
        _receipt("430902", "乡级", "10.00", 2),
    ]
    arrivals, _, _ = compare_receipts(due_rows, receipts)
    by = {(a.region_code, a.level): a for a in arrivals}
    assert by[("430902", "中央")].settlement == D("-50.00")
    assert [a.level for a in arrivals] == ["中央", "省级", "市级", "县级", "乡级"]
