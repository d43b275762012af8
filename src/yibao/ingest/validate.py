"""Row validation as Ibis expressions, so that it runs unchanged on DuckDB and PySpark.

``validate`` takes a staged table (every column a string, canonical names, ``_row`` = the row
number a user sees in the file) and returns two expressions: the typed rows and the errors
(one row per offending cell: row, column, value, Chinese reason).  A row with any error is
quarantined; the loader keeps the rest.  Checks are queries that return offending rows,
the way dbt tests are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from yibao.identity.idcard import CHECK_CHARS, WEIGHTS
from yibao.refdata import VALID_PROVINCE_PREFIXES
from yibao.schema.model import Column, Table

ROW = "_row"
ERROR_SCHEMA = {"_row": "int64", "column_name": "string", "value": "string", "reason": "string"}

_MONEY_RE = r"^-?[0-9]+(\.[0-9]{1,2})?$"
_INT_RE = r"^-?[0-9]+$"
_DATE_RE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?$"
_CERTNO_RE = r"^[0-9]{17}[0-9X]$"
EARLIEST = date(1900, 1, 1)
TYPE_NAMES = {
    "int": "整数",
    "money": "金额(元,最多两位小数)",
    "rate": "比率",
    "date": "日期",
    "timestamp": "日期时间",
    "string": "文本",
}


@dataclass(frozen=True)
class Refs:
    """Reference tables on the engine in use (so that membership is a join, not a literal list)."""

    area_codes: ir.Table  # one column: code
    procedure_codes: ir.Table | None = None  # one column: code (ICD-9-CM-3 医保版)


@dataclass(frozen=True)
class Validated:
    typed: ir.Table
    errors: ir.Table


NULL_SPELLINGS = ("", "NULL", "null", "None", "NaN", "nan", "-")


def one_of(s: ir.StringValue, values: list[str] | tuple[str, ...]) -> ir.BooleanValue:
    """``s IN (…)`` written as equalities: DuckDB plans a literal IN list as a join per column,
    which made this the most expensive step of an import (0.5 s per column per 2 M rows)."""
    if len(values) > 32:
        return s.isin(list(values))
    out = s == values[0]
    for v in values[1:]:
        out = out | (s == v)
    return out


def clean_text(raw: ir.StringValue) -> ir.StringValue:
    """Trim, and treat empty strings and the usual null spellings as missing."""
    s = raw.strip()
    return ibis.cases((one_of(s, NULL_SPELLINGS), ibis.null("string")), else_=s)


def normalise_text(col: Column, s: ir.StringValue) -> ir.StringValue:
    """First pass: character-level clean-up (separators, currency signs, code spellings)."""
    if col.dtype in ("money", "rate"):
        return s.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    if col.dtype in ("date", "timestamp"):
        return (
            s.replace("/", "-")
            .replace(".", "-")
            .replace("年", "-")
            .replace("月", "-")
            .replace("日", "")
        )
    if col.codes is not None and col.value_aliases:
        return s.substitute(dict(col.value_aliases), else_=s)
    if col.check == "certno":
        return s.upper()
    return s


def normalise_shape(col: Column, s: ir.StringValue) -> ir.StringValue:
    """Second pass: compact dates (20210304) and Excel's "1.0" for codes, to canonical text.

    Kept apart from :func:`normalise_text` so that the engine computes each pass once
    instead of inlining one into every use of the other.
    """
    if col.dtype in ("date", "timestamp"):
        spaced = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2)
        spaced_ts = spaced + " " + s.substr(8, 2) + ":" + s.substr(10, 2) + ":" + s.substr(12, 2)
        return ibis.cases(
            (s.re_search(r"^[0-9]{8}$"), spaced), (s.re_search(r"^[0-9]{14}$"), spaced_ts), else_=s
        )
    if col.codes is not None and col.dtype == "string" and all(k.isdigit() for k in col.codes):
        return ibis.cases((s.re_search(r"^[0-9]+\.0+$"), s.split(".")[0]), else_=s)
    if col.check == "area":
        return ibis.cases((s.re_search(r"^[0-9]{6}\.0+$"), s.substr(0, 6)), else_=s)
    return s


def parse(col: Column, s: ir.StringValue) -> ir.Value:
    """Typed value of a normalised cell, NULL where it does not parse."""
    if col.dtype == "string":
        return s
    if col.dtype == "money":
        return ibis.cases(
            (s.re_search(_MONEY_RE), s.try_cast("decimal(18,2)")), else_=ibis.null("decimal(18,2)")
        )
    if col.dtype == "rate":
        return s.try_cast(col.ibis_type)
    if col.dtype == "int":
        return ibis.cases((s.re_search(_INT_RE), s.try_cast("int64")), else_=ibis.null("int64"))
    if col.dtype == "date":
        return ibis.cases((s.re_search(_DATE_RE), s.try_cast("date")), else_=ibis.null("date"))
    if col.dtype == "timestamp":
        return ibis.cases(
            (s.re_search(_DATE_RE), s.try_cast("timestamp")), else_=ibis.null("timestamp")
        )
    raise ValueError(col.dtype)


def _certno_problem(s: ir.StringValue, today: date) -> ir.StringValue:
    """Why a (normalised, upper-case) resident ID is invalid, NULL when it is valid (GB 11643)."""
    total = sum(
        (s.substr(i, 1).try_cast("int64") * w for i, w in enumerate(WEIGHTS)),
        start=ibis.literal(0, "int64"),
    )
    expected = ibis.literal(CHECK_CHARS).substr((total % 11).cast("int32"), 1)
    birth = (s.substr(6, 4) + "-" + s.substr(10, 2) + "-" + s.substr(12, 2)).try_cast("date")
    return ibis.cases(
        (s.length() != 18, "身份证号长度应为18位"),
        (~s.re_search(_CERTNO_RE), "身份证号含非法字符(前17位须为数字,末位为数字或X)"),
        (~one_of(s.substr(0, 2), sorted(VALID_PROVINCE_PREFIXES)), "身份证号省份代码无效"),
        (birth.isnull(), "身份证号出生日期不是有效日期"),
        (birth > ibis.literal(today), "身份证号出生日期晚于今天"),
        (birth < ibis.literal(date(1880, 1, 1)), "身份证号出生日期早于1880年"),
        (s.substr(17, 1) != expected, "身份证号校验码错误,应为 " + expected),
        else_=ibis.null("string"),
    )


def _error(
    t: ir.Table, mask: ir.BooleanValue, column: str, value: ir.Value, reason: ir.StringValue | str
) -> ir.Table:
    hit = t.filter(mask)
    return hit.select(
        _row=hit[ROW].cast("int64"),
        column_name=ibis.literal(column),
        value=value.cast("string"),
        reason=reason if isinstance(reason, ir.Value) else ibis.literal(reason),
    )


def _fmt(v: Decimal | int) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"


def prepare(staged: ir.Table, table: Table) -> ir.Table:
    """Cleaned text (``s__col``) and typed value (``v__col``) of every cell, one row per row.

    The loader materialises this once; the checks then scan it instead of re-parsing.
    """
    present = set(staged.columns)
    cols = table.columns
    t = staged.select(
        staged[ROW].cast("int64").name(ROW),
        **{
            f"c__{c.name}": clean_text(staged[c.name].cast("string"))
            if c.name in present
            else ibis.null("string")
            for c in cols
        },
    )
    t = t.select(ROW, **{f"n__{c.name}": normalise_text(c, t[f"c__{c.name}"]) for c in cols})
    t = t.select(ROW, **{f"s__{c.name}": normalise_shape(c, t[f"n__{c.name}"]) for c in cols})
    return t.mutate(
        **{
            f"v__{c.name}": parse(c, t[f"s__{c.name}"])
            for c in table.columns
            if c.dtype != "string"
        }
    )


def _v(t: ir.Table, col: Column) -> ir.Value:
    """Typed value of a prepared column (text columns are their cleaned text)."""
    return t[f"s__{col.name}"] if col.dtype == "string" else t[f"v__{col.name}"]


def check(
    t: ir.Table, table: Table, refs: Refs, *, today: date, existing: ir.Table | None = None
) -> Validated:
    """Every check over a prepared table; see the module docstring.

    The checks of one column are one CASE giving the first failing reason, so the engine scans
    the table once per column rather than once per check (a cell gets one reason; the row is
    quarantined either way).  Area codes stay a separate filter: Spark allows an IN subquery
    only there, not inside a CASE.
    """
    errors: list[ir.Table] = []
    for col in table.columns:
        s, v = t[f"s__{col.name}"], _v(t, col)
        checks: list[tuple[ir.BooleanValue, ir.StringValue | str]] = []
        if col.required:
            checks.append((s.isnull(), f"{col.label}为必填项,不能为空"))
        if col.dtype != "string":
            checks.append(
                (s.notnull() & v.isnull(), f"{col.label}不是有效的{TYPE_NAMES[col.dtype]}")
            )
        if col.codes is not None:
            shown = "、".join(
                f"{k}({m})" if k != m and len(k) < 4 else k for k, m in col.codes.items()
            )
            checks.append(
                (
                    s.notnull() & ~one_of(s, sorted(col.codes)),
                    f"{col.label}代码不存在,允许的值: {shown}",
                )
            )
        if col.check == "certno":
            problem = _certno_problem(s, today)
            checks.append((s.notnull() & problem.notnull(), problem))
        if col.min_value is not None:
            checks.append(
                (
                    v < ibis.literal(col.min_value, col.ibis_type),
                    f"{col.label}不能小于{_fmt(col.min_value)}",
                )
            )
        if col.max_value is not None:
            checks.append(
                (
                    v > ibis.literal(col.max_value, col.ibis_type),
                    f"{col.label}不能大于{_fmt(col.max_value)}",
                )
            )
        if col.dtype in ("date", "timestamp"):
            d = v.cast("date") if col.dtype == "timestamp" else v
            checks.append((d > ibis.literal(today), f"{col.label}晚于今天"))
            checks.append((d < ibis.literal(EARLIEST), f"{col.label}早于1900年"))
        if checks:
            reason = ibis.cases(
                *[(m, r if isinstance(r, ir.Value) else ibis.literal(r)) for m, r in checks],
                else_=ibis.null("string"),
            )
            x = t.mutate(_reason=reason)
            errors.append(_error(x, x._reason.notnull(), col.name, x[f"s__{col.name}"], x._reason))
        if col.check == "area":
            errors.append(
                _error(
                    t,
                    s.notnull() & ~s.isin(refs.area_codes["code"]),
                    col.name,
                    s,
                    f"{col.label}不是有效的行政区划代码(GB/T 2260)",
                )
            )
        if col.check == "procedure" and refs.procedure_codes is not None:
            errors.append(
                _error(
                    t,
                    s.notnull() & ~s.isin(refs.procedure_codes["code"]),
                    col.name,
                    s,
                    f"{col.label}不是有效的手术操作编码(ICD-9-CM-3 医保版)",
                )
            )
    errors.extend(_row_rule_errors(t, table))
    errors.extend(_key_errors(t, table, existing))

    err = ibis.union(*errors, distinct=False) if len(errors) > 1 else errors[0]
    return Validated(typed=accepted_rows(t, table, err), errors=err)


def accepted_rows(t: ir.Table, table: Table, errors: ir.Table) -> ir.Table:
    """Typed rows of a prepared table that have no error.  Pass the *materialised* errors
    where there is one, or the engine computes every check a second time."""
    bad_rows = errors.select(ROW).distinct()
    ok = t.filter(~t[ROW].isin(bad_rows[ROW]))
    return ok.select(ROW, **{c.name: _v(ok, c).cast(c.ibis_type) for c in table.columns})


def validate(
    staged: ir.Table, table: Table, refs: Refs, *, today: date, existing: ir.Table | None = None
) -> Validated:
    """prepare, materialise once on the engine (``cache``), then check.

    Without the cache every check would re-parse the staged text: the plan grows with the
    number of checks and Spark spends a minute planning 200 rows.
    """
    prepared = prepare(staged, table).cache()
    return check(prepared, table, refs, today=today, existing=existing)


def _row_rule_errors(t: ir.Table, table: Table) -> list[ir.Table]:
    out = []
    for rule in table.row_rules:
        v = {c: _v(t, table.column(c)) for c in rule.columns}
        s = {c: t[f"s__{c}"] for c in rule.columns}
        if rule.name == "inscp_le_medfee":
            mask = v["inscp_scp_amt"] > v["medfee_sumamt"]
            shown = s["inscp_scp_amt"] + " > " + s["medfee_sumamt"]
            out.append(_error(t, mask, "inscp_scp_amt", shown, rule.reason))
        elif rule.name == "adm_le_dscg":
            mask = v["adm_time"] > v["dscg_time"]
            out.append(
                _error(t, mask, "dscg_time", s["adm_time"] + " > " + s["dscg_time"], rule.reason)
            )
        elif rule.name == "funds_le_medfee":
            zero = ibis.literal(Decimal("0"), "decimal(18,2)")
            funds = (
                v["hifp_pay"].fill_null(zero)
                + v["hifmi_pay"].fill_null(zero)
                + v["maf_pay"].fill_null(zero)
            )
            out.append(
                _error(
                    t, funds > v["medfee_sumamt"], "medfee_sumamt", s["medfee_sumamt"], rule.reason
                )
            )
        elif rule.name == "birth_before_death":
            out.append(
                _error(t, v["brdy"] > v["death_date"], "death_date", s["death_date"], rule.reason)
            )
        else:  # pragma: no cover - a schema error, caught by tests
            raise ValueError(f"unknown row rule {rule.name}")
    return out


def _key_errors(t: ir.Table, table: Table, existing: ir.Table | None) -> list[ir.Table]:
    """Duplicate keys inside the file, and keys already loaded from another file."""
    keys = [t[f"s__{k}"] for k in table.key]
    labels = "+".join(table.column(k).label for k in table.key)
    shown = keys[0] if len(keys) == 1 else ibis.literal("|").join([k.fill_null("") for k in keys])
    first = t[ROW].min().over(ibis.window(group_by=keys))
    w = t.mutate(_first=first, _shown=shown)
    out = [
        _error(
            w,
            w[ROW] != w["_first"],
            table.key[0],
            w["_shown"],
            f"{labels}重复,与文件第" + w["_first"].cast("string") + "行相同",
        )
    ]
    if existing is not None:
        ex = existing.select(**{f"k__{k}": existing[k].cast("string") for k in table.key})
        ex = ex.distinct()
        joined = w.inner_join(ex, [w[f"s__{k}"] == ex[f"k__{k}"] for k in table.key])
        out.append(
            _error(
                joined,
                ibis.literal(True),
                table.key[0],
                joined["_shown"],
                f"{labels}已存在于工作区(此前已从其他文件导入)",
            )
        )
    return out
