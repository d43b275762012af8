"""绩效评价: edit values, deviation causes and remedies, evidence, submit, sign off, unlock.

What people enter is kept in the control plane (``cp_manual_inputs``, audited before/after) and
handed to the evaluate step as an ``--inputs`` file written from those rows, so the web and the
CLI score the same way.  States: 草稿 → 待复核 (submitted) → 已签核 (locked); a reviewer may
return a submission to 草稿; only an admin unlocks a signed-off evaluation, with a reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yibao.control.audit import audit
from yibao.control.models import Job, ManualInput, SignOff, Upload, now
from yibao.evaluate.step import DEFAULT_FRAMEWORK
from yibao.web import data
from yibao.web.app import cursor, render, require_found
from yibao.web.security import Who, require
from yibao.web.uploads import EVIDENCE_MAX, EVIDENCE_TYPES, UploadRejected, store

router = APIRouter()


def signoff(s: Any, framework: str, year: int) -> SignOff:
    row = s.scalar(select(SignOff).where(SignOff.framework == framework, SignOff.year == year))
    if row is None:
        row = SignOff(framework=framework, year=year, status="草稿")
        s.add(row)
        s.flush()
    return row


def _inputs(s: Any, framework: str, year: int) -> dict[str, ManualInput]:
    q = select(ManualInput).where(ManualInput.framework == framework, ManualInput.year == year)
    return {m.code: m for m in s.scalars(q)}


def _framework(name: str) -> Any:
    from yibao.evaluate.frameworks import framework_names, load_framework

    if name not in framework_names():
        raise HTTPException(404, f"没有评价框架 {name}")
    return load_framework(name)


@router.get("/evaluation", response_class=HTMLResponse)
def page(
    request: Request,
    year: int | None = None,
    framework: str = DEFAULT_FRAMEWORK,
    who: Who = Depends(require("view")),
    cur: Any = Depends(cursor),
) -> HTMLResponse:
    from yibao.evaluate.frameworks import framework_names
    from yibao.web.pages import pick_year

    fw = _framework(framework)
    y = pick_year(cur, year)
    scoped = bool(who.region_scope)
    lines = [] if scoped or y is None else data.evaluation_lines(cur, y, framework)
    result = None if scoped or y is None else data.evaluation_result(cur, y, framework)
    with request.app.state.cp.session() as s:
        so = signoff(s, framework, y) if y else None
        inputs = _inputs(s, framework, y) if y else {}
        uploads = {u.id: u for u in s.scalars(select(Upload).where(Upload.kind == "evidence"))}
    levels = {ln.code: ln.indicator.levels for ln in fw.lines}
    return render(
        request,
        "evaluation.html",
        {
            "fw": fw,
            "frameworks": framework_names(),
            "year": y,
            "years": data.years(cur),
            "lines": lines,
            "result": result,
            "so": so,
            "inputs": inputs,
            "uploads": uploads,
            "levels": levels,
            "scoped": scoped,
            "title": "绩效评价",
            "locked": so is not None and so.status != "草稿",
        },
    )


def _label(framework: str, year: int) -> str:
    return f"{year} 年绩效评价 {framework}"


def pending(s: Any, framework: str, year: int) -> bool:
    """An evaluate job of this framework-year still queued or running."""
    q = select(Job.id).where(
        Job.kind == "evaluate",
        Job.label == _label(framework, year),
        Job.status.in_(("排队", "运行")),
    )
    return s.scalar(q.limit(1)) is not None


def _editable(s: Any, framework: str, year: int) -> SignOff:
    so = signoff(s, framework, year)
    if so.status != "草稿":
        raise HTTPException(409, f"该评价状态为“{so.status}”,已锁定,不能修改")
    return so


def _back(framework: str, year: int) -> RedirectResponse:
    return RedirectResponse(f"/evaluation?year={year}&framework={framework}", status_code=303)


@router.post("/evaluation/line")
def save_line(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    code: str = Form(...),
    value: str = Form(""),
    cause: str = Form(""),
    remedy: str = Form(""),
    who: Who = Depends(require("evaluate.edit", whole=True)),
) -> Response:
    fw = _framework(framework)
    if code not in {ln.code for ln in fw.lines}:
        raise HTTPException(400, f"框架 {framework} 没有指标 {code}")
    with request.app.state.cp.session() as s:
        _editable(s, framework, year)
        m = _inputs(s, framework, year).get(code)
        before = None if m is None else {"value": m.value, "cause": m.cause, "remedy": m.remedy}
        if m is None:
            m = ManualInput(framework=framework, year=year, code=code, updated_by=who.name)
            s.add(m)
        m.value = value.strip()[:64] or None
        m.cause, m.remedy = cause.strip() or None, remedy.strip() or None
        m.updated_by, m.updated_at = who.name, now()
        audit(
            s,
            who.name,
            who.role,
            "evaluation.edit",
            "evaluation_line",
            f"{framework}/{year}/{code}",
            before=before,
            after={"value": m.value, "cause": m.cause, "remedy": m.remedy},
            address=who.address,
        )
    submit_evaluate(request, who, framework, year)
    return _back(framework, year)


@router.post("/evaluation/evidence")
async def upload_evidence(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    code: str = Form(...),
    file: UploadFile = File(...),
    who: Who = Depends(require("evaluate.edit", whole=True)),
) -> Response:
    try:
        row, _path = await store(
            request.app.state.ws_path, file, "evidence", who.name, EVIDENCE_TYPES, EVIDENCE_MAX
        )
    except UploadRejected as exc:
        raise HTTPException(400, str(exc)) from None
    with request.app.state.cp.session() as s:
        _editable(s, framework, year)
        s.add(row)
        s.flush()
        m = _inputs(s, framework, year).get(code)
        if m is None:
            m = ManualInput(framework=framework, year=year, code=code, updated_by=who.name)
            s.add(m)
        m.evidence_upload_id, m.updated_by, m.updated_at = row.id, who.name, now()
        audit(
            s,
            who.name,
            who.role,
            "evaluation.evidence",
            "evaluation_line",
            f"{framework}/{year}/{code}",
            after={"file": row.file_name, "sha256": row.sha256, "bytes": row.size},
            address=who.address,
        )
    return _back(framework, year)


@router.get("/evaluation/evidence/{upload_id}")
def download_evidence(
    request: Request, upload_id: int, who: Who = Depends(require("view"))
) -> Response:
    from urllib.parse import quote

    with request.app.state.cp.session() as s:
        row = require_found(s.get(Upload, upload_id), "证据文件")
        if row.kind != "evidence":
            raise HTTPException(404, "没有这个证据文件")
    body = (request.app.state.ws_path / row.stored_as).read_bytes()
    return Response(
        body,
        media_type=row.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.file_name)}"},
    )


def _transition(
    request: Request, who: Who, framework: str, year: int, want: str, to: str, reason: str = ""
) -> Response:
    _framework(framework)
    with request.app.state.cp.session() as s:
        so = signoff(s, framework, year)
        if want == "草稿" and pending(s, framework, year):
            raise HTTPException(409, "重新计算尚未完成,请稍候再提交(刷新页面查看结果)")
        if so.status != want:
            raise HTTPException(409, f"当前状态为“{so.status}”,不能执行此操作(需要“{want}”)")
        before = {"status": so.status}
        so.status = to
        if to == "待复核":
            so.submitted_by = who.name
        elif to == "已签核":
            so.signed_by, so.signed_at = who.name, now()
        elif want == "已签核":
            so.unlocked_by, so.unlock_reason = who.name, reason
        audit(
            s,
            who.name,
            who.role,
            f"evaluation.{to}",
            "evaluation",
            f"{framework}/{year}",
            before=before,
            after={"status": to, "reason": reason or None},
            address=who.address,
        )
    return _back(framework, year)


@router.post("/evaluation/submit")
def submit(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    who: Who = Depends(require("evaluate.edit", whole=True)),
) -> Response:
    return _transition(request, who, framework, year, "草稿", "待复核")


@router.post("/evaluation/signoff")
def sign(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    who: Who = Depends(require("evaluate.signoff", whole=True)),
) -> Response:
    return _transition(request, who, framework, year, "待复核", "已签核")


@router.post("/evaluation/return")
def send_back(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    reason: str = Form(""),
    who: Who = Depends(require("evaluate.signoff", whole=True)),
) -> Response:
    return _transition(request, who, framework, year, "待复核", "草稿", reason.strip())


@router.post("/evaluation/unlock")
def unlock(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    reason: str = Form(""),
    who: Who = Depends(require("evaluate.unlock", whole=True)),
) -> Response:
    if len(reason.strip()) < 4:
        raise HTTPException(400, "解锁须填写理由(至少 4 个字)")
    return _transition(request, who, framework, year, "已签核", "草稿", reason.strip())


@router.post("/evaluation/recompute")
def recompute(
    request: Request,
    framework: str = Form(...),
    year: int = Form(...),
    who: Who = Depends(require("jobs.run", whole=True)),
) -> Response:
    with request.app.state.cp.session() as s:
        _editable(s, framework, year)
    job = submit_evaluate(request, who, framework, year)
    return RedirectResponse(f"/jobs/{job}", status_code=303)


def inputs_file(cp: Any, ws_path: Path, framework: str, year: int) -> Path | None:
    """The control plane's entries as an ``--inputs`` YAML file (None when there are none)."""
    fw = _framework(framework)
    by_code = {ln.code: ln for ln in fw.lines}
    with cp.session() as s:
        rows = list(_inputs(s, framework, year).values())
        names = {u.id: u.file_name for u in s.scalars(select(Upload))}
    if not rows:
        return None
    values, devs = {}, {}
    for m in rows:
        if m.code not in by_code:
            continue
        ev = names.get(m.evidence_upload_id or -1)
        if m.value is not None:
            values[m.code] = {
                "value": m.value,
                "quote": f"工作台录入({m.updated_by})",
                **({"evidence": ev} if ev else {}),
            }
        if m.cause or m.remedy:
            devs[m.code] = {k: v for k, v in (("cause", m.cause), ("remedy", m.remedy)) if v}
    who = sorted(rows, key=lambda m: m.updated_at)[-1].updated_by
    doc = {
        "entered_by": who,
        "framework": framework,
        "year": year,
        "source": "yibao 工作台",
        "values": values,
        "deviations": devs,
    }
    from yibao.privacy import private_dir

    out = private_dir(ws_path / "inputs") / f"web-{framework}-{year}.yaml"
    out.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=True), encoding="utf-8")
    return out


def submit_evaluate(request: Request, who: Who, framework: str, year: int) -> int:
    ws, cp, ws_path = request.app.state.ws, request.app.state.cp, request.app.state.ws_path

    def work(progress: Any) -> dict[str, Any]:
        from yibao.evaluate.step import EvaluateStep
        from yibao.pipeline.context import build_context
        from yibao.pipeline.runs import run_step

        with cp.session() as s:
            if signoff(s, framework, year).status == "已签核":
                raise RuntimeError("评价已签核锁定,未重新计算")
        path = inputs_file(cp, ws_path, framework, year)
        ctx = build_context(ws, year, user=who.name, role=who.key, progress=progress)
        progress(f"绩效评价 {framework} {year} 年 …")
        res = run_step(ctx, EvaluateStep(framework, path))
        ev = res.detail
        progress(f"总分 {ev.total} 分,等级 {ev.grade}")
        return {"total": ev.total, "grade": ev.grade}

    return request.app.state.jobs.submit("evaluate", _label(framework, year), who.name, work)
