"""稽核案件: open from findings, record the inspection, the conclusion, 追回 and 处罚, close.

Closing a case queues one job: the ``cases`` step copies the case records into the workspace
and the year's indicator values are recomputed, so 现场检查家次, 追回 and 处罚 on the indicator
page come from the cases.  A region-scoped user sees and edits only cases of their regions.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from yibao.control import cases as cs
from yibao.control.models import Case
from yibao.web import data
from yibao.web.app import cursor, render
from yibao.web.security import Who, require

router = APIRouter()


def _case(s: Any, who: Who, case_id: int) -> Case:
    k = s.get(Case, case_id)
    if k is None or not who.sees(k.region_code):
        raise HTTPException(404, "没有这个案件(或不在您的区域范围内)")
    return k


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, who: Who = Depends(require("view"))) -> HTMLResponse:
    with request.app.state.cp.session() as s:
        q = select(Case).order_by(Case.id.desc())
        if who.region_scope:
            q = q.where(Case.region_code.startswith(who.region_scope))
        rows = list(s.scalars(q))
    return render(request, "cases.html", {"rows": rows, "yuan": cs.yuan, "title": "稽核案件"})


@router.post("/cases")
def case_open(
    request: Request,
    year: int = Form(...),
    sel: list[str] = Form(default=[]),
    who: Who = Depends(require("case.edit")),
    cur: Any = Depends(cursor),
) -> RedirectResponse:
    ranks = sorted({int(x) for x in sel if x.strip().isdigit()})
    found = data.findings(cur, who, year, ranks=ranks, unmask=True) if ranks else []
    if len(found) != len(ranks) or not ranks:
        raise HTTPException(400, "所选线索不存在或不在您的区域范围内")
    try:
        with request.app.state.cp.session() as s:
            k = cs.open_case(s, who, year, found, who.address)
            case_id = k.id
    except cs.CaseError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    request: Request, case_id: int, who: Who = Depends(require("view")), cur: Any = Depends(cursor)
) -> HTMLResponse:
    with request.app.state.cp.session() as s:
        k = _case(s, who, case_id)
        links = cs.case_findings(s, case_id)
    found = data.findings(cur, who, k.year, keys=[(f.rule, f.key) for f in links]) if links else []
    return render(
        request,
        "case.html",
        {
            "k": k,
            "findings": found,
            "yuan": cs.yuan,
            "today": dt.date.today().isoformat(),
            "title": f"案件 {case_id}",
            "error": request.query_params.get("error", ""),
        },
    )


def _act(request: Request, who: Who, case_id: int, fn: Any) -> RedirectResponse:
    try:
        with request.app.state.cp.session() as s:
            fn(s, _case(s, who, case_id))
    except cs.CaseError as exc:
        from urllib.parse import quote

        return RedirectResponse(f"/cases/{case_id}?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/inspect")
def case_inspect(
    request: Request,
    case_id: int,
    day: str = Form(...),
    notes: str = Form(""),
    who: Who = Depends(require("case.edit")),
) -> RedirectResponse:
    try:
        d = dt.date.fromisoformat(day)
    except ValueError:
        raise HTTPException(400, f"检查日期“{day}”无效,应为 YYYY-MM-DD") from None
    return _act(
        request, who, case_id, lambda s, k: cs.record_inspection(s, who, k, d, notes, who.address)
    )


@router.post("/cases/{case_id}/conclude")
def case_conclude(
    request: Request,
    case_id: int,
    conclusion: str = Form(...),
    reason: str = Form(""),
    recovered: str = Form("0"),
    penalty: str = Form("0"),
    who: Who = Depends(require("case.edit")),
) -> RedirectResponse:
    return _act(
        request,
        who,
        case_id,
        lambda s, k: cs.record_conclusion(
            s, who, k, conclusion, reason, recovered, penalty, who.address
        ),
    )


@router.post("/cases/{case_id}/close")
def case_close(
    request: Request, case_id: int, who: Who = Depends(require("case.edit"))
) -> RedirectResponse:
    resp = _act(request, who, case_id, lambda s, k: cs.close_case(s, who, k, who.address))
    if "error=" not in resp.headers["location"]:
        with request.app.state.cp.session() as s:
            year = s.get(Case, case_id).year
        submit_indicator_refresh(request, who, year)
    return resp


def submit_indicator_refresh(request: Request, who: Who, year: int) -> int:
    """Queue: copy cases into the workspace, then recompute the year's indicator values."""
    ws = request.app.state.ws
    cp = request.app.state.cp

    def work(progress: Any) -> dict[str, Any]:
        from yibao.pipeline.context import build_context
        from yibao.pipeline.runs import run_step

        ctx = build_context(ws, year, user=who.name, role=who.key, progress=progress)
        progress("同步稽核案件到工作区 …")
        run_step(ctx, cs.CaseSyncStep(cp))
        progress("重新计算绩效指标 …")
        n = refresh_indicator_values(ws, year, ctx.policy)
        progress(f"已更新 {n} 个指标值")
        return {"indicator_values": n}

    return request.app.state.jobs.submit("cases", f"{year} 年案件同步与指标更新", who.name, work)


def refresh_indicator_values(ws: Any, year: int, policy: Any) -> int:
    """Replace the year's ``indicator_values`` only: a signed-off evaluation stays as signed."""
    from yibao.engine.workspace import transaction
    from yibao.evaluate.run import _put, _value_row
    from yibao.evaluate.tables import INDICATOR_VALUES
    from yibao.indicators.compute import compute

    values, _notes = compute(ws, year, policy=policy)
    rows = [_value_row(v, SimpleNamespace(engine="duckdb")) for v in values]
    with transaction(ws.con):
        _put(ws.con, INDICATOR_VALUES, rows, f"year = {int(year)}")
    return len(rows)
