"""GB 11643-1999 resident ID checks."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.identity import CHECK_CHARS, WEIGHTS, IdCheck, check_char, check_id, random_valid_id
from yibao.refdata import VALID_PROVINCE_PREFIXES, area_codes, area_history

TODAY = date(2025, 6, 1)


def make_id(area: str, birth: str, seq: str) -> str:
    body = area + birth + seq
    return body + check_char(body)


def test_constants() -> None:
    assert tuple(2 ** (17 - i) % 11 for i in range(17)) == WEIGHTS
    assert CHECK_CHARS == "10X98765432"


def test_classic_example() -> None:
    assert check_char("11010519491231002") == "X"
    result = check_id("11010519491231002X", today=TODAY)
    assert result == IdCheck(
        id="11010519491231002X",
        valid=True,
        reason="有效",
        region_code="110105",
        region_name="朝阳区",
        birth_date=date(1949, 12, 31),
        gender="女",
    )
    assert result.to_json_dict() == {
        "id": "11010519491231002X",
        "valid": True,
        "reason": "有效",
        "region": "110105",
        "region_name": "朝阳区",
        "birth_date": "1949-12-31",
        "gender": "女",
    }


def test_valid_male_yiyang() -> None:
    result = check_id(make_id("430903", "19800229", "013"), today=TODAY)
    assert result.valid, result.reason
    assert (result.region_name, result.gender) == ("赫山区", "男")


def test_lowercase_x_and_whitespace_accepted() -> None:
    result = check_id("  11010519491231002x\n", today=TODAY)
    assert result.valid
    assert result.id == "11010519491231002X"


def test_old_abolished_area_code_still_valid() -> None:
    result = check_id(make_id("110103", "19700101", "021"), today=TODAY)  # 崇文区, gone 2010
    assert result.valid, result.reason
    assert result.region_name == "崇文区"


def test_wrong_check_char() -> None:
    result = check_id("110105194912310021", today=TODAY)
    assert not result.valid
    assert "校验码" in result.reason and "X" in result.reason and "1" in result.reason
    assert result.to_json_dict() == {
        "id": "110105194912310021",
        "valid": False,
        "reason": result.reason,
    }


def test_empty() -> None:
    assert check_id("   ").reason == "身份证号为空"


@pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002X1"])
def test_bad_length(raw: str) -> None:
    result = check_id(raw, today=TODAY)
    assert not result.valid
    assert f"实际为 {len(raw)} 位" in result.reason


def test_fifteen_digit_first_generation() -> None:
    result = check_id("110105491231002", today=TODAY)
    assert not result.valid
    assert "15 位" in result.reason and "第一代" in result.reason


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1101051949123100AX", "第 17 位为“A”"),
        ("11010519491231002Y", "“Y”"),
        ("１１010519491231002X", "第 1 位为“１”"),  # full-width digit
    ],
)
def test_bad_chars(raw: str, fragment: str) -> None:
    result = check_id(raw, today=TODAY)
    assert not result.valid
    assert fragment in result.reason


def test_bad_province() -> None:
    result = check_id(make_id("990101", "19800101", "001"), today=TODAY)
    assert not result.valid
    assert "“99”" in result.reason
    hk = check_id(make_id("810000", "19800101", "001"), today=TODAY)
    assert not hk.valid and "“81”" in hk.reason


def test_unknown_area_code() -> None:
    area = "110999"
    assert area not in area_history()
    result = check_id(make_id(area, "19800101", "001"), today=TODAY)
    assert not result.valid
    assert "地区码“110999”不存在" in result.reason


def test_feb_30() -> None:
    result = check_id(make_id("110105", "19900230", "001"), today=TODAY)
    assert not result.valid
    assert "19900230" in result.reason and "日期" in result.reason


def test_feb_29_non_leap_year() -> None:
    assert not check_id(make_id("110105", "19000229", "001"), today=TODAY).valid


def test_future_date() -> None:
    result = check_id(make_id("110105", "20250602", "001"), today=TODAY)
    assert not result.valid
    assert "20250602" in result.reason and "晚于" in result.reason
    assert check_id(make_id("110105", "20250601", "001"), today=TODAY).valid


def test_future_date_default_today() -> None:
    tomorrow = date.today() + timedelta(days=1)
    result = check_id(make_id("110105", f"{tomorrow:%Y%m%d}", "001"))
    assert not result.valid and "晚于" in result.reason


def test_too_old() -> None:
    result = check_id(make_id("110105", "18791231", "001"), today=TODAY)
    assert not result.valid and "1880" in result.reason


def test_check_char_rejects_bad_input() -> None:
    for bad in ("1101051949123100", "1101051949123100A", "110105194912310021"):
        with pytest.raises(ValueError):
            check_char(bad)


def test_random_valid_id() -> None:
    rng = random.Random(7)
    for male in (True, False):
        for _ in range(50):
            ident = random_valid_id(rng, "430921", date(1960, 3, 15), male)
            result = check_id(ident, today=TODAY)
            assert result.valid, result.reason
            assert result.gender == ("男" if male else "女")
            assert ident[14:17] != "000"


_AREAS = sorted(c for c in area_codes() if c[:2] in VALID_PROVINCE_PREFIXES)


@settings(max_examples=200, deadline=None)
@given(
    area=st.sampled_from(_AREAS),
    birth=st.dates(min_value=date(1880, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
)
def test_every_single_character_error_is_detected(area: str, birth: date, seq: int) -> None:
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    ident = body + check_char(body)
    assert check_id(ident, today=TODAY).valid
    for pos, original in enumerate(ident):
        alphabet = "0123456789X" if pos == 17 else "0123456789"
        for ch in alphabet:
            if ch == original:
                continue
            mutated = ident[:pos] + ch + ident[pos + 1 :]
            assert not check_id(mutated, today=TODAY).valid, (ident, mutated)
