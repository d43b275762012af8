"""Workbench security (issue 18 §3): cookies, headers, rate limits, expiry, masking, uploads."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from web.webapp import PASSWORD, Web, close_web, csrf_of, make_web
from yibao.control.models import AuditEntry, Upload, WebSession
from yibao.web import security as sec
from yibao.web import uploads

pytestmark = pytest.mark.xdist_group("web")
TEMPLATES = Path(__file__).parents[2] / "src" / "yibao" / "web" / "templates"


@pytest.fixture(scope="module")
def web(demo_copy) -> Iterator[Web]:
    w = make_web(demo_copy)
    yield w
    close_web(w)


def login(web: Web, name: str, password: str = PASSWORD, https: bool = False):
    c, _ = web.client(https=https)
    return c, c.post("/login", data={"user_name": name, "password": password})


def test_login_sets_a_private_cookie_and_logout_ends_the_session(web):
    c, r = login(web, "viewer0")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = c.get("/")
    assert page.status_code == 200 and "总览" in page.text
    c.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert c.get("/").status_code == 303
    _c, r = login(web, "viewer0", https=True)
    assert "Secure" in r.headers["set-cookie"]


def test_no_open_redirect_after_login(web):
    c, _ = web.client()
    r = c.post(
        "/login", data={"user_name": "viewer0", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert r.headers["location"] == "/"


def test_security_headers_and_no_inline_scripts(web):
    c, _ = web.client("viewer0")
    r = c.get("/")
    csp = r.headers["content-security-policy"]
    script = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script.strip() == "'self'" and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-content-type-options"] == "nosniff"
    for page in ("/", "/findings", "/indicators", "/evaluation", "/cases", "/reports"):
        html = c.get(page).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page  # every script is a file
        assert not re.search(r"\son[a-z]+\s*=", html), page  # no inline event handlers
        assert "javascript:" not in html, page
    for t in TEMPLATES.glob("*.html"):
        text = t.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), t.name
    assert "cdn" not in c.get("/").text.lower()
    assert c.get("/static/echarts.min.js").status_code == 200


def test_failed_logins_are_rate_limited_per_user_and_per_address(web):
    for _ in range(sec.FAIL_LIMIT_USER):
        _c, r = login(web, "reviewer0", "wrong-password")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    _c, r = login(web, "reviewer0")  # the right password, but too many failures
    assert r.status_code == 429 and "15 分钟" in r.text
    for i in range(sec.FAIL_LIMIT_ADDR):
        login(web, f"ghost{i}", "wrong-password")
    _c, r = login(web, "admin0")  # another user from the same address
    assert r.status_code == 429
    with web.app.state.cp.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry))]
        from yibao.control.models import LoginFailure

        s.query(LoginFailure).delete()  # other tests log in from the same address
    assert "login.failed" in actions and "login.blocked" in actions


def test_sessions_expire(web):
    c, r = login(web, "viewer0")
    assert c.get("/").status_code == 200
    from yibao.control.models import now

    with web.app.state.cp.session() as s:
        s.execute(update(WebSession).values(expires_at=now().replace(year=2000)))
    r = c.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    api = c.get("/api/me")
    assert api.status_code == 401


def _certnos(html: str) -> set[str]:
    return set(re.findall(r"\b\d{17}[\dX]\b", html))


def test_personal_data_masked_unless_the_role_may_unmask_and_then_audited(web):
    viewer, _ = web.client("viewer0")
    inspector, _ = web.client("inspector0")
    page = viewer.get("/findings?year=2021").text
    assert not _certnos(page)
    inspector_page = inspector.get("/findings?year=2021&unmask=1").text
    for html in (page, inspector_page):  # no ID number in a link, masked or not
        assert not re.search(r'(href|value)="[^"]*\d{17}[\dX]', html)
    assert not _certnos(viewer.get("/findings?year=2021&unmask=1").text)  # no right: ignored
    assert not _certnos(inspector.get("/findings?year=2021").text)
    with web.app.state.cp.session() as s:
        before = len([e for e in s.scalars(select(AuditEntry)) if e.action == "unmask"])
    shown = _certnos(inspector.get("/findings?year=2021&unmask=1").text)
    assert shown
    with web.app.state.cp.session() as s:
        rows = [e for e in s.scalars(select(AuditEntry)) if e.action == "unmask"]
    assert len(rows) == before + 1 and rows[-1].user_name == "inspector0"
    key = next(iter(shown))
    m = re.search(r'href="(/findings/2021/[^"]+)"', viewer.get("/findings?year=2021").text)
    detail = viewer.get(m.group(1) + "?unmask=1").text
    assert not _certnos(detail) and key not in detail


def _upload(c, csrf, name: str, content: bytes):
    return c.post(
        "/evaluation/evidence",
        data={"csrf_token": csrf, "framework": "self-2020", "year": 2021, "code": "reserve_months"},
        files={"file": (name, io.BytesIO(content))},
    )


def test_uploads_are_checked_by_content_and_size_and_stored_outside_the_web_root(web, monkeypatch):
    c, csrf = web.client("evaluator0")
    r = _upload(c, csrf, "证明.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)  # an exe
    assert r.status_code == 400 and "文件内容不是允许的类型" in r.text
    r = _upload(c, csrf, "证明.pdf", b"<html><script>alert(1)</script></html>")
    assert r.status_code == 400
    r = _upload(c, csrf, "扫描件.exe", b"%PDF-1.4\n1 0 obj\n")  # content decides, not the name
    assert r.status_code == 303
    monkeypatch.setattr("yibao.web.evaluation.EVIDENCE_MAX", 1024)
    r = _upload(c, csrf, "大文件.pdf", b"%PDF-1.4\n" + b"0" * 4096)
    assert r.status_code == 400 and "上限" in r.text
    with web.app.state.cp.session() as s:
        row = s.scalars(select(Upload).order_by(Upload.id.desc())).first()
    stored = web.ws / row.stored_as
    assert stored.is_file() and row.content_type == "application/pdf"
    assert "uploads" in stored.parts and stored.stat().st_mode & 0o077 == 0
    static = Path(uploads.__file__).parent / "static"
    assert static not in stored.parents
    assert c.get("/static/" + stored.name).status_code == 404
    r = c.get(f"/evaluation/evidence/{row.id}")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    assert web.app.state.jobs.wait_idle()


def test_import_upload_shows_load_and_quarantine(web):
    c, csrf = web.client("admin0")
    ws = web.ws
    src = next((ws / "data").glob("institutions.csv"))
    r = c.post(
        "/imports",
        data={"csrf_token": csrf, "table": "institutions"},
        files={"file": ("定点机构.csv", src.read_bytes())},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    assert web.app.state.jobs.wait_idle()
    job = c.get(r.headers["location"]).text
    assert (
        "完成" in job and "内容相同" in job
    )  # the demo loaded this file: re-import changes nothing
    bad = "fixmedins_code,fixmedins_name,hosp_lv,region_code\nHX1,测试医院,3,999999\n"
    r = c.post(
        "/imports",
        data={"csrf_token": csrf, "table": "institutions"},
        files={"file": ("新机构.csv", bad.encode("utf-8"))},
    )
    assert web.app.state.jobs.wait_idle()
    job = c.get(r.headers["location"]).text
    m = re.search(r'href="/imports/(\d+)"', job)
    assert m, job
    detail = c.get(f"/imports/{m.group(1)}").text
    assert "999999" in detail and "region_code" in detail
    viewer, csrf_v = web.client("viewer0")
    r = viewer.post(
        "/imports",
        data={"csrf_token": csrf_v, "table": "institutions"},
        files={"file": ("x.csv", b"a,b\n1,2\n")},
    )
    assert r.status_code == 403
