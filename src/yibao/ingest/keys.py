"""The one key normaliser: how an identifier (结算ID, 人员编号, 机构编号 …) is compared.

Exports pad keys with U+3000 and NBSP, paste zero-width spaces from web forms, and mix
full-width and lower-case letters; without this, ``S001`` and ``Ｓ００１\u3000`` load as two
claims and a fund payment is counted twice.  The normal form is NFKC's one-to-one mappings
(full-width → ASCII, compatibility ideographs, every Unicode space → ' '), zero-width
characters deleted, ASCII letters upper-cased, spaces stripped at both ends.  Multi-character
NFKC expansions (ligatures such as 'ﬁ', '㍿') are left as they are.

It is one ``translate`` table, so the engine expression (DuckDB and PySpark) and the Python
function give the same result; a hypothesis test holds them to it.
"""

from __future__ import annotations

import sys
import unicodedata

import ibis
import ibis.expr.types as ir

#: Deleted wherever they are: zero-width space/joiners, word joiner, BOM, soft hyphen.
_DELETE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_CONTROL_SPACES = "\t\n\r\x0b\x0c\x85"


def _mapping() -> tuple[str, str]:
    src, dst = [], []
    for cp in range(0x21, 0x10000):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or ch in _DELETE:
            continue
        n = unicodedata.normalize("NFKC", ch)
        if len(n) != 1:
            continue
        if n.isspace():
            n = " "
        if "a" <= n <= "z":
            n = n.upper()
        if n != ch:
            src.append(ch)
            dst.append(n)
    for ch in _CONTROL_SPACES:
        src.append(ch)
        dst.append(" ")
    return "".join(src), "".join(dst)


_FROM, _TO = _mapping()
# Characters beyond those with a counterpart are deleted by translate (DuckDB and Spark).
TRANSLATE_FROM, TRANSLATE_TO = _FROM + _DELETE, _TO
_TABLE = str.maketrans(_FROM, _TO, _DELETE)
_PLAIN = r"^[!-~]*$"  # printable ASCII without spaces: only upper-casing can change it

assert sys.maxunicode >= 0xFFFF


def normalise_key(value: str | None) -> str | None:
    """Python form of :func:`key_expr` (CLI look-ups such as ``--explain``, tests)."""
    if value is None:
        return None
    out = value.translate(_TABLE).strip(" ")
    return out or None


def key_expr(s: ir.StringValue) -> ir.StringValue:
    """Engine form of :func:`normalise_key`; NULL when nothing is left."""
    # Printable ASCII without spaces (nearly every key) only needs upper-casing and no strip:
    # the translate of 1,845 characters and the strips are for the other keys.
    out = ibis.cases(
        (s.re_search(_PLAIN), s.upper()),
        else_=s.translate(TRANSLATE_FROM, TRANSLATE_TO).lstrip().rstrip(),
    )
    return ibis.cases((out == "", ibis.null("string")), else_=out)
