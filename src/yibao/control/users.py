"""Local users with roles, stored hashed in the workspace, and the audit of every unmasking.

Until the web control plane exists the role that may see unmasked personal data comes from
here, never from a flag the user types: ``yibao user add NAME --role 稽核`` stores the name,
the role and a scrypt hash of the password (salted, stdlib ``hashlib.scrypt``) in the
workspace's ``_users`` table.  A command that unmasks asks who is running it (``--user`` or
``YIBAO_USER``) and for the password (``YIBAO_PASSWORD`` for scripts, else a prompt), checks
the role, and writes one ``_audit_unmask`` row before it shows anything.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass

import duckdb

USER_ENV, PASSWORD_ENV = "YIBAO_USER", "YIBAO_PASSWORD"
#: Canonical role → other spellings accepted on the command line.
ROLES = {
    "稽核": ("inspector",),
    "审计": ("auditor",),
    "科员": ("clerk",),
    "管理员": ("admin",),
}
#: Roles that may see unmasked 身份证号, names and diagnoses.
UNMASK_ROLES = frozenset({"稽核", "审计"})
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

USERS_DDL = """
CREATE TABLE IF NOT EXISTS _users (
    user_name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
)"""
AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS _audit_unmask (
    unmasked_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    user_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    command VARCHAR NOT NULL,
    scope VARCHAR,
    rows_shown BIGINT,
    output VARCHAR
)"""


class AccessDenied(Exception):
    """Refused: the message says why, in Chinese, and how to get the right."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def may_unmask(self) -> bool:
        return self.role in UNMASK_ROLES


def canonical_role(role: str) -> str:
    r = role.strip()
    for canon, others in ROLES.items():
        if r == canon or r.lower() in others:
            return canon
    shown = "、".join(f"{c}({'/'.join(o)})" for c, o in ROLES.items())
    raise AccessDenied(f"未知的角色“{r}”;可用的角色: {shown}")


def _hash(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def _verify(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        assert kind == "scrypt"
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except (ValueError, AssertionError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(USERS_DDL)
    con.execute(AUDIT_DDL)


def add_user(con: duckdb.DuckDBPyConnection, name: str, role: str, password: str) -> User:
    """Add (or replace the role and password of) a user."""
    name = name.strip()
    if not name:
        raise AccessDenied("用户名不能为空")
    if len(password) < MIN_PASSWORD:
        raise AccessDenied(f"密码至少 {MIN_PASSWORD} 个字符")
    canon = canonical_role(role)
    ensure_tables(con)
    con.execute(
        "INSERT OR REPLACE INTO _users (user_name, role, password_hash) VALUES (?, ?, ?)",
        [name, canon, _hash(password, secrets.token_bytes(16))],
    )
    return User(name, canon)


def remove_user(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    ensure_tables(con)
    found = con.execute("SELECT count(*) FROM _users WHERE user_name = ?", [name]).fetchone()[0]
    con.execute("DELETE FROM _users WHERE user_name = ?", [name])
    return bool(found)


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    ensure_tables(con)
    rows = con.execute("SELECT user_name, role FROM _users ORDER BY 1").fetchall()
    return [User(n, r) for n, r in rows]


def read_password(prompt: str = "密码: ") -> str | None:
    """``YIBAO_PASSWORD`` if set (scripts, tests), else a hidden prompt on a terminal."""
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def authenticate(con: duckdb.DuckDBPyConnection, name: str | None, password: str | None) -> User:
    """The stored user, if the password matches; otherwise AccessDenied (no hint which part)."""
    ensure_tables(con)
    name = (name or os.environ.get(USER_ENV) or "").strip()
    if not name:
        raise AccessDenied(
            "查看未脱敏的个人信息须以用户库中的用户身份运行:请用 --user 用户名"
            f"(或环境变量 {USER_ENV})并输入密码(脚本可用环境变量 {PASSWORD_ENV});"
            "用户由 yibao user add 用户名 --role 稽核 添加"
        )
    if password is None:
        raise AccessDenied(f"需要用户 {name} 的密码:请在终端中运行,或设置环境变量 {PASSWORD_ENV}")
    row = con.execute(
        "SELECT role, password_hash FROM _users WHERE user_name = ?", [name]
    ).fetchone()
    if row is None or not _verify(password, row[1]):
        raise AccessDenied(f"用户名或密码不正确(用户 {name})")
    return User(name, row[0])


def require_unmask(con: duckdb.DuckDBPyConnection, name: str | None) -> User:
    """Authenticate and check that the user's stored role may unmask."""
    user = authenticate(
        con, name, read_password(f"用户 {name or os.environ.get(USER_ENV)} 的密码: ")
    )
    if not user.may_unmask:
        allowed = "、".join(sorted(UNMASK_ROLES))
        raise AccessDenied(
            f"用户 {user.name} 的角色是“{user.role}”,无权查看未脱敏的个人信息(需要: {allowed})"
        )
    return user


def record_unmask(
    con: duckdb.DuckDBPyConnection,
    user: User,
    command: str,
    *,
    scope: str = "",
    rows: int | None = None,
    output: str | None = None,
) -> None:
    """One audit row per unmasking, written before the data is shown or saved."""
    ensure_tables(con)
    con.execute(
        "INSERT INTO _audit_unmask (user_name, role, command, scope, rows_shown, output) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [user.name, user.role, command, scope, rows, output],
    )
