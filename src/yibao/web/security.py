"""Login, sessions, CSRF, rate limits, permissions and security headers of the workbench.

Sessions are random tokens in an HttpOnly, SameSite=Lax cookie (Secure over https); the
control plane keeps only their SHA-256, with the CSRF token of the session and an expiry.
Every route declares one permission through :func:`require`; the authorization test walks
``app.routes`` and fails on a route that has none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, func, select

from yibao.control.models import LoginFailure, WebSession, now
from yibao.control.models import User as UserRow
from yibao.control.users import LABELS, UNMASK_ROLES

COOKIE = "yibao_session"
SESSION_HOURS = 8
#: Failed logins allowed per user name and per address within the window.
FAIL_LIMIT_USER, FAIL_LIMIT_ADDR, FAIL_WINDOW_MIN = 5, 20, 15

#: permission → roles that hold it ("view" is every signed-in role).
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(LABELS),
    "evaluate.edit": frozenset({"admin", "evaluator"}),
    "evaluate.signoff": frozenset({"reviewer"}),
    "evaluate.unlock": frozenset({"admin"}),
    "case.edit": frozenset({"inspector"}),
    "report.generate": frozenset({"admin", "evaluator", "reviewer"}),
    "import": frozenset({"admin"}),
    "users": frozenset({"admin"}),
    "audit": frozenset({"admin", "reviewer"}),
    "jobs.run": frozenset({"admin", "evaluator"}),
    "unmask": UNMASK_ROLES,
}
PUBLIC = "public"


@dataclass(frozen=True)
class Who:
    """The signed-in user of a request."""

    id: int
    name: str
    key: str  # role key
    region_scope: str
    csrf: str
    address: str = ""

    @property
    def role(self) -> str:
        return LABELS.get(self.key, self.key)

    def can(self, perm: str) -> bool:
        return self.key in PERMISSIONS[perm]

    def sees(self, region_code: str | None) -> bool:
        return not self.region_scope or (region_code or "").startswith(self.region_scope)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_of(request: Request) -> str:
    return request.client.host if request.client else ""


def new_session(request: Request, user_id: int) -> tuple[str, str]:
    """(cookie token, csrf token) of a new session."""
    cp = request.app.state.cp
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with cp.session() as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now()))
        s.add(
            WebSession(
                token_hash=token_hash(token),
                user_id=user_id,
                csrf=csrf,
                expires_at=now() + dt.timedelta(hours=request.app.state.session_hours),
            )
        )
    return token, csrf


def end_session(request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        with request.app.state.cp.session() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def _who(request: Request) -> Who | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    q = (
        select(UserRow.id, UserRow.name, UserRow.role, UserRow.region_scope, WebSession.csrf)
        .join(WebSession, WebSession.user_id == UserRow.id)
        .where(
            WebSession.token_hash == token_hash(token),
            WebSession.expires_at > now(),
            UserRow.active.is_(True),
        )
    )
    with request.app.state.cp.engine.connect() as con:  # one query, no ORM unit of work
        row = con.execute(q).first()
    if row is None:
        return None
    uid, name, role, scope, csrf = row
    return Who(uid, name, role, scope or "", csrf, address_of(request))


class LoginRequired(Exception):
    """Raised for a page without a session: the app answers with a redirect to /login."""


def require(perm: str, *, whole: bool = False) -> Callable[..., Who | None]:
    """The dependency every route declares: signed in, with ``perm``; CSRF on unsafe methods.

    ``whole``: the route acts on the whole workspace (evaluation, reports), so a user with a
    region scope is refused even with the role."""

    async def dep(request: Request) -> Who | None:
        if perm == PUBLIC:
            return None
        who = _who(request)
        if who is None:
            if request.url.path.startswith("/api/"):
                raise HTTPException(401, "需要登录")
            raise LoginRequired()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await check_csrf(request, who.csrf)
        if not who.can(perm):
            raise HTTPException(403, f"角色“{who.role}”无权进行此操作")
        if whole and who.region_scope:
            raise HTTPException(403, "此操作针对全区,区域范围受限的用户不能进行")
        request.state.who = who
        return who

    dep.perm = perm  # type: ignore[attr-defined] - read by the authorization test
    dep.whole = whole  # type: ignore[attr-defined]
    return dep


def who_of(perm: str):  # noqa: ANN201 - a FastAPI dependency
    return Depends(require(perm))


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if "form" in ctype:
            form = await request.form()
            sent = str(form.get("csrf_token") or "")
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "表单已失效(CSRF 校验失败),请刷新页面后重试")


def too_many_failures(request: Request, user_name: str) -> bool:
    since = now() - dt.timedelta(minutes=FAIL_WINDOW_MIN)
    addr = address_of(request)
    with request.app.state.cp.session() as s:
        by_user = s.scalar(
            select(func.count()).where(LoginFailure.user_name == user_name, LoginFailure.at > since)
        )
        by_addr = s.scalar(
            select(func.count()).where(LoginFailure.address == addr, LoginFailure.at > since)
        )
    return by_user >= FAIL_LIMIT_USER or by_addr >= FAIL_LIMIT_ADDR


def record_failure(request: Request, user_name: str) -> None:
    with request.app.state.cp.session() as s:
        s.add(LoginFailure(user_name=user_name[:64], address=address_of(request)))


def clear_failures(request: Request, user_name: str) -> None:
    with request.app.state.cp.session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.user_name == user_name))


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
