"""Charts for the report, drawn with matplotlib in the installed CJK font (PNG, 200 dpi)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from yibao.money import wan
from yibao.report.data import ZERO, Data
from yibao.report.fonts import matplotlib_font
from yibao.report.model import Chart
from yibao.schema.codes import BUDGET_LEVELS, INPATIENT_MED_TYPES


def _plt():  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = matplotlib_font()
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _save(fig, path: Path) -> Path:  # noqa: ANN001
    fig.tight_layout()
    fig.savefig(path, dpi=200)
    _plt().close(fig)
    return path


def _f(x: Decimal | None) -> float:
    """Display only: a chart's bar height, never an amount anyone adds up."""
    return float(wan(x or ZERO))


def arrival_by_level(d: Data, out: Path) -> Chart | None:
    rows = d.year_rows("finance_subsidy")
    if not rows:
        return None
    due = {
        lv: sum((r["due"] or ZERO for r in rows if r["budget_level"] == lv), ZERO)
        for lv in BUDGET_LEVELS
    }
    got = {
        lv: sum((r["received"] or ZERO for r in rows if r["budget_level"] == lv), ZERO)
        for lv in BUDGET_LEVELS
    }
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    xs = range(len(BUDGET_LEVELS))
    ax.bar([x - 0.2 for x in xs], [_f(due[lv]) for lv in BUDGET_LEVELS], 0.4, label="应补助")
    ax.bar([x + 0.2 for x in xs], [_f(got[lv]) for lv in BUDGET_LEVELS], 0.4, label="实际到位")
    ax.set_xticks(list(xs), [f"{lv}财政" for lv in BUDGET_LEVELS])
    ax.set_ylabel("万元")
    ax.legend()
    ax.set_title(f"{d.year}年各级财政补助应补助与到位")
    return Chart(_save(fig, out / "chart_arrival.png"), "图1 各级财政补助应补助与实际到位(万元)")


def spending_composition(d: Data, out: Path) -> Chart | None:
    lines = [x for x in d.year_rows("finance_accounts", "direction = '支出'") if x["ledger"]]
    if not lines:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.pie(
        [_f(x["ledger"]) for x in lines],
        labels=[x["label"] for x in lines],
        autopct="%1.1f%%",
        startangle=90,
        counterclock=False,
    )
    ax.set_title(f"{d.year}年基金支出构成")
    return Chart(_save(fig, out / "chart_spending.png"), "图2 基金支出构成")


def hospital_comparison(d: Data, out: Path) -> Chart | None:
    codes = ", ".join(f"'{c}'" for c in INPATIENT_MED_TYPES)
    rows = d.rows(
        "SELECT coalesce(i.fixmedins_name, c.fixmedins_code) AS name, "
        "coalesce(i.hosp_lv, c.hi_setl_lv) AS lv, count(*) AS n, "
        "sum(c.medfee_sumamt) / count(*) AS avg FROM claims c "
        "LEFT JOIN institutions i USING (fixmedins_code) "
        f"WHERE year(c.setl_time) = ? AND c.med_type IN ({codes}) "
        "AND coalesce(c.offsite_flag, '0') <> '1' GROUP BY 1, 2 HAVING count(*) >= 20 "
        "ORDER BY 2 DESC, 4 DESC LIMIT 20",
        [d.year],
    )
    if len(rows) < 2:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2))
    names = [f"{r['name']}({r['lv']}级)" for r in rows][::-1]
    vals = [float(r["avg"]) for r in rows][::-1]
    ax.barh(names, vals, color="#4a7ab0")
    ax.set_xlabel("次均住院费用(元)")
    ax.set_title(f"{d.year}年定点医院次均住院费用(住院 20 人次以上)")
    ax.tick_params(axis="y", labelsize=7)
    return Chart(_save(fig, out / "chart_hospitals.png"), "图3 定点医院次均住院费用比较")


def balance_trend(d: Data, out: Path) -> Chart | None:
    rows = d.rows(
        "SELECT year, income, expense, closing FROM finance_balance WHERE report_year = ? "
        "ORDER BY year",
        [d.year],
    )
    if len(rows) < 2:  # a trend needs at least two years
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    years = [str(r["year"]) for r in rows]
    ax.plot(years, [_f(r["income"]) for r in rows], marker="o", label="收入")
    ax.plot(years, [_f(r["expense"]) for r in rows], marker="o", label="支出")
    ax.plot(years, [_f(r["closing"]) for r in rows], marker="s", label="年末结余")
    ax.set_ylabel("万元")
    ax.legend()
    ax.set_title("基金收支与结余")
    return Chart(_save(fig, out / "chart_trend.png"), "图4 基金收入、支出与年末结余(万元)")
