"""Users, roles and region scopes in the control plane, and the audit of every unmasking.

The control plane (:mod:`yibao.control.db`, SQLite in the workspace or PostgreSQL) is the one
user store, for the workbench and the CLI alike: ``yibao user add NAME --role 稽核`` stores the
name, the role, the region scope and an argon2 hash of the password.  Hashes written by earlier
versions (scrypt, in the DuckDB table ``_users``) are moved over on first use and still verify;
a successful login rewrites them as argon2.  A command that unmasks asks who is running it
(``--user`` or ``YIBAO_USER``) and for the password (``YIBAO_PASSWORD`` for scripts, else a
prompt), checks the role, and writes one audit row before it shows anything.

Functions take ``con``: a DuckDB connection of a workspace (what the CLI has), a
:class:`~yibao.engine.workspace.Workspace`, a workspace path or a :class:`ControlPlane`.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import hmac
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from yibao.control.audit import audit
from yibao.control.db import ControlPlane, open_control
from yibao.control.models import User as UserRow

USER_ENV, PASSWORD_ENV = "YIBAO_USER", "YIBAO_PASSWORD"
#: Role key → (Chinese label, other spellings accepted on the command line).
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("管理员", ("admin",)),
    "evaluator": ("评价", ("evaluator", "评价员")),
    "reviewer": ("复核", ("reviewer", "复核员", "审计", "auditor")),
    "inspector": ("稽核", ("inspector", "稽核员")),
    "viewer": ("查看", ("viewer", "查看员", "科员", "clerk")),
}
LABELS = {k: v[0] for k, v in ROLES.items()}
#: Roles that may see unmasked 身份证号, names and diagnoses (always audited).
UNMASK_ROLES = frozenset({"inspector", "reviewer"})
MIN_PASSWORD = 8
_ARGON = PasswordHasher()


class AccessDenied(Exception):
    """Refused: the message says why, in Chinese, and how to get the right."""


@dataclass(frozen=True)
class User:
    name: str
    role: str  # Chinese label, as shown and audited
    key: str = ""  # role key: admin, evaluator, reviewer, inspector, viewer
    region_scope: str = ""

    @property
    def may_unmask(self) -> bool:
        return self.key in UNMASK_ROLES


def role_key(role: str) -> str:
    """The role key of any accepted spelling, or AccessDenied naming the choices."""
    r = role.strip()
    for key, (label, others) in ROLES.items():
        if r in (key, label) or r.lower() in others or r in others:
            return key
    shown = "、".join(f"{lab}({k})" for k, (lab, _o) in ROLES.items())
    raise AccessDenied(f"未知的角色“{r}”;可用的角色: {shown}")


def canonical_role(role: str) -> str:
    """The Chinese label of a role (what ``yibao user list`` prints)."""
    return LABELS[role_key(role)]


def hash_password(password: str) -> str:
    return _ARGON.hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    """Hashes from before the control plane: ``scrypt$n$r$p$salt$digest``."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
            maxmem=2**26,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _ARGON.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _ARGON.check_needs_rehash(stored)


def control_of(con: Any) -> ControlPlane:
    """The control plane of whatever the caller has (see the module docstring)."""
    if isinstance(con, ControlPlane):
        return con
    if isinstance(con, (str, Path)):
        return open_control(Path(con))
    ws_path = getattr(con, "path", None)
    duck = getattr(con, "con", None)
    if ws_path is None:  # a DuckDB connection
        duck = con
        row = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        ws_path = Path(row[0]).parent
    cp = open_control(Path(ws_path))
    if duck is not None:
        import_legacy(duck, cp)
    return cp


def import_legacy(duck: Any, cp: ControlPlane) -> int:
    """Move users of the DuckDB table ``_users`` (scrypt hashes) into the control plane."""
    try:
        rows = duck.execute("SELECT user_name, role, password_hash FROM _users").fetchall()
    except Exception:  # noqa: BLE001 - no legacy table: nothing to move
        return 0
    moved = 0
    with cp.session() as s:
        for name, role, pw in rows:
            if s.scalar(select(UserRow).where(UserRow.name == name)) is None:
                key = role_key(role)
                s.add(UserRow(name=name, role=key, region_scope="", password_hash=pw))
                audit(s, "system", "", "user.import", "user", name, after={"role": key})
                moved += 1
    with contextlib.suppress(Exception):  # a read-only workspace keeps them until next time
        duck.execute("DELETE FROM _users")
    return moved


def _user(row: UserRow) -> User:
    return User(row.name, LABELS.get(row.role, row.role), row.role, row.region_scope or "")


