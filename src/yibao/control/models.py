"""The control plane's tables (SQLAlchemy 2): who may do what, and what people entered.

The DuckDB workspace holds the data and what steps computed from it; this database holds what
people do in the workbench: users, sessions, manual evaluation inputs, sign-offs, inspection
cases, uploads, jobs and the append-only audit log.  Money is integer fen (never floats).
The schema is created and changed only by the Alembic migrations beside this module.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "cp_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    #: Region code prefix the user sees: '' all, 2 digits a province, 4 a city, 6 a county.
    region_scope: Mapped[str] = mapped_column(String(12), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WebSession(Base):
    __tablename__ = "cp_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("cp_users.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LoginFailure(Base):
    __tablename__ = "cp_login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)


class AuditEntry(Base):
    """Append-only: database triggers refuse UPDATE and DELETE (see the migration)."""

    __tablename__ = "cp_audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(128), default="")
    before: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    after: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    address: Mapped[str] = mapped_column(String(64), default="")


class ManualInput(Base):
    """One indicator line of a framework and year as a person entered it (value, texts)."""

    __tablename__ = "cp_manual_inputs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64), nullable=True)  # exact decimal text
    cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    remedy: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_upload_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class SignOff(Base):
    """The state of one framework-year evaluation: 草稿 → 待复核 → 已签核 (locked)."""

    __tablename__ = "cp_signoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="草稿")
    submitted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    unlocked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unlock_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Upload(Base):
    __tablename__ = "cp_uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # evidence | import
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_as: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class Case(Base):
    """One inspection case opened from findings; amounts in fen."""

    __tablename__ = "cp_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    fixmedins_code: Mapped[str] = mapped_column(String(64))
    fixmedins_name: Mapped[str] = mapped_column(String(255), default="")
    region_code: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(16), default="立案")  # 立案 检查 结论 已结案
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    inspected_at: Mapped[dt.date | None] = mapped_column(DateTime, nullable=True)
    inspection_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    conclusion: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 属实 | 不属实
    conclusion_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    penalty_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class CaseFinding(Base):
    __tablename__ = "cp_case_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cp_cases.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class Job(Base):
    __tablename__ = "cp_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="排队")  # 排队 运行 完成 失败
    progress: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
