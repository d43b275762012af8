"""DIP for one year: group each case, correct outliers, apply coefficients, settle hospitals.

Per case (Ibis, integer arithmetic so that DuckDB and PySpark agree to the fen):
  r = cost ÷ standard; r < low: score × cost ÷ standard; r > high: (r − high + 1) × score;
  r > extreme: 特病单议 (within each hospital's quota, scored by the high rule pending review);
  points = case score × level × age × severity coefficient.
Per hospital and year (Decimal, a few hundred rows):
  settlement point value = (DIP fund ÷ reimbursement ratio) ÷ Σ points;
  credit = points × point value; settlement = credit − personal shares; balance vs advances.
The budget point value (weighted 1:2:7 inpatient cost of the history years ÷ their Σ scores)
prices the monthly pre-settlement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv

from yibao.engine.workspace import Workspace, replace_rows, transaction
from yibao.money import (
    PPM,
    fen_expr,
    floor_div_expr,
    from_fen,
    ppm_exact,
    ratio,
    round_fen,
    round_places,
    round_ppm_expr,
    to_fen,
)
from yibao.payment.catalogue import CORE
from yibao.payment.inputs import (
    SEVERITY_TABLE,
    PaymentInputError,
    backend_for,
    claim_years,
    ensure_refs,
    inpatient_cases,
    inpatient_totals,
)
from yibao.payment.params import DipParams
from yibao.payment.tables import (
    PAYMENT_DIP_CASES,
    PAYMENT_DIP_HOSPITALS,
    PAYMENT_DIP_MONTHS,
    PAYMENT_DIP_SUMMARY,
)
from yibao.pipeline import provenance

CAT_TABLE = "_pay_catalogue"
CSV_COLUMNS = (
    "group_code",
    "group_kind",
    "dx_key",
    "proc_key",
    "chapter",
    "treatment",
    "score",
    "std_cost",
)
TREATMENT_CODES = {"保守治疗": "C", "诊断性操作": "D", "治疗性操作": "T", "手术": "S"}


@dataclass
class DipOutcome:
    year: int
    summary: dict
    hospitals: list[dict]
    notes: list[str] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)  # payment_dip_months rows


def e2(v: Decimal) -> int:
    """A coefficient or score with two places → integer hundredths (exact)."""
    return to_fen(round_places(v, 2))  # hundredths, exactly as fen are of a yuan


def load_catalogue(ws: Workspace, p: DipParams) -> str:
    """Put the catalogue in use into a TEMP table; returns its name for the notes.

    A bureau's own catalogue (policy parameter ``payment.dip.catalogue``, a CSV) wins over the
    one built from the workspace's history by ``yibao payment build-catalogue``."""
    con = ws.con
    if p.catalogue is not None:
        tbl = pacsv.read_csv(
            p.catalogue.path,
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in CSV_COLUMNS}
            ),
        )
        missing = [c for c in CSV_COLUMNS if c not in tbl.column_names]
        if missing:
            raise PaymentInputError(
                f"病种目录 {p.catalogue.path.name} 缺少列: {'、'.join(missing)}"
            )
        con.register("_cat_csv", tbl)
        src = "_cat_csv"
        label = f"政策目录 {p.catalogue}"
    else:
        row = (
            con.execute(
                "SELECT catalogue_id FROM payment_dip_catalogue_info ORDER BY built_at DESC, "
                "catalogue_id DESC LIMIT 1"
            ).fetchone()
            if _exists(ws, "payment_dip_catalogue_info")
            else None
        )
        if row is None:
            raise PaymentInputError(
                "没有可用的 DIP 病种目录:请先运行 yibao payment build-catalogue WORKSPACE "
                "--years Y1,Y2,Y3,或在政策中设置 payment.dip.catalogue(CSV)"
            )
        src = f"(SELECT * FROM payment_dip_catalogue WHERE catalogue_id = '{row[0]}')"
        label = f"工作区目录 {row[0]}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CAT_TABLE} AS SELECT group_code, group_kind, "
        "coalesce(dx_key, '') AS k_dx, coalesce(proc_key, '') AS k_proc, chapter AS k_chapter, "
        "CASE treatment "
        + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TREATMENT_CODES.items())
        + " ELSE treatment END AS k_treatment, "
        "CAST(score AS DECIMAL(18,2)) AS score_d, CAST(std_cost AS DECIMAL(18,2)) AS std_d "
        f"FROM {src}"
    )
    if p.catalogue is not None:
        con.unregister("_cat_csv")
    return label


