"""Every route × every role × region scope (issue 18 §3).

The routes come from ``app.routes``: a route added later without a permission fails here, and so
does one that lets a role through that its permission does not list.  Unsafe methods are sent
with the session's CSRF token, so a 403 means the role (or the scope), nothing else.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import Mount

from web.webapp import USERS, Web, close_web, make_web
from yibao.control.models import AuditEntry, Case
from yibao.web import security as sec

pytestmark = pytest.mark.xdist_group("web")
YEAR = 2021


@pytest.fixture(scope="module")
def web(demo_copy) -> Iterator[Web]:
    w = make_web(demo_copy)
    yield w
    close_web(w)


@pytest.fixture(scope="module")
def ids(web: Web) -> dict[str, str]:
    """Values for every path parameter: a case of 430921, a finding, a job, an upload."""
    from yibao.control import cases as cs
    from yibao.web import data
    from yibao.web.security import Who

    who = Who(0, "inspector0", "inspector", "", "")
    cur = web.app.state.ws.con.cursor()
    f = next(
        r
        for r in data.findings(cur, who, YEAR, unmask=True)
        if r["fixmedins_code"] and r["region_code"] == "430921"
    )
    with web.app.state.cp.session() as s:
        case_id = cs.open_case(s, who, YEAR, [f]).id
    job = web.app.state.jobs.submit("report", "测试", "admin0", lambda p: {"dir": "x", "files": []})
    c, csrf = web.client("evaluator0")
    pdf = io.BytesIO(b"%PDF-1.4\n%test\n")
    r = c.post(
        "/evaluation/evidence",
        data={"csrf_token": csrf, "framework": "self-2020", "year": YEAR, "code": "reserve_months"},
        files={"file": ("a.pdf", pdf)},
    )
    assert r.status_code == 303, r.text
    web.app.state.jobs.wait_idle()
    with web.app.state.cp.session() as s:
        from yibao.control.models import Upload

        upload_id = s.scalar(select(Upload.id))
    return {
        "case_id": str(case_id),
        "year": str(YEAR),
        "rank": str(f["rank"]),
        "code": "reserve_months",
        "job_id": str(job),
        "upload_id": str(upload_id),
        "load_id": "1",
        "index": "0",
        "name": "nobody-such",
    }


def flat(items: list, prefix: str = "") -> list[tuple[str, object]]:
    """Every route with its full path, through included routers (FastAPI includes lazily)."""
    out = []
    for r in items:
        sub = getattr(r, "original_router", None)
        if sub is not None:
            out += flat(sub.routes, prefix + r.include_context.prefix)
        else:
            out.append((prefix + r.path, r))
    return out


def routes(web: Web) -> list[tuple[str, str, str, bool]]:
    """(method, path, permission, whole-workspace) of every route; fails on one without."""
    out = []
    for full, r in flat(web.app.routes):
        if isinstance(r, Mount):
            assert full == "/static", f"未预期的挂载 {full}"
            continue
        assert isinstance(r, APIRoute), f"未预期的路由类型 {r}"
        deps = [d.call for d in r.dependant.dependencies if hasattr(d.call, "perm")]
        assert len(deps) == 1, f"路由 {full} 没有声明权限(security.require)"
        for m in sorted(r.methods - {"HEAD"}):
            out.append((m, full, deps[0].perm, deps[0].whole))
    return out


def url(path: str, ids: dict[str, str]) -> str:
    for k, v in ids.items():
        path = path.replace("{" + k + "}", v)
    assert "{" not in path, f"测试缺少路径参数的取值: {path}"
    return path


def test_every_route_needs_login(web, ids):
    anon, _ = web.client()
    seen = 0
    for method, path, perm, _whole in routes(web):
        r = anon.request(method, url(path, ids))
        if perm == sec.PUBLIC:
            assert path == "/login", f"只有登录页可以不登录访问,{path} 不行"
            assert r.status_code in (200, 401, 422), (method, path, r.status_code)
            continue
        seen += 1
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (
                method,
                path,
                r.status_code,
            )
    assert seen >= 30  # the matrix really walked the app
    assert anon.get("/static/app.js").status_code == 200


def test_every_route_with_every_role_and_scope(web, ids):
    with web.app.state.cp.session() as s:
        before = [(e.id, e.action, e.before, e.after) for e in s.scalars(select(AuditEntry))]
    failures = []
    clients = {name: web.client(name) for name, _r, _s in USERS}
    for method, path, perm, whole in routes(web):
        if perm == sec.PUBLIC:
            continue
        for name, role, scope in USERS:
            c, csrf = web.client(name) if path == "/logout" else clients[name]
            target = url(path, ids)
            if method == "GET":
                r = c.get(target)
            else:
                r = c.request(
                    method, target, data={"csrf_token": csrf}, headers={"x-csrf-token": csrf}
                )
            allowed = role in sec.PERMISSIONS[perm] and not (scope and whole)
            if path == "/cases/{case_id}" or path.startswith("/cases/{case_id}/"):
                allowed = allowed and (not scope or "430921".startswith(scope))
                denied = (403, 404)  # another region's case does not exist for the user
            else:
                denied = (403,)
            if allowed and r.status_code in (401, 403):
                failures.append(f"{name} {method} {path}: {r.status_code} 应允许")
            if not allowed and r.status_code not in denied:
                failures.append(f"{name} {method} {path}: {r.status_code} 应拒绝")
    assert not failures, "\n".join(failures)
    web.app.state.jobs.wait_idle()
    with web.app.state.cp.session() as s:
        after = [(e.id, e.action, e.before, e.after) for e in s.scalars(select(AuditEntry))]
    assert after[: len(before)] == before  # nothing the routes did changed an audit row


def test_unsafe_requests_without_csrf_token_are_refused(web, ids):
    c, _csrf = web.client("inspector0")
    r = c.post(f"/cases/{ids['case_id']}/inspect", data={"day": "2021-12-01", "notes": "x"})
    assert (
        r.status_code == 403 and "CSRF" in r.json()["detail"]
        if r.headers.get("content-type", "").startswith("application/json")
        else r.status_code == 403
    )
    r = c.post(
        f"/cases/{ids['case_id']}/inspect",
        data={"day": "2021-12-01", "notes": "x", "csrf_token": "forged"},
    )
    assert r.status_code == 403


def test_region_scope_is_enforced_in_the_queries(web, ids):
    c921, _ = web.client("inspector921")
    c922, csrf922 = web.client("viewer922")
    all_, _ = web.client("viewer0")
    page_all, page921, page922 = (x.get(f"/findings?year={YEAR}").text for x in (all_, c921, c922))
    assert "430921" in page921 and "430921" not in page922
    assert page_all.count("<tr>") >= page921.count("<tr>") > page922.count("<tr>")
    assert c922.get(f"/cases/{ids['case_id']}").status_code == 404
    assert c921.get(f"/cases/{ids['case_id']}").status_code == 200
    assert f"/cases/{ids['case_id']}" not in c922.get("/cases").text
    hosp922 = c922.get(f"/hospitals?year={YEAR}").text
    assert "430921" not in hosp922
    ind922 = c922.get(f"/indicators?year={YEAR}").text
    assert "430921:" not in ind922 and "430921:" in all_.get(f"/indicators?year={YEAR}").text
    # A scoped user cannot open a case from another region's finding, even by forging the form.
    c922i, csrf = web.client("inspector921")
    with web.app.state.cp.session() as s:
        n = len(list(s.scalars(select(Case))))
    from yibao.web import data
    from yibao.web.security import Who

    cur = web.app.state.ws.con.cursor()
    other = [
        r
        for r in data.findings(cur, Who(0, "x", "viewer", "", ""), YEAR, unmask=True)
        if r["fixmedins_code"] and not (r["region_code"] or "").startswith("430921")
    ]
    if other:
        r = c922i.post(
            "/cases",
            data={
                "csrf_token": csrf,
                "year": YEAR,
                "sel": [str(other[0]["rank"])],
            },
        )
        assert r.status_code == 400
    with web.app.state.cp.session() as s:
        assert len(list(s.scalars(select(Case)))) == n