def check_scope(scope: str) -> str:
    scope = (scope or "").strip()
    if scope and (not scope.isdigit() or len(scope) not in (2, 4, 6)):
        raise AccessDenied(
            f"区域范围“{scope}”无效:应为 2 位(省)、4 位(市)或 6 位(县)区划代码,或留空"
        )
    return scope


def add_user(
    con: Any, name: str, role: str, password: str, *, region_scope: str = "", by: str = "cli"
) -> User:
    """Add (or replace the role, scope and password of) a user; audited."""
    name = name.strip()
    if not name:
        raise AccessDenied("用户名不能为空")
    if len(name) > 64:
        raise AccessDenied("用户名过长(最多 64 个字符)")
    if len(password) < MIN_PASSWORD:
        raise AccessDenied(f"密码至少 {MIN_PASSWORD} 个字符")
    key, scope = role_key(role), check_scope(region_scope)
    cp = control_of(con)
    with cp.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        before = None if row is None else {"role": row.role, "region_scope": row.region_scope}
        if row is None:
            row = UserRow(name=name, role=key, region_scope=scope, password_hash="")
            s.add(row)
        row.role, row.region_scope, row.active = key, scope, True
        row.password_hash = hash_password(password)
        after = {"role": key, "region_scope": scope, "password": "(已设置)"}
        audit(s, by, "", "user.add", "user", name, before=before, after=after)
        return _user(row)


def remove_user(con: Any, name: str, *, by: str = "cli") -> bool:
    cp = control_of(con)
    with cp.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            return False
        before = {"role": row.role, "region_scope": row.region_scope}
        s.delete(row)
        audit(s, by, "", "user.remove", "user", name, before=before)
        return True


def list_users(con: Any) -> list[User]:
    cp = control_of(con)
    with cp.session() as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def read_password(prompt: str = "密码: ") -> str | None:
    """``YIBAO_PASSWORD`` if set (scripts, tests), else a hidden prompt on a terminal."""
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def check_login(cp: ControlPlane, name: str, password: str) -> User | None:
    """The active user if the password matches (old scrypt hashes are rewritten as argon2)."""
    with cp.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is None or not row.active:
            hash_password(password)  # same time as a wrong password: no user enumeration
            return None
        if not verify_password(password, row.password_hash):
            return None
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        return _user(row)


def authenticate(con: Any, name: str | None, password: str | None) -> User:
    """The stored user, if the password matches; otherwise AccessDenied (no hint which part)."""
    name = (name or os.environ.get(USER_ENV) or "").strip()
    if not name:
        raise AccessDenied(
            "查看未脱敏的个人信息须以用户库中的用户身份运行:请用 --user 用户名"
            f"(或环境变量 {USER_ENV})并输入密码(脚本可用环境变量 {PASSWORD_ENV});"
            "用户由 yibao user add 用户名 --role 稽核 添加"
        )
    if password is None:
        raise AccessDenied(f"需要用户 {name} 的密码:请在终端中运行,或设置环境变量 {PASSWORD_ENV}")
    user = check_login(control_of(con), name, password)
    if user is None:
        raise AccessDenied(f"用户名或密码不正确(用户 {name})")
    return user


def require_unmask(con: Any, name: str | None) -> User:
    """Authenticate and check that the user's stored role may unmask."""
    user = authenticate(
        con, name, read_password(f"用户 {name or os.environ.get(USER_ENV)} 的密码: ")
    )
    if not user.may_unmask:
        allowed = "、".join(LABELS[k] for k in sorted(UNMASK_ROLES))
        raise AccessDenied(
            f"用户 {user.name} 的角色是“{user.role}”,无权查看未脱敏的个人信息(需要: {allowed})"
        )
    return user


def record_unmask(
    con: Any,
    user: User,
    command: str,
    *,
    scope: str = "",
    rows: int | None = None,
    output: str | None = None,
    address: str = "",
) -> None:
    """One audit row per unmasking, written before the data is shown or saved."""
    cp = control_of(con)
    with cp.session() as s:
        audit(
            s,
            user.name,
            user.role,
            "unmask",
            command,
            scope,
            after={"rows_shown": rows, "output": output},
            address=address,
        )


def unmask_audit(con: Any) -> list[tuple[str, str, str, int | None, str | None]]:
    """(user, role, command, rows shown, output) of every unmasking, oldest first."""
    import json

    from yibao.control.models import AuditEntry

    cp = control_of(con)
    with cp.session() as s:
        q = select(AuditEntry).where(AuditEntry.action == "unmask").order_by(AuditEntry.id)
        out = []
        for e in s.scalars(q):
            after = json.loads(e.after or "{}")
            out.append(
                (e.user_name, e.role, e.object_type, after.get("rows_shown"), after.get("output"))
            )
        return out