def _exists(ws: Workspace, name: str) -> bool:
    q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return ws.con.execute(q, [name]).fetchone()[0] > 0


def grouped_cases(b, cases: ir.Table) -> ir.Table:  # noqa: ANN001
    """Each case's catalogue group: a core group by keys, else the 综合 group, else none."""
    cat = b.table(CAT_TABLE)
    cat = cat.mutate(score_e2=fen_expr(cat.score_d), std_fen=fen_expr(cat.std_d))
    core = cat.filter(cat.group_kind == CORE)
    core = core.select(
        c_dx=core.k_dx,
        c_proc=core.k_proc,
        c_code=core.group_code,
        c_score=core.score_e2,
        c_std=core.std_fen,
    )
    integ = cat.filter(cat.group_kind != CORE)
    integ = integ.select(
        i_ch=integ.k_chapter,
        i_tr=integ.k_treatment,
        i_code=integ.group_code,
        i_score=integ.score_e2,
        i_std=integ.std_fen,
    )
    j = cases.left_join(core, [cases.dx_key == core.c_dx, cases.proc_key == core.c_proc])
    j = j.left_join(integ, [j.chapter == integ.i_ch, j.treatment == integ.i_tr])
    return j.mutate(
        group_code=j.c_code.fill_null(j.i_code),
        group_kind=ibis.cases(
            (j.c_code.notnull(), CORE), (j.i_code.notnull(), "综合病种"), else_=ibis.null("string")
        ),
        score_e2=j.c_score.fill_null(j.i_score),
        std_fen=j.c_std.fill_null(j.i_std),
    ).drop(
        "c_dx", "c_proc", "c_code", "c_score", "c_std", "i_ch", "i_tr", "i_code", "i_score", "i_std"
    )


def _coef_case(col: ir.Value, table: dict[str, Decimal], default: int = 100) -> ir.IntegerValue:
    return ibis.cases(*[(col == k, e2(v)) for k, v in table.items()], else_=default)


def _age_coef(age: ir.IntegerValue, table: dict[str, Decimal]) -> ir.IntegerValue:
    bands = sorted((int(k), e2(v)) for k, v in table.items())
    out: ir.IntegerValue = ibis.literal(100, "int64")
    for lo, v in bands:  # later (higher) bounds override
        out = ibis.cases((age >= lo, v), else_=out)
    return ibis.cases((age.isnull(), 100), else_=out)


