"""Row validation as Ibis expressions, so that it runs unchanged on DuckDB and PySpark.

``validate`` takes a staged table (every column a string, canonical names, ``_row`` = the row
number a user sees in the file) and returns two expressions: the typed rows and the errors
(one row per offending cell: row, column, value, Chinese reason).  A row with any error is
quarantined; the loader keeps the rest.  Checks are queries that return offending rows,
the way dbt tests are.  The checks across cells and rows are in :mod:`yibao.ingest.row_checks`,
over the cells as :mod:`yibao.ingest.cells` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from yibao.identity.engine import (
    AREA_UNKNOWN_REASON,
    certno_area_unknown,
    certno_problem,
    check_char_expr,
)
from yibao.ingest.cells import (
    KEY_COLUMNS,
    PARSE_TYPE,
    ROW,
    cell_missing,
    cell_text,
    error_rows,
    id_problem,
    typed_value,
)
from yibao.ingest.keys import key_expr
from yibao.ingest.row_checks import ALREADY as ALREADY
from yibao.ingest.row_checks import key_errors, row_rule_errors
from yibao.money import GROUPED_RE
from yibao.schema.model import Column, Table

ERROR_SCHEMA = {"_row": "int64", "column_name": "string", "value": "string", "reason": "string"}

_MONEY_RE = r"^-?[0-9]+(\.[0-9]{1,2})?$"
_INT_RE = r"^-?[0-9]+$"
_DATE_RE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?$"
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
    diagnosis_codes: ir.Table | None = None  # one column: code (ICD-10 医保版)


@dataclass(frozen=True)
class Validated:
    typed: ir.Table
    errors: ir.Table


#: Spellings of "no value".  Only an empty cell and a database NULL: ``NaN``, ``None`` and
#: ``-`` in an amount are data errors (a failed calculation, a pandas export), and are
#: quarantined rather than silently taken as missing.
NULL_SPELLINGS = ("", "NULL", "null")

#: Plausibility bounds where the schema gives none: a value beyond these is a typing or
#: export error, not a fact (a DECIMAL(18,2) would hold 9,999,999,999,999,999.99 元).
CLAIM_MONEY_MAX = Decimal("100000000.00")  # 1 亿元 on one 结算单
MONEY_MAX = Decimal("1000000000000.00")  # 1 万亿元: beyond any fund's annual total
INT_MAX_BY_UNIT = {"天": 36_600, "人": 2_000_000_000, "张": 1_000_000}
INT_MAX = 10**12


def plausible_bounds(
    table: Table, col: Column
) -> tuple[Decimal | int | None, Decimal | int | None]:
    """(min, max) a value of ``col`` may take: the schema's, else the defaults above."""
    if col.dtype == "money":
        top = CLAIM_MONEY_MAX if table.name == "claims" else MONEY_MAX
    elif col.dtype == "int":
        top = INT_MAX_BY_UNIT.get(col.unit, INT_MAX)
    else:
        return col.min_value, col.max_value
    lo = col.min_value if col.min_value is not None else -top
    hi = col.max_value if col.max_value is not None else top
    return lo, hi


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


def number_expr(s: ir.StringValue) -> ir.StringValue:
    """Engine form of :func:`yibao.money.number_text`: currency signs go, and commas go only
    when they group thousands (``6,441.00``); ``64,41`` keeps its comma and fails to parse."""
    t = s.replace("¥", "").replace("￥", "").replace("，", ",").strip()
    # The regex runs only on cells with a comma (0.25 s per column per 300,000 rows otherwise).
    grouped = t.contains(",") & t.re_search(GROUPED_RE)
    return ibis.cases((grouped, t.replace(",", "")), else_=t)


#: An Excel date serial as exports write it when the cell is not formatted as a date
#: (44260 = 2021-03-05, 44260.5 = noon): five digits, 1927–2173, an optional fraction of a day.
EXCEL_SERIAL_RE = r"^[1-9][0-9]{4}(\.[0-9]{1,10})?$"
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's 1900 system (after its 1900-02-29 bug)


def excel_serial(s: ir.StringValue) -> ir.TimestampValue:
    """The timestamp of an Excel serial (to the second), on DuckDB and PySpark alike."""
    num = s.try_cast("decimal(16,10)")
    day = num.floor().cast("int64")
    secs = ((num - num.floor()) * 86400).round().cast("int64")
    start = ibis.literal(EXCEL_EPOCH) + day.as_interval("D")
    return start.cast("timestamp") + secs.as_interval("s")


