"""GB 11643 as an Ibis expression: the one engine-side implementation (DuckDB and PySpark).

:func:`yibao.identity.idcard.check_id` is the one Python-side implementation; a hypothesis
test holds the two to the same verdict on every ID.  Ingest, supervision, the benchmark's
data and the generator all use these two, never their own weights.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from yibao.identity.idcard import CHECK_CHARS, EARLIEST_BIRTH, WEIGHTS
from yibao.refdata import VALID_PROVINCE_PREFIXES

__all__ = ["certno_area_unknown", "certno_birth", "certno_problem", "check_char_expr"]

_CERTNO_RE = r"^[0-9]{17}[0-9X]$"


def check_char_expr(body: ir.StringValue) -> ir.StringValue:
    """Check character (ISO 7064 MOD 11-2) of a 17-digit body.

    The digits come from three numbers of at most six digits (one cast each, not seventeen:
    the casts were most of an ID check's cost).  Six digits keep ``FLOOR(n / 10^k)`` exact on
    engines that divide in floating point (Spark).
    """
    total: ir.IntegerValue = ibis.literal(0, "int64")
    for start, length in ((0, 6), (6, 6), (12, 5)):
        n = body.substr(start, length).try_cast("int64")
        for j in range(length):
            digit = (n // 10 ** (length - 1 - j)) % 10 if j < length - 1 else n % 10
            total = total + digit * WEIGHTS[start + j]
    return ibis.literal(CHECK_CHARS).substr((total % 11).cast("int32"), 1)


def certno_birth(s: ir.StringValue) -> ir.DateValue:
    """Birth date written in an 18-character ID, NULL when it is not a date."""
    return (s.substr(6, 4) + "-" + s.substr(10, 2) + "-" + s.substr(12, 2)).try_cast("date")


def certno_problem(
    s: ir.StringValue, today: date, expected: ir.StringValue | None = None
) -> ir.StringValue:
    """Why a (normalised, upper-case) resident ID is invalid, NULL when it is valid.

    The area code is checked separately by :func:`certno_area_unknown`, because it is a
    membership test against a reference table, which Spark allows only in a filter.
    ``expected`` is the check character when the caller computed it in an earlier projection:
    inside this CASE the engine would evaluate it twice, without sharing its digit reads.
    """
    if expected is None:
        expected = check_char_expr(s.substr(0, 17))
    birth = certno_birth(s)
    return ibis.cases(
        (s.length() != 18, "身份证号长度应为18位"),
        (~s.re_search(_CERTNO_RE), "身份证号含非法字符(前17位须为数字,末位为数字或X)"),
        # isin: 31 equalities inside a CASE each re-read the substring (14× slower on DuckDB).
        (~s.substr(0, 2).isin(sorted(VALID_PROVINCE_PREFIXES)), "身份证号省份代码无效"),
        (birth.isnull(), "身份证号出生日期不是有效日期"),
        (birth > ibis.literal(today), "身份证号出生日期晚于今天"),
        (birth < ibis.literal(EARLIEST_BIRTH), "身份证号出生日期早于1880年"),
        (s.substr(17, 1) != expected, "身份证号校验码错误,应为 " + expected),
        else_=ibis.null("string"),
    )


def certno_area_unknown(s: ir.StringValue, area_codes: ir.Table) -> ir.BooleanValue:
    """The ID's first six digits were never a GB/T 2260 code (``area_codes.code``)."""
    return ~s.substr(0, 6).isin(area_codes["code"])


AREA_UNKNOWN_REASON = "身份证号地址码(前6位)不存在(GB/T 2260 历年代码中均无此码)"
