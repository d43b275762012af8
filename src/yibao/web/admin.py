"""报告, 数据导入, 用户管理, 审计日志 and job progress."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yibao.control import audit as au
from yibao.control.models import Job, Upload
from yibao.control.models import User as UserRow
from yibao.control.users import LABELS, AccessDenied, add_user, remove_user
from yibao.web import data
from yibao.web.app import cursor, render, require_found
from yibao.web.casework import router as case_router
from yibao.web.jobs import get_job
from yibao.web.security import Who, require
from yibao.web.uploads import IMPORT_MAX, IMPORT_TYPES, UploadRejected, store

router = APIRouter()
router.include_router(case_router)
KINDS = {"self": "绩效自评报告", "evaluation": "绩效评价报告(第三方)", "yearbook": "基金运行情况"}


# --- jobs ---------------------------------------------------------------------------------------


def _job(request: Request, job_id: int) -> Job:
    return require_found(get_job(request.app.state.cp, job_id), "任务")


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, who: Who = Depends(require("view"))) -> HTMLResponse:
    job = _job(request, job_id)
    name = "job_status.html" if request.headers.get("hx-request") else "job.html"
    return render(
        request, name, {"job": job, "result": json.loads(job.result or "{}"), "title": "任务进度"}
    )


@router.get("/api/jobs/{job_id}")
def job_api(request: Request, job_id: int, who: Who = Depends(require("view"))) -> dict:
    job = _job(request, job_id)
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "result": json.loads(job.result or "{}") if job.status != "失败" else None,
    }


# --- reports ------------------------------------------------------------------------------------


@router.get("/reports", response_class=HTMLResponse)
def reports(
    request: Request, who: Who = Depends(require("view")), cur: Any = Depends(cursor)
) -> HTMLResponse:
    from yibao.evaluate.frameworks import framework_names

    with request.app.state.cp.session() as s:
        jobs = list(
            s.scalars(select(Job).where(Job.kind == "report").order_by(Job.id.desc()).limit(20))
        )
    done = [(j, json.loads(j.result or "{}")) for j in jobs]
    return render(
        request,
        "reports.html",
        {
            "jobs": done,
            "years": data.years(cur),
            "kinds": KINDS,
            "frameworks": framework_names(),
            "title": "报告",
            "scoped": bool(who.region_scope),
        },
    )


@router.post("/reports")
def generate(
    request: Request,
    year: int = Form(...),
    kind: str = Form("self"),
    framework: str = Form("self-2020"),
    pdf: str = Form(""),
    who: Who = Depends(require("report.generate", whole=True)),
) -> Response:
    from yibao.evaluate.frameworks import framework_names

    if kind not in KINDS or framework not in framework_names():
        raise HTTPException(400, "报告类型或评价框架无效")
    ws, ws_path = request.app.state.ws, request.app.state.ws_path
    out = ws_path / "reports" / "web" / secrets.token_hex(8)

    def work(progress: Any) -> dict[str, Any]:
        from yibao.report.build import write_report

        progress(f"正在生成 {year} 年{KINDS[kind]} …")
        files = write_report(ws, year, out, kind=kind, pdf=bool(pdf), framework=framework)
        made = [files.docx, files.html, *files.xlsx, *([files.pdf] if files.pdf else [])]
        progress(f"已生成 {len(made)} 个文件")
        return {"dir": str(out.relative_to(ws_path)), "files": [p.name for p in made]}

    job = request.app.state.jobs.submit("report", f"{year} 年{KINDS[kind]}", who.name, work)
    return RedirectResponse(f"/jobs/{job}", status_code=303)


@router.get("/reports/{job_id}/{index}")
def download(
    request: Request, job_id: int, index: int, who: Who = Depends(require("view", whole=True))
) -> Response:
    job = _job(request, job_id)
    res = json.loads(job.result or "{}")
    if job.kind != "report" or job.status != "完成" or not 0 <= index < len(res["files"]):
        raise HTTPException(404, "没有这个报告文件")
    root = (request.app.state.ws_path / "reports" / "web").resolve()
    path = (request.app.state.ws_path / res["dir"] / res["files"][index]).resolve()
    if root not in path.parents or not path.is_file():
        raise HTTPException(404, "没有这个报告文件")
    with request.app.state.cp.session() as s:
        au.audit(s, who.name, who.role, "report.download", "report", path.name, address=who.address)
    return FileResponse(
        path, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"}
    )


# --- imports ------------------------------------------------------------------------------------


@router.get("/imports", response_class=HTMLResponse)
def imports(
    request: Request, who: Who = Depends(require("view")), cur: Any = Depends(cursor)
) -> HTMLResponse:
    from yibao.schema import TABLES

    return render(
        request,
        "imports.html",
        {
            "loads": data.loads(cur),
            "years": data.years(cur),
            "title": "数据导入",
            "tables": {n: t.label for n, t in TABLES.items()},
        },
    )


@router.get("/imports/{load_id}", response_class=HTMLResponse)
def import_detail(
    request: Request, load_id: int, who: Who = Depends(require("view")), cur: Any = Depends(cursor)
) -> HTMLResponse:
    load = require_found(
        next((x for x in data.loads(cur, 10_000) if x["load_id"] == load_id), None), "导入批次"
    )
    return render(
        request,
        "import.html",
        {"load": load, "rows": data.quarantine(cur, load_id), "title": f"导入批次 {load_id}"},
    )


@router.post("/imports")
async def upload(
    request: Request,
    table: str = Form(...),
    file: UploadFile = File(...),
    who: Who = Depends(require("import")),
) -> Response:
    from yibao.schema import TABLES

    if table not in TABLES:
        raise HTTPException(400, f"未知的目标表 {table}")
    ws_path = request.app.state.ws_path
    try:
        row, path = await store(ws_path, file, "import", who.name, IMPORT_TYPES, IMPORT_MAX)
    except UploadRejected as exc:
        raise HTTPException(400, str(exc)) from None
    with request.app.state.cp.session() as s:
        s.add(row)
        au.audit(
            s,
            who.name,
            who.role,
            "import.upload",
            "upload",
            row.sha256,
            after={"file": row.file_name, "table": table, "bytes": row.size},
            address=who.address,
        )
    ws = request.app.state.ws

    def work(progress: Any) -> dict[str, Any]:
        from yibao.ingest import ingest_file

        progress(f"正在导入 {path.name} → {table} …")
        res = ingest_file(ws, path, table, step=lambda n: progress(f"{path.name}:{n}"))
        progress(res.message)
        return res.to_dict()

    job = request.app.state.jobs.submit("import", f"导入 {row.file_name} → {table}", who.name, work)
    return RedirectResponse(f"/jobs/{job}", status_code=303)


@router.post("/imports/run")
def run_steps(
    request: Request, year: int = Form(...), who: Who = Depends(require("import", whole=True))
) -> Response:
    """Run every pipeline step for a year after new data (the order ``yibao run`` uses)."""
    if not 1990 <= year <= 2100:
        raise HTTPException(400, f"年度 {year} 无效")
    ws, cp = request.app.state.ws, request.app.state.cp

    def work(progress: Any) -> dict[str, Any]:
        from yibao.control.cases import CaseSyncStep
        from yibao.pipeline.context import build_context
        from yibao.pipeline.runs import run_step
        from yibao.pipeline.steps import STEPS

        ctx = build_context(ws, year, user=who.name, role=who.key, progress=progress)
        done = {}
        for cls in STEPS:
            step = CaseSyncStep(cp) if cls is CaseSyncStep else cls()
            progress(f"{step.label} …")
            res = run_step(ctx, step)
            done[step.name] = sum(res.tables.values())
            progress(f"{step.label}:写入 {done[step.name]} 行")
        return done

    job = request.app.state.jobs.submit("run", f"{year} 年全部步骤", who.name, work)
    return RedirectResponse(f"/jobs/{job}", status_code=303)


# --- users --------------------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, who: Who = Depends(require("users"))) -> HTMLResponse:
    with request.app.state.cp.session() as s:
        rows = list(s.scalars(select(UserRow).order_by(UserRow.name)))
    return render(
        request,
        "users.html",
        {
            "rows": rows,
            "labels": LABELS,
            "title": "用户管理",
            "error": request.query_params.get("error", ""),
        },
    )


@router.post("/users")
def user_save(
    request: Request,
    name: str = Form(...),
    role: str = Form(...),
    region_scope: str = Form(""),
    password: str = Form(...),
    who: Who = Depends(require("users")),
) -> Response:
    try:
        add_user(request.app.state.cp, name, role, password, region_scope=region_scope, by=who.name)
    except AccessDenied as exc:
        return RedirectResponse(f"/users?error={quote(str(exc))}", status_code=303)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/remove")
def user_remove(request: Request, name: str, who: Who = Depends(require("users"))) -> Response:
    if name == who.name:
        return RedirectResponse(f"/users?error={quote('不能删除自己')}", status_code=303)
    if not remove_user(request.app.state.cp, name, by=who.name):
        raise HTTPException(404, f"没有用户 {name}")
    return RedirectResponse("/users", status_code=303)


# --- audit --------------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, who: Who = Depends(require("audit"))) -> HTMLResponse:
    with request.app.state.cp.session() as s:
        rows = au.entries(s, 300)
    return render(request, "audit.html", {"rows": rows, "title": "审计日志"})


@router.get("/audit/export")
def audit_export(request: Request, who: Who = Depends(require("audit"))) -> Response:
    with request.app.state.cp.session() as s:
        au.audit(s, who.name, who.role, "audit.export", "audit", "", address=who.address)
        text = au.export_csv(s)
    name = quote("审计日志.csv")
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def uploads_of(cp: Any) -> list[Upload]:
    with cp.session() as s:
        return list(s.scalars(select(Upload).order_by(Upload.id.desc())))


__all__ = ["router", "Path"]
