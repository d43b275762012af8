"""Masking of personal data (身份证号, names, diagnoses) for everything users see by default."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from yibao.schema import ALL_TABLES
from yibao.schema.model import Column

#: Workspaces hold personal data: directories only for their owner, files likewise.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_umask() -> None:
    """Every file and directory this process creates is its owner's only (0600 / 0700).

    Set once when the CLI starts, so DuckDB's WAL and spill files, reports and logs are
    covered without each writer remembering to chmod.
    """
    os.umask(0o077)


def private_files(directory: Path, files: Iterable[Path] = ()) -> None:
    """Tighten a workspace made by an older version (or another umask) to 0700 / 0600."""
    try:
        directory.chmod(PRIVATE_DIR)
        for f in files:
            if f.exists():
                f.chmod(PRIVATE_FILE)
    except PermissionError:  # a workspace shared read-only with us: leave it as it is
        pass


def private_dir(path: Path) -> Path:
    """Create (or tighten) an output directory such as ``reports/`` to 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    private_files(path)
    return path


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

#: column_name of a quarantined CSV record the reader could not split into fields: its
#: text may hold any personal field, so it is masked whole.
WHOLE_RECORD = "_record"


def mask_value(column: str, value: str | None) -> str | None:
    if column == WHOLE_RECORD:
        return None if value is None else "***(整行原文已脱敏)"
    kind = personal_columns().get(column)
    if kind == "certno":
        return mask_certno(value)
    if kind == "name":
        return mask_name(value)
    if kind == "text":
        return mask_text(value)
    return value
