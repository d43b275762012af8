"""Masking of personal data (身份证号, names, diagnoses) for everything users see by default."""

from __future__ import annotations

from yibao.schema import TABLES


def mask_certno(value: str | None) -> str | None:
    """Keep the area code and last four characters: 430902********123X."""
    if value is None:
        return None
    v = str(value)
    if len(v) <= 8:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_name(value: str | None) -> str | None:
    if value is None:
        return None
    v = str(value)
    if len(v) <= 1:
        return "*"
    if len(v) == 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_text(value: str | None) -> str | None:
    return None if value is None else "***"


def personal_columns() -> dict[str, str]:
    """Canonical personal column names (across tables) → how they are masked."""
    out: dict[str, str] = {}
    for t in TABLES.values():
        for c in t.columns:
            if c.personal:
                out[c.name] = (
                    "certno"
                    if c.check == "certno"
                    else ("name" if c.name.endswith("name") else "text")
                )
    return out


def mask_value(column: str, value: str | None) -> str | None:
    kind = personal_columns().get(column)
    if kind == "certno":
        return mask_certno(value)
    if kind == "name":
        return mask_name(value)
    if kind == "text":
        return mask_text(value)
    return value
