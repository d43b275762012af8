"""GB 11643-1999 resident ID number check for single IDs (CLI, forms, test data).

Pure Python on purpose: it explains *why* an ID fails, in Chinese, for one ID at a time.
This is the one Python-side implementation; :mod:`yibao.identity.engine` is the one
engine-side (Ibis) implementation, and a hypothesis test holds them to the same verdict.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from yibao.refdata import VALID_PROVINCE_PREFIXES, area_history

__all__ = [
    "CHECK_CHARS",
    "EARLIEST_BIRTH",
    "WEIGHTS",
    "IdCheck",
    "check_char",
    "check_id",
    "random_valid_id",
]

# Weights wᵢ = 2^(17-i) mod 11 for the first 17 characters (GB 11643-1999 §7).
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character indexed by Σ aᵢwᵢ mod 11 (ISO 7064 MOD 11-2).
CHECK_CHARS = "10X98765432"
# Birth dates earlier than this are treated as data errors rather than real people.
EARLIEST_BIRTH = date(1880, 1, 1)

VALID_REASON = "有效"


def check_char(first17: str) -> str:
    """Check character for the first 17 digits, so callers can build or repair IDs."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"需要 17 位数字，实际为 {first17!r} / expected 17 digits")
    total = sum(int(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdCheck:
    """Outcome of one ID check; details are only filled in when the ID is valid."""

    id: str
    valid: bool
    reason: str
    region_code: str | None = None
    region_name: str | None = None
    birth_date: date | None = None
    gender: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form for the CLI; details appear only for valid IDs."""
        out: dict[str, Any] = {"id": self.id, "valid": self.valid, "reason": self.reason}
        if self.valid:
            out["region"] = self.region_code
            out["region_name"] = self.region_name
            out["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
            out["gender"] = self.gender
        return out


def _is_digits(s: str) -> bool:
    # str.isdigit() also accepts full-width and other Unicode digits; IDs are ASCII only.
    return s.isascii() and s.isdigit()


def check_id(raw: str, today: date | None = None) -> IdCheck:
    """Check one resident ID, stopping at the first problem and naming it in Chinese."""
    s = raw.strip().upper()
    if not s:
        return IdCheck(s, False, "身份证号为空")

    if len(s) != 18:
        reason = f"长度应为 18 位，实际为 {len(s)} 位"
        if len(s) == 15 and _is_digits(s):
            reason += "（这是 15 位第一代身份证号，需换算为 18 位）"
        return IdCheck(s, False, reason)

    body, given = s[:17], s[17]
    for pos, ch in enumerate(body, 1):
        if not _is_digits(ch):
            return IdCheck(s, False, f"前 17 位必须是数字，第 {pos} 位为“{ch}”")
    if not (_is_digits(given) or given == "X"):
        return IdCheck(s, False, f"第 18 位校验码必须是数字或 X，实际为“{given}”")

    province = s[:2]
    if province not in VALID_PROVINCE_PREFIXES:
        return IdCheck(s, False, f"省级代码“{province}”无效（不是大陆居民身份证使用的省份代码）")

    area = s[:6]
    entry = area_history().get(area)
    if entry is None:
        return IdCheck(s, False, f"地区码“{area}”不存在（GB/T 2260 历年代码中均无此码）")

    birth_raw = s[6:14]
    try:
        birth = date(int(birth_raw[:4]), int(birth_raw[4:6]), int(birth_raw[6:]))
    except ValueError:
        return IdCheck(s, False, f"出生日期“{birth_raw}”不是有效的日历日期")
    today = today or date.today()
    if birth > today:
        return IdCheck(s, False, f"出生日期“{birth_raw}”晚于今天（{today.isoformat()}）")
    if birth < EARLIEST_BIRTH:
        return IdCheck(
            s, False, f"出生日期“{birth_raw}”早于 {EARLIEST_BIRTH.isoformat()}，不合常理"
        )

    expected = check_char(body)
    if given != expected:
        return IdCheck(s, False, f"校验码错误：应为“{expected}”，实际为“{given}”")

    return IdCheck(
        id=s,
        valid=True,
        reason=VALID_REASON,
        region_code=area,
        region_name=entry.name,
        birth_date=birth,
        gender="男" if int(s[16]) % 2 == 1 else "女",
    )


def random_valid_id(rng: random.Random, area_code: str, birth: date, male: bool) -> str:
    """A well-formed ID for generated data and tests (sequence 001–999, odd for men)."""
    if len(area_code) != 6 or not _is_digits(area_code):
        raise ValueError(f"地区码应为 6 位数字：{area_code!r} / area code must be 6 digits")
    if not 1000 <= birth.year <= 9999:
        raise ValueError(f"出生年份超出范围：{birth.year} / birth year out of range")
    # Odd 1..999 for men, even 2..998 for women; 000 is never issued.
    seq = rng.randrange(1, 1000, 2) if male else rng.randrange(2, 1000, 2)
    body = f"{area_code}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)
