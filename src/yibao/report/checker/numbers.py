"""Numbers with their units, as a report writes them: 211661.42万元, 1,451人次, 53%, 二十五人.

Amounts are compared in 元, counts in their own unit (人 and 人次 are different things), rates in
percent.  Each quantity keeps the decimals it was shown with, because a stated figure holds when
the computed one, rounded to that precision, equals it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from yibao.money import round_places, truncate_places

#: unit → (family, multiplier to the family's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "亿元": ("元", Decimal("100000000")),
    "万元": ("元", Decimal("10000")),
    "元": ("元", Decimal(1)),
    "万人次": ("人次", Decimal("10000")),
    "人次": ("人次", Decimal(1)),
    "万人": ("人", Decimal("10000")),
    "人": ("人", Decimal(1)),
    "名": ("人", Decimal(1)),
    "万户": ("户", Decimal("10000")),
    "户": ("户", Decimal(1)),
    "家": ("家", Decimal(1)),
    "个": ("个", Decimal(1)),
    "所": ("家", Decimal(1)),
    "次": ("次", Decimal(1)),
    "件": ("件", Decimal(1)),
    "份": ("份", Decimal(1)),
    "分": ("分", Decimal(1)),
    "%": ("%", Decimal(1)),
    "％": ("%", Decimal(1)),
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
NUMBER = re.compile(
    rf"(?<![\d.,A-Za-z])(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d+)?\s*({_UNIT_RE})(/人(?:年|次)?)?"
)
_CN_NUM = re.compile(r"[零一二两三四五六七八九十百千万亿]+(?=人次|人|名|家|个|户|次|元)")


@dataclass(frozen=True)
class Quantity:
    value: Decimal  # in the unit as written (万元 stays 万元)
    unit: str  # as written
    places: int  # decimals shown
    start: int  # offset in the text
    end: int
    text: str  # as written
    per_person: bool = False  # "520元/人年"

    @property
    def family(self) -> str:
        return UNITS[self.unit][0] + ("/人" if self.per_person else "")

    @property
    def base(self) -> Decimal:
        """The value in the family's base unit (元, 人, 人次 …)."""
        return self.value * UNITS[self.unit][1]

    def in_unit(self, base_value: Decimal) -> Decimal:
        """A base-unit value expressed in this quantity's unit."""
        return base_value / UNITS[self.unit][1]


def quantities(text: str) -> list[Quantity]:
    out = []
    for m in NUMBER.finditer(text):
        whole, frac, unit, per = m.group(1), m.group(2) or "", m.group(3), m.group(4)
        if unit == "分" and frac == "" and _is_time_or_ordinal(text, m.start()):
            continue
        value = Decimal(whole.replace(",", "") + frac)
        out.append(
            Quantity(value, unit, max(len(frac) - 1, 0), m.start(), m.end(), m.group(0), bool(per))
        )
    out += _chinese_numerals(text)
    return sorted(out, key=lambda q: q.start)


def _is_time_or_ordinal(text: str, start: int) -> bool:
    return text[max(0, start - 1) : start] in ("第", "时", ":")


def _chinese_numerals(text: str) -> list[Quantity]:
    """二十五人, 三家: Chinese numerals through cn2an (a maintained converter)."""
    import cn2an

    out = []
    for m in _CN_NUM.finditer(text):
        word = m.group(0)
        if len(word) < 2 and word not in "二两三四五六七八九十":
            continue
        try:
            value = Decimal(int(cn2an.cn2an(word, "normal")))
        except (ValueError, KeyError, TypeError):
            continue
        unit_match = re.match(rf"({_UNIT_RE})", text[m.end() :])
        if unit_match is None:
            continue
        unit = unit_match.group(1)
        end = m.end() + len(unit)
        out.append(Quantity(value, unit, 0, m.start(), end, text[m.start() : end]))
    return out


def shown(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half-up to what a figure with ``places`` decimals shows."""
    return round_places(value, places)


def truncated(value: Decimal, places: int) -> Decimal:
    return truncate_places(value, places)
