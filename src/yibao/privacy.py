"""Masking of personal data (身份证号, names, diagnoses) for everything users see by default."""

from __future__ import annotations

from functools import cache
from typing import Any

from yibao.schema import ALL_TABLES
from yibao.schema.model import Column


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


def _kind(c: Column) -> str:
    if c.check == "certno":
        return "certno"
    return "name" if c.name.endswith("name") else "text"


@cache
def personal_columns() -> dict[str, str]:
    """Personal column names (canonical and derived tables) → how they are masked."""
    return {c.name: _kind(c) for t in ALL_TABLES.values() for c in t.columns if c.personal}


def mask_record(table: str, rec: dict[str, Any]) -> dict[str, Any]:
    """A row with its registry-flagged personal columns masked.

    Any other value of the row equal to one of its personal values (a finding keyed by the ID
    number) is masked the same way, so a copy never leaks what the original hides."""
    cols = {c.name: _kind(c) for c in ALL_TABLES[table].columns if c.personal}
    out = dict(rec)
    secrets = {}
    for name, kind in cols.items():
        if name in out and out[name] is not None:
            secrets[str(out[name])] = kind
            out[name] = _MASKS[kind](out[name])
    for name, value in out.items():
        if name not in cols and value is not None and str(value) in secrets:
            out[name] = _MASKS[secrets[str(value)]](value)
    return out


_MASKS = {"certno": mask_certno, "name": mask_name, "text": mask_text}


def mask_value(column: str, value: str | None) -> str | None:
    kind = personal_columns().get(column)
    if kind == "certno":
        return mask_certno(value)
    if kind == "name":
        return mask_name(value)
    if kind == "text":
        return mask_text(value)
    return value
