"""Read pages: 总览, 绩效指标 (drill-down), 监管线索 (filters, evidence, hospital comparison)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yibao.control.audit import audit
from yibao.evaluate.step import DEFAULT_FRAMEWORK
from yibao.schema.codes import BUDGET_LEVELS
from yibao.web import data
from yibao.web.app import cursor, render, require_found
from yibao.web.security import Who, require

router = APIRouter()


def pick_year(cur: Any, year: int | None) -> int | None:
    ys = data.years(cur)
    if year in ys:
        return year
    return ys[-1] if ys else year


def _num(x: Any) -> float | None:
    """Chart data only (ECharts draws floats); tables show the exact Decimal text."""
    return None if x is None else float(x)


def overview_charts(ov: dict[str, Any]) -> dict[str, Any]:
    bal = ov["balance"]
    sub = ov["subsidy"]
    latest = max((r["year"] for r in sub), default=None)
    order = {lv: i for i, lv in enumerate(BUDGET_LEVELS)}
    levels = sorted(
        {r["budget_level"] for r in sub if r["year"] == latest},
        key=lambda lv: (order.get(lv, 99), lv),
    )
    counties = sorted({(r["region_code"], r["region_name"]) for r in sub if r["year"] == latest})
    arrival = {
        "counties": [n for _c, n in counties],
        "series": [
            {
                "name": lv,
                "data": [
                    next(
                        (
                            _num(r["received"])
                            for r in sub
                            if r["year"] == latest
                            and r["region_code"] == c
                            and r["budget_level"] == lv
                        ),
                        None,
                    )
                    for c, _n in counties
                ],
            }
            for lv in levels
        ],
    }
    return {
        "fund": {
            "years": [r["year"] for r in bal],
            "income": [_num(r["income"]) for r in bal],
            "expense": [_num(r["expense"]) for r in bal],
            "closing": [_num(r["closing"]) for r in bal],
            "reserve": [_num(r["months_of_reserve"]) for r in bal],
        },
        "arrival": arrival,
        "coverage": {
            "years": sorted({r["year"] for r in ov["coverage"] if r["region_code"] is None}),
            "values": [_num(r["value"]) for r in ov["coverage"] if r["region_code"] is None],
        },
    }


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, who: Who = Depends(require("view")), cur: Any = Depends(cursor)
) -> HTMLResponse:
    ov = data.overview(cur, who)
    latest = ov["balance"][-1] if ov["balance"] else None
    subsidy_year = max((r["year"] for r in ov["subsidy"]), default=None)
    return render(
        request,
        "overview.html",
        {
            "ov": ov,
            "latest": latest,
            "charts": overview_charts(ov),
            "subsidy": [r for r in ov["subsidy"] if r["year"] == subsidy_year],
            "coverage": ov["coverage"],
            "title": "总览",
        },
    )


def _targets(cur: Any, year: int | None) -> dict[str, dict[str, Any]]:
    if year is None:
        return {}
    return {r["code"]: r for r in data.evaluation_lines(cur, year, DEFAULT_FRAMEWORK)}


@router.get("/indicators", response_class=HTMLResponse)
def indicators(
    request: Request,
    year: int | None = None,
    who: Who = Depends(require("view")),
    cur: Any = Depends(cursor),
) -> HTMLResponse:
    from yibao.indicators.registry import load_library

    y = pick_year(cur, year)
    lib = load_library()
    vals = data.indicator_values(cur, who, y) if y else []
    targets = _targets(cur, y)
    rows: dict[str, dict[str, Any]] = {}
    for v in vals:
        r = rows.setdefault(
            v["code"],
            {"code": v["code"], "name": v["name"], "unit": v["unit"], "total": None, "regions": []},
        )
        if v["region_code"] is None:
            r["total"] = v["value"]
        else:
            r["regions"].append(v)
    for r in rows.values():
        t = targets.get(r["code"])
        r["target"], r["score"], r["weight"] = (
            (t or {}).get("target"),
            (t or {}).get("score"),
            (t or {}).get("weight"),
        )
        r["met"] = None if t is None else (t.get("score") == t.get("weight"))
        ind = lib.get(r["code"])
        r["direction"] = ind.direction if ind else ""
    return render(
        request,
        "indicators.html",
        {"rows": list(rows.values()), "year": y, "years": data.years(cur), "title": "绩效指标"},
    )


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_detail(
    request: Request,
    code: str,
    year: int | None = None,
    who: Who = Depends(require("view")),
    cur: Any = Depends(cursor),
) -> HTMLResponse:
    from yibao.indicators.registry import load_library

    ind = require_found(load_library().get(code), "指标")
    y = pick_year(cur, year)
    vals = [v for v in (data.indicator_values(cur, who, y) if y else []) if v["code"] == code]
    chart = {
        "regions": [v["region_code"] for v in vals if v["region_code"]],
        "values": [_num(v["value"]) for v in vals if v["region_code"]],
    }
    return render(
        request,
        "indicator.html",
        {
            "ind": ind,
            "vals": vals,
            "year": y,
            "sql": data.indicator_queries(cur, code),
            "target": _targets(cur, y).get(code),
            "chart": chart,
            "title": ind.name,
        },
    )


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: (q.get(k) or "").strip()[:64] for k in ("rule", "hospital", "county", "min_amount")}


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _unmask(request: Request, who: Who, what: str, rows: int) -> bool:
    """True when the user asked to unmask and may; audited before anything is rendered."""
    if request.query_params.get("unmask") != "1" or not who.can("unmask"):
        return False
    with request.app.state.cp.session() as s:
        audit(
            s,
            who.name,
            who.role,
            "unmask",
            "web",
            what,
            after={"rows_shown": rows},
            address=who.address,
        )
    return True


@router.get("/findings", response_class=HTMLResponse)
def findings(
    request: Request,
    year: int | None = None,
    page: int = 0,
    who: Who = Depends(require("view")),
    cur: Any = Depends(cursor),
) -> HTMLResponse:
    y = pick_year(cur, year)
    f = _filters(request)
    args = dict(
        rule=f["rule"],
        hospital=f["hospital"],
        county=f["county"],
        min_amount=_amount(f["min_amount"]),
        page=max(0, page),
    )
    rows = data.findings(cur, who, y, **args) if y else []
    if rows and _unmask(request, who, f"findings {y} {f}", len(rows)):
        rows = data.findings(cur, who, y, **args, unmask=True)
    n = rows[0]["n_total"] if rows else 0
    total = rows[0]["amount_total"] if rows else Decimal(0)
    q = {k: v for k, v in f.items() if v}
    ctx = {
        "rows": rows,
        "year": y,
        "years": data.years(cur),
        "f": f,
        "total": total,
        "n": n,
        "page": max(0, page),
        "pages": -(-n // data.PAGE),
        "query": q,
        "unmasked": request.query_params.get("unmask") == "1" and who.can("unmask"),
        "rules": data.rules(cur, y) if y else [],
        "regions": data.regions(cur, who),
        "title": "监管线索",
    }
    name = "findings_table.html" if request.headers.get("hx-request") else "findings.html"
    return render(request, name, ctx)


@router.get("/findings/{year}/{rank}", response_class=HTMLResponse)
def finding_detail(
    request: Request,
    year: int,
    rank: int,
    who: Who = Depends(require("view")),
    cur: Any = Depends(cursor),
) -> HTMLResponse:
    rows = data.findings(cur, who, year, ranks=[rank], unmask=True)
    raw = require_found(rows[0] if rows else None, "线索")
    unmask = _unmask(request, who, f"finding {year} #{rank}", 1)
    ev = data.evidence(cur, raw, unmask)
    shown = raw if unmask else data.mask_record("supervise_findings", raw)
    return render(
        request, "finding.html", {"f": shown, "evidence": ev, "year": year, "title": "线索证据"}
    )


@router.get("/hospitals", response_class=HTMLResponse)
def hospitals(
    request: Request,
    year: int | None = None,
    who: Who = Depends(require("view")),
    cur: Any = Depends(cursor),
) -> HTMLResponse:
    y = pick_year(cur, year)
    rows = data.hospitals(cur, who, y) if y else []
    chart = {
        "names": [r["fixmedins_name"] for r in rows[:15]],
        "amounts": [_num(r["amount"]) for r in rows[:15]],
        "counts": [r["findings"] for r in rows[:15]],
    }
    return render(
        request,
        "hospitals.html",
        {"rows": rows, "year": y, "chart": chart, "years": data.years(cur), "title": "医院对比"},
    )