def date_expr(s: ir.StringValue) -> ir.StringValue:
    """``2021.3.4``, ``2021/3/4``, ``2021年3月4日`` → ``2021-3-4``, in the date part only, so
    that a time's fractional seconds (``08:00:00.0`` from Java exports) keep their dot."""
    head = s.re_extract(r"^[^ T]*", 0)
    tail = s.substr(head.length())
    day = head.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-")
    # An Excel serial (44260.5) keeps its dot: normalise_shape turns it into a timestamp.
    return ibis.cases((s.re_search(EXCEL_SERIAL_RE), s), else_=day.replace("日", "") + tail)


def normalise_text(col: Column, s: ir.StringValue) -> ir.StringValue:
    """First pass: character-level clean-up (separators, currency signs, code spellings)."""
    if col.dtype in ("money", "rate", "int"):
        return number_expr(s)
    if col.dtype in ("date", "timestamp"):
        return date_expr(s)
    if col.codes is not None and (spellings := col.value_map()):
        return s.substitute(spellings, else_=s)
    if col.check == "certno":
        return s.upper()
    if col.name in KEY_COLUMNS:
        return key_expr(s)
    return s


def normalise_shape(col: Column, s: ir.StringValue) -> ir.StringValue:
    """Second pass: compact dates (20210304) and Excel's "1.0" for codes, to canonical text.

    Kept apart from :func:`normalise_text` so that the engine computes each pass once
    instead of inlining one into every use of the other.
    """
    if col.dtype in ("date", "timestamp"):
        spaced = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2)
        spaced_ts = spaced + " " + s.substr(8, 2) + ":" + s.substr(10, 2) + ":" + s.substr(12, 2)
        serial = excel_serial(s)
        if col.dtype == "date":
            serial = serial.cast("date")
        return ibis.cases(
            (s.re_search(r"^[0-9]{8}$"), spaced),
            (s.re_search(r"^[0-9]{14}$"), spaced_ts),
            (s.re_search(EXCEL_SERIAL_RE), serial.cast("string")),
            else_=s,
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


def _fmt(v: Decimal | int) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"


def fast_path(
    col: Column, c: ir.StringValue, typed: ir.Value | None = None
) -> tuple[ir.BooleanValue, ir.Value, ir.Value] | None:
    """(is canonical, cleaned text, typed value) of a cell already in the form the slow path
    would leave unchanged, or None where no such cheap test exists.

    Nearly every cell of a real export is canonical (``2021-03-05 08:00:00``, ``37.00``, a
    code): the engine then skips the clean-up chain, which the CASE evaluates only for the
    other rows.  Each test implies that :func:`clean_text`, :func:`normalise_text`,
    :func:`normalise_shape` and :func:`parse` return the cell itself, so the result is the
    same either way (a hypothesis test holds the two paths to it).  ``typed`` is the cell's
    cast when an earlier projection computed it (the test and the value then share it).
    """
    if col.dtype in ("money", "int", "date", "timestamp"):
        v = c.try_cast(PARSE_TYPE[col.dtype]) if typed is None else typed
        ok = v.cast("string") == c  # a round trip: no spaces, signs, commas or other spellings
        if col.dtype in _CANONICAL_LENGTH:  # 'infinity' and 5-digit years round-trip too
            ok = (c.length() == _CANONICAL_LENGTH[col.dtype]) & ok
        return ok, c, v
    if col.dtype != "string":
        return None
    if col.codes is not None:
        mapping = col.value_map()
        fast = sorted(k for k in col.codes if mapping.get(k, k) == k and k == k.strip())
        return (one_of(c, fast), c, c) if fast else None
    if col.check == "certno":
        return c.re_search(r"^[0-9]{17}[0-9X]$"), c, c
    if col.name in KEY_COLUMNS:
        ok = c.re_search(r"^[!-~]+$") & ~one_of(c, [x for x in NULL_SPELLINGS if x])
        return ok, c.upper(), c.upper()
    return None


_CANONICAL_LENGTH = {"date": 10, "timestamp": 19}


def prepare(
    staged: ir.Table, table: Table, today: date | None = None, *, fast: bool = True
) -> ir.Table:
    """Cleaned text (``s__col``) and typed value (``v__col``) of every cell, one row per row,
    with the original text of key columns (``o__``) to show users what the file said, and,
    given ``today``, the GB 11643 problem of each ID column (``p__``, see
    :func:`problem_columns`).

    Canonical cells take :func:`fast_path`, the rest the clean-up chain (``fast=False``: every
    cell takes the chain, for the test that holds the two paths to the same result).  Each
    stage is a projection of its own, computed only for the cells that are not canonical:
    SQL has no local names, so in one projection every use of a stage copied the stages
    before it (a 1 MB statement for claims, which Spark took 20 s to parse and DuckDB ran
    1.7× slower).  The loader materialises the result once; the checks then scan it.
    """
    cols = [c for c in table.columns if c.name in set(staged.columns)]
    raw = {c.name: staged[c.name].cast("string") for c in cols}
    first: dict[str, ir.Value] = {}
    for c in cols if fast else ():
        if c.dtype in PARSE_TYPE:
            first[f"_f__{c.name}"] = raw[c.name].try_cast(PARSE_TYPE[c.dtype])
        if c.check == "certno" and today is not None:  # the check character, computed once
            first[f"_k__{c.name}"] = check_char_expr(raw[c.name].substr(0, 17))
    t = _mutate(staged, first)

    fps = [fast_path(c, t[c.name].cast("string"), _opt(t, f"_f__{c.name}")) for c in cols]
    oks = {f"_ok__{c.name}": fp[0] for c, fp in zip(cols, fps, strict=True) if fp is not None}
    t = _mutate(t, oks if fast else {})

    def stage(t: ir.Table, name: str, expr: ir.Value) -> ir.Value:
        ok = _opt(t, f"_ok__{name}")
        return expr if ok is None else ibis.cases((ok, ibis.null("string")), else_=expr)

    t = t.mutate(**{f"_c__{c.name}": stage(t, c.name, clean_text(raw[c.name])) for c in cols})
    t = t.mutate(
        **{f"_n__{c.name}": stage(t, c.name, normalise_text(c, t[f"_c__{c.name}"])) for c in cols}
    )
    t = t.mutate(
        **{f"_h__{c.name}": stage(t, c.name, normalise_shape(c, t[f"_n__{c.name}"])) for c in cols}
    )
    out: dict[str, ir.Value] = {}
    for col in table.columns:
        out.update(_prepared(t, col, table, today) if col.name in raw else _absent(col, table))
    return t.select(t[ROW].cast("int64").name(ROW), **out)


def _mutate(t: ir.Table, columns: dict[str, ir.Value]) -> ir.Table:
    return t.mutate(**columns) if columns else t


def _opt(t: ir.Table, name: str) -> ir.Value | None:
    return t[name] if name in t.columns else None


def _prepared(t: ir.Table, col: Column, table: Table, today: date | None) -> dict[str, ir.Value]:
    """``p__``, ``o__``, ``s__`` and ``v__`` of a column, from the stages :func:`prepare` built."""
    c = t[col.name].cast("string")
    cleaned, slow = t[f"_c__{col.name}"], t[f"_h__{col.name}"]
    s, v, o = slow, parse(col, slow), cleaned
    fp = fast_path(col, c, _opt(t, f"_f__{col.name}"))
    ok = _opt(t, f"_ok__{col.name}")
    if ok is not None and fp is not None:
        # A canonical typed cell stores no text: its value prints back as the cell (the fast
        # path's round trip), and :func:`cell_text` restores it where a check shows it.
        s = ibis.cases((ok, ibis.null("string") if col.dtype in PARSE_TYPE else fp[1]), else_=s)
        v = ibis.cases((ok, fp[2]), else_=v)
        o = ibis.cases((ok, c), else_=o)
    out: dict[str, ir.Value] = {}
    if col.check == "certno" and today is not None:
        problem = certno_problem(slow, today)
        if ok is not None:  # on the raw column for canonical IDs, with its check character
            problem = ibis.cases(
                (ok, certno_problem(c, today, t[f"_k__{col.name}"])), else_=problem
            )
        out[f"p__{col.name}"] = problem
    if col.name in table.key and col.name in KEY_COLUMNS:
        out[f"o__{col.name}"] = o
    out[f"s__{col.name}"] = s
    if col.dtype != "string":
        out[f"v__{col.name}"] = v
    return out


def _absent(col: Column, table: Table) -> dict[str, ir.Value]:
    """The prepared columns of a column the file does not have: all NULL."""
    s = ibis.null("string")
    out: dict[str, ir.Value] = {}
    if col.name in table.key and col.name in KEY_COLUMNS:
        out[f"o__{col.name}"] = s
    out[f"s__{col.name}"] = s
    if col.dtype != "string":
        out[f"v__{col.name}"] = ibis.null(PARSE_TYPE.get(col.dtype, col.ibis_type))
    return out


def problem_columns(t: ir.Table, table: Table, today: date) -> dict[str, ir.StringValue]:
    """``p__col``, the GB 11643 problem, for the ID columns a prepared table lacks it for: a
    column the file does not have (all NULL), or a table prepared without ``today``.

    Two checks and a row rule read it.  :func:`prepare` computes it for the others after the
    check character (``_k__``) in a projection of its own: in one projection the engine
    inlined the cleaning into each of the 17 digit reads (5 s per 300,000 rows).
    """
    return {
        f"p__{c.name}": certno_problem(t[f"s__{c.name}"], today)
        for c in table.columns
        if c.check == "certno" and f"p__{c.name}" not in t.columns
    }


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
        s, v = t[f"s__{col.name}"], typed_value(t, col)
        checks: list[tuple[ir.BooleanValue, ir.StringValue | str]] = []
        if col.required:
            checks.append((cell_missing(t, col), f"{col.label}为必填项,不能为空"))
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
                    f"{col.label}代码不存在,允许的值(代码或括号中的名称): {shown}",
                )
            )
        if col.check == "certno":
            problem = id_problem(t, col.name, today)
            checks.append((s.notnull() & problem.notnull(), problem))
        if col.dtype in ("money", "rate", "int"):
            checks.insert(
                0,
                (
                    s.contains(","),
                    f"{col.label}中的逗号位置不对:逗号只能用作千位分隔(如 6,441.00);"
                    "若是小数点请改为“.”",
                ),
            )
        lo, hi = plausible_bounds(table, col)
        if lo is not None:
            checks.append((v < ibis.literal(lo, col.ibis_type), f"{col.label}不能小于{_fmt(lo)}"))
        if hi is not None:
            checks.append((v > ibis.literal(hi, col.ibis_type), f"{col.label}不能大于{_fmt(hi)}"))
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
            errors.append(
                error_rows(x, x._reason.notnull(), col.name, cell_text(x, col), x._reason)
            )
        if col.check == "area":
            errors.append(
                error_rows(
                    t,
                    s.notnull() & ~s.isin(refs.area_codes["code"]),
                    col.name,
                    s,
                    f"{col.label}不是有效的行政区划代码(GB/T 2260)",
                )
            )
        if col.check == "certno":
            problem = id_problem(t, col.name, today)
            errors.append(
                error_rows(
                    t,
                    s.notnull() & problem.isnull() & certno_area_unknown(s, refs.area_codes),
                    col.name,
                    s,
                    AREA_UNKNOWN_REASON,
                )
            )
        if col.check == "procedure" and refs.procedure_codes is not None:
            errors.append(
                error_rows(
                    t,
                    s.notnull() & ~s.isin(refs.procedure_codes["code"]),
                    col.name,
                    s,
                    f"{col.label}不是有效的手术操作编码(ICD-9-CM-3 医保版)",
                )
            )
        if col.check == "diagnosis" and refs.diagnosis_codes is not None:
            errors.append(
                error_rows(
                    t,
                    s.notnull() & ~s.isin(refs.diagnosis_codes["code"]),
                    col.name,
                    s,
                    f"{col.label}不是有效的诊断编码(ICD-10 医保版)",
                )
            )
    errors.extend(row_rule_errors(t, table, today))
    errors.extend(key_errors(t, table, existing))

    err = ibis.union(*errors, distinct=False) if len(errors) > 1 else errors[0]
    return Validated(typed=accepted_rows(t, table, err), errors=err)


def accepted_rows(t: ir.Table, table: Table, errors: ir.Table) -> ir.Table:
    """Typed rows of a prepared table that have no error.  Pass the *materialised* errors
    where there is one, or the engine computes every check a second time."""
    bad_rows = errors.select(ROW).distinct()
    ok = t.filter(~t[ROW].isin(bad_rows[ROW]))
    return ok.select(ROW, **{c.name: typed_value(ok, c).cast(c.ibis_type) for c in table.columns})


def validate(
    staged: ir.Table, table: Table, refs: Refs, *, today: date, existing: ir.Table | None = None
) -> Validated:
    """prepare, materialise once on the engine (``cache``), then check.

    Without the cache every check would re-parse the staged text: the plan grows with the
    number of checks and Spark spends a minute planning 200 rows.  The errors are cached too,
    as the loader stores them, so the typed rows do not plan and run every check again.
    """
    prepared = prepare(staged, table, today).cache()
    errors = check(prepared, table, refs, today=today, existing=existing).errors.cache()
    return Validated(typed=accepted_rows(prepared, table, errors), errors=errors)
