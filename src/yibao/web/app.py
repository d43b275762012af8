"""The workbench application: ``create_app(workspace)`` and ``serve`` (``yibao serve``).

One process holds the DuckDB workspace open (its single writer, the job runner) and the control
plane; pages read through per-request cursors.  Every route but ``/login`` and ``/static``
requires a session (see :mod:`yibao.web.security`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from yibao.control.audit import audit
from yibao.control.db import open_control
from yibao.control.models import User as UserRow
from yibao.control.users import add_user, check_login, import_legacy
from yibao.money import pct_text, round_fen, round_places
from yibao.web import security as sec
from yibao.web.jobs import JobRunner

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _money(v: Any) -> str:
    """Amounts as stored (exact, two places), with thousands separators."""
    return "—" if v is None else f"{round_fen(v):,}"


def _num2(v: Any) -> str:
    """Indicator values: half-up to two places (money.round_places), never a float; whole
    numbers (counts of people, inspections) without decimals."""
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return f"{round_places(v, 0):f}" if v == v.to_integral_value() else f"{round_places(v, 2):f}"


def _pct(v: Any) -> str:
    return "—" if v is None else pct_text(v)


templates.env.filters.update(money=_money, num2=_num2, pct=_pct)
templates.env.auto_reload = False  # templates ship with the package: no stat per render

NAV = (
    ("/", "总览"),
    ("/indicators", "绩效指标"),
    ("/evaluation", "绩效评价"),
    ("/findings", "监管线索"),
    ("/cases", "稽核案件"),
    ("/reports", "报告"),
    ("/imports", "数据导入"),
    ("/users", "用户管理"),
    ("/audit", "审计日志"),
)


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response (cheaper than
    ``BaseHTTPMiddleware``, which costs a task and a thread hop per request)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.page = [(k.lower().encode(), v.encode()) for k, v in sec.HEADERS.items()]
        self.static = [h for h in self.page if h[0] != b"cache-control"]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.static if scope["path"].startswith("/static/") else self.page

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in extra if h[0] not in have
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cursor(request: Request) -> Iterator[Any]:
    """A DuckDB cursor of the server's connection for one request."""
    from yibao.web.data import Reader

    cur = request.app.state.ws.con.cursor()
    try:
        yield Reader(cur, str(request.app.state.ws_path))
    finally:
        cur.close()


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    who = getattr(request.state, "who", None)
    base = {
        "request": request,
        "who": who,
        "nav": NAV,
        "path": request.url.path,
        "csrf": who.csrf if who else "",
    }
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)


def create_app(
    ws_path: Path | str, *, control_url: str | None = None, session_hours: float = sec.SESSION_HOURS
) -> FastAPI:
    from yibao.engine.workspace import Workspace

    ws_path = Path(ws_path).resolve()
    app = FastAPI(title="yibao 医保基金工作台", docs_url=None, redoc_url=None, openapi_url=None)
    ws = Workspace.open(ws_path)
    cp = open_control(ws_path, control_url)
    import_legacy(ws.con, cp)
    app.state.ws, app.state.cp, app.state.ws_path = ws, cp, ws_path
    app.state.session_hours = session_hours
    app.state.jobs = JobRunner(cp)
    _startup_sync(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(sec.LoginRequired)
    async def to_login(request: Request, _exc: Exception) -> Response:
        nxt = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={nxt}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(
            request, "error.html", {"code": exc.status_code, "message": exc.detail}, exc.status_code
        )

    _auth_routes(app)
    from yibao.web import admin, evaluation, pages

    for mod in (pages, evaluation, admin):
        app.include_router(mod.router)
    return app


def _startup_sync(app: FastAPI) -> None:
    """Bring the workspace's copy of the cases (and the findings' regions) up to date."""
    from yibao.control.cases import CaseSyncStep

    ws, cp = app.state.ws, app.state.cp

    def work(progress: Any) -> dict[str, Any]:
        from yibao.pipeline.context import build_context
        from yibao.pipeline.runs import run_step

        res = run_step(build_context(ws, None, progress=progress), CaseSyncStep(cp))
        return res.tables

    app.state.jobs.submit("cases", "启动时同步稽核案件与线索区划", "system", work)


def _auth_routes(app: FastAPI) -> None:
    @app.get("/login", response_class=HTMLResponse)
    def login_page(
        request: Request, next: str = "/", _w: None = Depends(sec.require(sec.PUBLIC))
    ) -> HTMLResponse:
        return render(request, "login.html", {"next": _safe_next(next), "error": ""})

    @app.post("/login")
    def login(
        request: Request,
        user_name: str = Form(...),
        password: str = Form(...),
        next: str = Form("/"),
        _w: None = Depends(sec.require(sec.PUBLIC)),
    ) -> Response:
        name = user_name.strip()[:64]
        cp = request.app.state.cp
        if sec.too_many_failures(request, name):
            with cp.session() as s:
                audit(s, name, "", "login.blocked", "user", name, address=sec.address_of(request))
            return render(
                request,
                "login.html",
                {"next": _safe_next(next), "error": "登录失败次数过多,请 15 分钟后再试"},
                429,
            )
        user = check_login(cp, name, password)
        if user is None:
            sec.record_failure(request, name)
            with cp.session() as s:
                audit(s, name, "", "login.failed", "user", name, address=sec.address_of(request))
            return render(
                request,
                "login.html",
                {"next": _safe_next(next), "error": "用户名或密码不正确"},
                401,
            )
        sec.clear_failures(request, name)
        with cp.session() as s:
            uid = s.scalar(select(UserRow.id).where(UserRow.name == name))
            audit(s, name, user.role, "login", "user", name, address=sec.address_of(request))
        token, _csrf = sec.new_session(request, uid)
        resp = RedirectResponse(_safe_next(next), status_code=303)
        resp.set_cookie(
            sec.COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            max_age=int(request.app.state.session_hours * 3600),
        )
        return resp

    @app.post("/logout")
    def logout(request: Request, who: sec.Who = Depends(sec.require("view"))) -> Response:
        sec.end_session(request)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(sec.COOKIE)
        return resp

    @app.get("/api/me")
    def me(who: sec.Who = Depends(sec.require("view"))) -> dict[str, Any]:
        return {"user": who.name, "role": who.key, "region_scope": who.region_scope}


def _safe_next(nxt: str) -> str:
    """Only local paths (no //host, no scheme): no open redirect after login."""
    return nxt if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt else "/"


def first_admin(cp: Any, ws: Any) -> str | None:
    """On first serve without users: an ``admin`` with a random password, returned once."""
    with cp.session() as s:
        if s.scalar(select(func.count()).select_from(UserRow)):
            return None
    password = secrets.token_urlsafe(12)
    add_user(cp, "admin", "admin", password, by="serve")
    return password


def serve(workspace: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    app = create_app(workspace)
    password = first_admin(app.state.cp, app.state.ws)
    if password is not None:
        print("尚无用户,已创建管理员 admin,初始密码(只显示这一次,请登录后在用户管理中修改):")
        print(f"  {password}")
    print(f"yibao 工作台: http://{host}:{port}/ (Ctrl+C 停止)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
    finally:
        app.state.jobs.stop()
        app.state.ws.close()


def require_found(value: Any, what: str = "记录") -> Any:
    if value is None:
        raise HTTPException(404, f"没有这个{what}(或不在您的区域范围内)")
    return value
