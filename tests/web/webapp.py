"""Helpers of the workbench tests: an app over a workspace copy, users of every role, sessions."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from yibao.control.models import User as UserRow
from yibao.control.models import WebSession, now
from yibao.control.users import add_user
from yibao.web import security as sec
from yibao.web.app import create_app

PASSWORD = "pass-word-1"
ROLES = ("admin", "evaluator", "reviewer", "inspector", "viewer")
#: (user name, role, region scope): every role unscoped, and scoped users of both counties.
USERS = [(f"{r}0", r, "") for r in ROLES] + [
    ("inspector921", "inspector", "430921"),
    ("viewer922", "viewer", "430922"),
    ("evaluator43", "evaluator", "43"),
]


@dataclass
class Web:
    app: object
    ws: Path

    def client(self, user: str | None = None, https: bool = False) -> tuple[TestClient, str]:
        """A client with a fresh session of ``user`` (no password round trip) and its CSRF."""
        c = TestClient(
            self.app,
            base_url="https://127.0.0.1" if https else "http://127.0.0.1",
            follow_redirects=False,
        )
        if user is None:
            return c, ""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.app.state.cp.session() as s:
            uid = s.query(UserRow.id).filter(UserRow.name == user).scalar()
            s.add(
                WebSession(
                    token_hash=sec.token_hash(token),
                    user_id=uid,
                    csrf=csrf,
                    expires_at=now() + dt.timedelta(hours=1),
                )
            )
        c.cookies.set(sec.COOKIE, token)
        return c, csrf


def make_web(ws: Path) -> Web:
    app = create_app(ws, control_url=f"sqlite:///{ws / 'control.sqlite'}")
    for name, role, scope in USERS:
        add_user(app.state.cp, name, role, PASSWORD, region_scope=scope)
    return Web(app, ws)


def close_web(web: Web) -> None:
    from yibao.control.db import forget

    web.app.state.jobs.stop()
    web.app.state.ws.close()
    forget(web.app.state.cp.url)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "页面没有 CSRF 令牌"
    return m.group(1)