def scored_cases(b, cases: ir.Table, p: DipParams) -> ir.Table:  # noqa: ANN001
    """Grouped cases with outlier class, case score and points (hundredths, integers)."""
    g = grouped_cases(b, cases)
    persons = b.table("persons").select(pp_no="psn_no", brdy="brdy")
    g = g.left_join(persons, g.psn_no == persons.pp_no).drop("pp_no")
    sev = b.table(SEVERITY_TABLE)
    g = g.left_join(sev, g.dise_codg == sev.code).drop("code")
    st, bd = g.setl_time, g.brdy
    before_birthday = (st.month() < bd.month()) | (
        (st.month() == bd.month()) & (st.day() < bd.day())
    )
    age = (st.year() - bd.year() - before_birthday.cast("int64")).cast("int64")
    high = p.outlier_high
    if high != high.to_integral_value():
        raise PaymentInputError("payment.dip.outlier_high 应为整数倍(如 2)")
    k = int(high) - 1
    low_ppm, high_ppm = ppm_exact(p.outlier_low), ppm_exact(high)
    ext_ppm = ppm_exact(p.outlier_extreme)
    cost, std, sc = g.medfee_fen, g.std_fen, g.score_e2
    x = g.mutate(
        is_low=cost * PPM < std * low_ppm,
        is_high=cost * PPM > std * high_ppm,
        is_ext=cost * PPM > std * ext_ppm,
        coef_e6=_coef_case(g.hi_setl_lv, p.level_coefficient)
        * _age_coef(age, p.age_coefficient)
        * _coef_case(g.severity, p.severity_coefficient),
    )
    n_h = x.count().over(ibis.window(group_by=[x.fixmedins_code, x.group_code.notnull()]))
    quota = ibis.greatest((n_h * int(p.special_review_quota * 1_000_000)) // 1_000_000, 1)
    rank = ibis.row_number().over(
        ibis.window(
            group_by=[x.fixmedins_code, x.is_ext], order_by=[ibis.desc(x.medfee_fen * 1), x.setl_id]
        )
    )
    x = x.mutate(review=x.is_ext & x.group_code.notnull() & (rank < quota))
    low_score = floor_div_expr(sc * cost * 2 + std, std * 2)
    high_score = floor_div_expr(sc * (cost - std * k) * 2 + std, std * 2)
    case_e2 = ibis.cases(
        (x.group_code.isnull(), ibis.null("int64")),
        (x.is_low, low_score),
        (x.is_high, high_score),
        else_=sc,
    )
    outlier = ibis.cases(
        (x.group_code.isnull(), "未入组"),
        (x.review, "特病单议"),
        (x.is_low, "低倍率"),
        (x.is_high, "高倍率"),
        else_="正常",
    )
    x = x.mutate(case_e2=case_e2.cast("int64"), outlier=outlier)
    return x.mutate(points_e2=round_ppm_expr(x.case_e2 * x.coef_e6))


def history_points(b, years: list[int], p: DipParams) -> ir.Table:  # noqa: ANN001
    """Per history year: Σ cost and Σ base score of grouped cases (budget point value)."""
    g = grouped_cases(b, inpatient_cases(b, years, p.diagnosis_key_length, p.procedure_key_length))
    g = g.filter(g.group_code.notnull())
    return g.group_by("year").aggregate(fen=g.medfee_fen.sum(), score_e2=g.score_e2.sum())


def case_columns(x: ir.Table) -> ir.Table:
    """The stored columns of payment_dip_cases (money and scores from integers, exactly)."""
    cent = ibis.literal(Decimal("0.01"), "decimal(3,2)")
    money = lambda v: (v * cent).cast("decimal(18,2)")  # noqa: E731
    return x.select(
        "year",
        "setl_id",
        "fixmedins_code",
        "month",
        "group_code",
        "group_kind",
        medfee=money(x.medfee_fen),
        hifp=money(x.hifp_fen),
        std_cost=money(x.std_fen),
        base_score=money(x.score_e2).cast("decimal(9,2)"),
        outlier=x.outlier,
        case_score=money(x.case_e2).cast("decimal(9,2)"),
        coefficient=(x.coef_e6.cast("decimal(18,0)") / 1_000_000).cast("decimal(9,4)"),
        points=money(x.points_e2).cast("decimal(9,2)"),
    )


def hospital_months(x: ir.Table) -> ir.Table:
    g = x.filter(x.group_code.notnull())
    return g.group_by(["fixmedins_code", "month"]).aggregate(
        cases=g.count(),
        low=(g.outlier == "低倍率").sum().cast("int64"),
        high=(g.outlier == "高倍率").sum().cast("int64"),
        review=(g.outlier == "特病单议").sum().cast("int64"),
        op_cases=(g.treatment != "C").sum().cast("int64"),
        op_medfee_fen=ibis.cases((g.treatment != "C", g.medfee_fen), else_=0).sum(),
        op_std_fen=ibis.cases((g.treatment != "C", g.std_fen), else_=0).sum(),
        points_e2=g.points_e2.sum(),
        score_e2=g.score_e2.sum(),
        std_fen=g.std_fen.sum(),
        medfee_fen=g.medfee_fen.sum(),
        hifp_fen=g.hifp_fen.sum(),
    )


def point_values(history: dict[int, tuple[int, int]], weights: list[int]) -> Decimal | None:
    """Budget point value: Σ w_y × cost_y ÷ Σ w_y × score_y (元 per point), years oldest first."""
    ys = sorted(history)
    ws = weights[len(weights) - len(ys) :] if ys else []
    num = sum(Decimal(w) * history[y][0] for w, y in zip(ws, ys, strict=True)) / 100
    den = sum(Decimal(w) * history[y][1] for w, y in zip(ws, ys, strict=True)) / 100
    return num / den if den else None


def month_advance(
    points_e2: int, personal_fen: int, budget_pv: Decimal | None, share: Decimal
) -> Decimal:
    """One month's pre-settlement: (points × budget PV − personal shares) × share, at least 0,
    half-up to the fen (0 when there is no budget point value: no history years)."""
    if budget_pv is None:
        return Decimal("0.00")
    due = Decimal(points_e2) / 100 * budget_pv - Decimal(personal_fen) / 100
    return round_fen(max(due, Decimal(0)) * share)


def _credit(dip_budget: Decimal, points_e2: int, total_pts: Decimal) -> Decimal:
    """DIP budget × points ÷ Σ points, half-up to the fen (one expression for year and months)."""
    pts = Decimal(points_e2) / 100
    return round_fen(dip_budget * pts / total_pts) if total_pts else Decimal("0.00")


def month_rows(
    h: dict, dip_budget: Decimal, total_pts: Decimal, budget_pv: Decimal | None, share: Decimal
) -> list[dict]:
    """月度预结算 of one hospital, months in order: the month's advance at the budget point
    value, and its part of the year-end credit at the settlement point value by cumulative
    rounding (credit_m = credit(P_m) − credit(P_m−1) over cumulative points P), so that the
    months add up to the hospital's credit, settlement and balance to the fen."""
    out: list[dict] = []
    cum_e2, before, cum_adv = 0, Decimal("0.00"), Decimal("0.00")
    for m in sorted(h["month_detail"], key=lambda x: x["month"]):
        cum_e2 += m["points_e2"]
        upto = _credit(dip_budget, cum_e2, total_pts)
        personal_fen = m["medfee_fen"] - m["hifp_fen"]
        advance = month_advance(m["points_e2"], personal_fen, budget_pv, share)
        cum_adv += advance
        credit, personal = upto - before, from_fen(personal_fen)
        before = upto
        out.append(
            {
                "fixmedins_code": h["fixmedins_code"],
                "month": m["month"],
                "cases": m["cases"],
                "points": Decimal(m["points_e2"]) / 100,
                "medfee": from_fen(m["medfee_fen"]),
                "hifp": from_fen(m["hifp_fen"]),
                "personal_share": personal,
                "advance": advance,
                "cum_advances": cum_adv,
                "credit": credit,
                "settlement": credit - personal,
                "balance": credit - personal - advance,
            }
        )
    return out


def settle_hospitals(
    rows: list[dict], dip_budget: Decimal, budget_pv: Decimal | None, advance_share: Decimal
) -> tuple[list[dict], Decimal, Decimal]:
    """Per hospital: credit = budget × points ÷ Σ points (half-up to the fen), settlement =
    credit − personal share, advances = Σ months of (points × budget PV − personal) × share.
    Rows with ``month_detail`` also get their ``month_rows`` (月度预结算).

    Returns the rows, the settlement point value and the rounding residual."""
    total_pts = sum(Decimal(r["points_e2"]) for r in rows) / 100
    pv = dip_budget / total_pts if total_pts else Decimal(0)
    out = []
    for r in rows:
        pts = Decimal(r["points_e2"]) / 100
        credit = _credit(dip_budget, r["points_e2"], total_pts)
        personal = from_fen(r["medfee_fen"] - r["hifp_fen"])
        advances = sum(
            (month_advance(mp, mpers, budget_pv, advance_share) for mp, mpers in r["months"]),
            Decimal("0.00"),
        )
        if "month_detail" in r:
            r = {**r, "month_rows": month_rows(r, dip_budget, total_pts, budget_pv, advance_share)}
        settlement = credit - personal
        out.append(
            {
                **r,
                "points": pts,
                "credit": credit,
                "personal_share": personal,
                "settlement": settlement,
                "advances": advances,
                "balance": settlement - advances,
            }
        )
    residual = dip_budget - sum(r["credit"] for r in out)
    return out, pv, residual


def _median(values: list[Decimal]) -> Decimal:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def flag_upcoding(rows: list[dict], levels: dict[str, str], p: DipParams) -> None:
    """Suspect of up-coding (高套分值): the share of cases coded into groups with a procedure
    is at least ``upcoding_procedure_rate_multiple`` × the median of hospitals of the same
    level, while those cases cost no more against their standards than the peers' (a dearer
    group without the dearer care).  Levels apart: the standards are region-wide."""
    for r in rows:
        r["op_rate"] = ratio(r["op_cases"], r["cases"]) or Decimal(0)
        r["op_index"] = ratio(r["op_medfee_fen"], r["op_std_fen"]) or Decimal(0)
    by_level: dict[str, list[dict]] = {}
    for r in rows:
        by_level.setdefault(levels.get(r["fixmedins_code"], ""), []).append(r)
    for r in rows:
        peers = by_level[levels.get(r["fixmedins_code"], "")]
        r["upcoding_suspect"] = bool(
            len(peers) >= 3
            and r["cases"] >= 30
            and r["op_rate"]
            >= p.upcoding_procedure_rate_multiple * _median([q["op_rate"] for q in peers])
            and r["op_index"] <= _median([q["op_index"] for q in peers])
        )


SUMS = (
    "cases",
    "low",
    "high",
    "review",
    "op_cases",
    "op_medfee_fen",
    "op_std_fen",
    "points_e2",
    "score_e2",
    "std_fen",
    "medfee_fen",
    "hifp_fen",
)


def run_dip(ws: Workspace, year: int, p: DipParams, *, engine: str = "duckdb") -> DipOutcome:
    ensure_refs(ws)
    label = load_catalogue(ws, p)
    notes = [f"病种目录:{label}"]
    years = claim_years(ws)
    if year not in years:
        raise PaymentInputError(f"工作区没有 {year} 年度的结算单")
    hist_years = [y for y in years if year - 3 <= y < year]
    b = backend_for(ws, engine, ["claims", "persons", SEVERITY_TABLE, CAT_TABLE])
    cases = inpatient_cases(b, [year], p.diagnosis_key_length, p.procedure_key_length)
    x = scored_cases(b, cases, p)
    if engine == "pyspark":
        x = x.cache()
    stored = case_columns(x)
    provenance.record(["payment_dip_cases"], "DIP 入组与偏差校正", stored)
    case_rows = b.to_pyarrow(stored)
    months_expr = hospital_months(x)
    provenance.record(
        ["payment_dip_hospitals", "payment_dip_months", "payment_dip_summary"],
        "DIP 医院月度分值",
        months_expr,
    )
    months = b.to_pyarrow(months_expr).to_pylist()
    totals_expr = inpatient_totals(b, year)
    provenance.record(["payment_dip_summary"], "住院病例数与统筹基金合计", totals_expr)
    totals = b.to_pyarrow(totals_expr).to_pylist()[0]
    history: dict[int, tuple[int, int]] = {}
    if hist_years:
        for r in b.to_pyarrow(history_points(b, hist_years, p)).to_pylist():
            history[int(r["year"])] = (int(r["fen"] or 0), int(r["score_e2"] or 0))
    else:
        notes.append(f"{year} 年之前没有结算单,预算点值与月度预结算无法计算")
    budget_pv = point_values(history, p.weights_for(3)) if history else None

    hosp: dict[str, dict] = {}
    for r in months:
        code = r["fixmedins_code"]
        h = hosp.setdefault(code, {"fixmedins_code": code, "months": [], **dict.fromkeys(SUMS, 0)})
        for k in SUMS:
            h[k] += int(r[k] or 0)
        h["months"].append((int(r["points_e2"] or 0), int(r["medfee_fen"]) - int(r["hifp_fen"])))
        h.setdefault("month_detail", []).append(
            {k: int(r[k] or 0) for k in ("month", "cases", "points_e2", "medfee_fen", "hifp_fen")}
        )
    rows = [hosp[k] for k in sorted(hosp)]
    dip_fen = sum(r["hifp_fen"] for r in rows)
    med_fen = sum(r["medfee_fen"] for r in rows)
    fund = p.fund_budget if p.fund_budget is not None else from_fen(dip_fen)
    reimb = p.reimbursement_ratio
    if reimb is None:
        reimb = Decimal(dip_fen) / Decimal(med_fen) if med_fen else Decimal(0)
    dip_budget = round_fen(fund / reimb) if reimb else Decimal("0.00")
    rows, pv, residual = settle_hospitals(rows, dip_budget, budget_pv, p.monthly_advance_share)
    names, levels = _institutions(ws)
    for r in rows:
        r["cmi"] = ratio(from_fen(r["score_e2"]), r["cases"] * p.score_scale) or Decimal(0)
        r["cost_index"] = ratio(r["medfee_fen"], r["std_fen"]) or Decimal(0)
    flag_upcoding(rows, levels, p)
    n_dip = sum(r["cases"] for r in rows)
    summary = {
        "year": year,
        "catalogue": label,
        "history_years": ",".join(map(str, sorted(history))),
        "budget_point_value": round_places(budget_pv, 4) if budget_pv is not None else None,
        "settlement_point_value": round_places(pv, 4),
        "fund_available": round_fen(fund),
        "reimbursement_ratio": round_places(reimb, 6),
        "dip_budget": dip_budget,
        "points": sum((r["points"] for r in rows), Decimal(0)),
        "settlement": sum((r["settlement"] for r in rows), Decimal("0.00")),
        "personal_share": sum((r["personal_share"] for r in rows), Decimal("0.00")),
        "difference": residual,
        "inpatient_cases": int(totals["n"]),
        "dip_cases": n_dip,
        "inpatient_fund": from_fen(int(totals["hifp_fen"] or 0)),
        "dip_fund": from_fen(dip_fen),
        "dip_case_coverage": ratio(n_dip, int(totals["n"])),
        "dip_fund_share": ratio(dip_fen, int(totals["hifp_fen"] or 0)),
        "params": _shown(p),
    }
    hrows = [
        {
            "year": year,
            "fixmedins_code": r["fixmedins_code"],
            "fixmedins_name": names.get(r["fixmedins_code"]),
            "hosp_lv": levels.get(r["fixmedins_code"]),
            "cases": r["cases"],
            "low_cases": r["low"],
            "high_cases": r["high"],
            "review_cases": r["review"],
            "points": r["points"],
            "cmi": r["cmi"],
            "cost_index": r["cost_index"],
            "medfee": from_fen(r["medfee_fen"]),
            "personal_share": r["personal_share"],
            "hifp": from_fen(r["hifp_fen"]),
            "credit": r["credit"],
            "settlement": r["settlement"],
            "advances": r["advances"],
            "balance": r["balance"],
            "upcoding_suspect": r["upcoding_suspect"],
        }
        for r in rows
    ]
    mrows = [{"year": year, **m} for r in rows for m in r["month_rows"]]
    if residual:
        notes.append(f"分值折算取整差额 {residual} 元(DIP 总额 − 各医院折算金额之和)")
    if p.defaults_used:
        notes.append("未在政策中生效、采用 DIP 技术规范取值的参数:" + "、".join(p.defaults_used))
    _store(ws, year, case_rows, hrows, mrows, summary)
    return DipOutcome(year, summary, hrows, notes, mrows)


def _institutions(ws: Workspace) -> tuple[dict[str, str], dict[str, str]]:
    rows = ws.con.execute("SELECT fixmedins_code, fixmedins_name, hosp_lv FROM institutions")
    names, levels = {}, {}
    for code, name, lv in rows.fetchall():
        names[code], levels[code] = name, lv or ""
    return names, levels


def _shown(p: DipParams) -> str:
    keys = (
        "year_weights",
        "score_scale",
        "outlier_low",
        "outlier_high",
        "outlier_extreme",
        "special_review_quota",
        "level_coefficient",
        "monthly_advance_share",
    )
    return json.dumps({k: str(getattr(p, k)) for k in keys}, ensure_ascii=False)


def _store(
    ws: Workspace, year: int, cases: pa.Table, hosp: list[dict], months: list[dict], summary: dict
) -> None:
    con = ws.con
    h = pa.Table.from_pylist(hosp, schema=PAYMENT_DIP_HOSPITALS.arrow_schema())
    mo = pa.Table.from_pylist(months, schema=PAYMENT_DIP_MONTHS.arrow_schema())
    s = pa.Table.from_pylist([summary], schema=PAYMENT_DIP_SUMMARY.arrow_schema())
    cases = cases.cast(PAYMENT_DIP_CASES.arrow_schema())
    staged = (
        ("_dip_cases", cases, PAYMENT_DIP_CASES),
        ("_dip_hosp", h, PAYMENT_DIP_HOSPITALS),
        ("_dip_months", mo, PAYMENT_DIP_MONTHS),
        ("_dip_sum", s, PAYMENT_DIP_SUMMARY),
    )
    for name, t, _ in staged:
        con.register(name, t)
    try:
        with transaction(con):
            for name, _, table in staged:
                replace_rows(con, table, f"SELECT * FROM {name}", year=year)
    finally:
        for name, _, _ in staged:
            con.unregister(name)


__all__ = ["DipOutcome", "run_dip", "to_fen"]
