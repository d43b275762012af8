"""The append-only audit log: who changed what, when, and the values before and after.

Rows are only ever inserted; the migration's triggers make UPDATE and DELETE fail in the
database, so the log cannot be altered through the app.  ``export_csv`` writes it for auditors.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.control.models import AuditEntry


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def audit(
    s: Session,
    user_name: str,
    role: str,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    *,
    before: Any = None,
    after: Any = None,
    address: str = "",
) -> AuditEntry:
    """Add one audit row in the caller's unit of work (committed with the change it records)."""
    e = AuditEntry(
        user_name=user_name,
        role=role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_json(before),
        after=_json(after),
        address=address,
    )
    s.add(e)
    return e


COLUMNS = (
    "id",
    "at",
    "user_name",
    "role",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "address",
)
HEADERS = ("序号", "时间", "用户", "角色", "操作", "对象类型", "对象", "修改前", "修改后", "地址")


def entries(s: Session, limit: int | None = None) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
    if limit:
        q = q.limit(limit)
    return list(s.scalars(q))


def export_csv(s: Session) -> str:
    """The whole log, oldest first, as CSV with Chinese headers (UTF-8 with BOM for Excel)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        w.writerow([_cell(getattr(e, c)) for c in COLUMNS])
    return "\ufeff" + buf.getvalue()


def _cell(v: Any) -> str:
    """No spreadsheet formulas from log text (=, +, -, @ lead with a quote)."""
    text = "" if v is None else str(v)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
