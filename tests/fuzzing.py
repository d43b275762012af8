"""Hostile claims files whose every cell's meaning is known, for the ingest fuzz tests.

The generator draws each value first (a key, an amount in fen, a timestamp, a code) and then
writes it the way some export might: thousands commas, ¥, full-width digits in keys, U+3000,
NBSP and zero-width spaces, lower case, ``.0`` fractional seconds, Chinese dates, quoted
commas and doubled quotes, newlines inside quotes, ``=2+5`` and ``[/]`` in text.  Some cells
are drawn broken instead (``64,41``, ``NaN``, ``-``, 9,999,999,999,999,999.99, 2021-02-30, an
unknown code), and some records are broken as a whole (a field missing or one too many, an
unquoted comma inside an amount).  Each row therefore comes with what ingest must store for
it, or ``None`` when it must be quarantined.  :func:`check_ingest` compares.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from yibao.engine import Workspace
from yibao.ingest import ingest_file
from yibao.ingest.keys import normalise_key

TODAY = date(2026, 11, 23)
HEADER = [
    "结算ID", "人员编号", "险种类型", "医疗类别", "定点医药机构编号", "医保结算等级",
    "异地就医标志", "结算时间", "主诊断编码", "医疗费总额", "符合政策范围金额",
    "基本医疗保险统筹基金支出", "科室编码",
]  # fmt: skip
COLUMNS = [
    "setl_id", "psn_no", "insutype", "med_type", "fixmedins_code", "hi_setl_lv",
    "offsite_flag", "setl_time", "dise_codg", "medfee_sumamt", "inscp_scp_amt", "hifp_pay",
    "dept_codg",
]  # fmt: skip
BAD = object()  # a cell that must make its row quarantined
MISSING = None
WS_STRIP = " \t\n\r\x0b\x0c"
MAX_CLAIM = Decimal("100000000.00")


@dataclass
class Row:
    cells: list[str]
    expected: dict[str, object]  # canonical column → value, BAD or None (missing)
    raw: str | None = None  # a record written by hand (ragged, unquoted comma): must be refused

    @property
    def valid_cells(self) -> bool:
        return self.raw is None and all(v is not BAD for v in self.expected.values())


def _key(rng: random.Random, canonical: str) -> str:
    """``canonical`` as some export might write it (the key normaliser must undo it)."""
    s = canonical
    r = rng.random()
    if r < 0.15:
        s = s.lower()
    elif r < 0.25:
        s = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)  # full-width
    pad = ["", "", "", "\u3000", "\u00a0", "\u200b", " ", "\ufeff", "\u2003"]
    return rng.choice(pad) + s + rng.choice(pad)


def _money(rng: random.Random, *, optional: bool, top: Decimal) -> tuple[str, object]:
    r = rng.random()
    if optional and r < 0.05:
        return rng.choice(["", "NULL"]), MISSING
    if r < 0.12:  # broken on purpose
        return rng.choice(
            [
                ("64,41", BAD), ("12,34", BAD), ("NaN", BAD), ("None", BAD), ("-", BAD),
                ("9,999,999,999,999,999.99", BAD), ("1.005", BAD), ("-3.00", BAD),
                ("1e5", BAD), ("=2+5", BAD), ("12.3.4", BAD), ("1,2345.00", BAD),
                ("100000000.01", BAD), ("", MISSING if optional else BAD),
            ]
        )  # fmt: skip
    fen = rng.randint(0, int(top * 100))
    value = Decimal(fen) / 100
    text = f"{value:.2f}"
    r = rng.random()
    if r < 0.2:
        text = f"{value:,.2f}"
    elif r < 0.3:
        text = "¥" + text
    elif r < 0.4:
        text = f" {text} "
    elif r < 0.5 and fen % 100 == 0:
        text = str(fen // 100)
    elif r < 0.55:
        text = f"{value:,.2f}".replace(",", "，")
    return text, value.quantize(Decimal("0.01"))


def _timestamp(rng: random.Random) -> tuple[str, object]:
    if rng.random() < 0.08:
        return rng.choice(
            [("2021-02-30 10:00:00", BAD), ("2021-13-01", BAD), ("30/03/2021", BAD),
             ("yesterday", BAD), ("2031-01-01 00:00:00", BAD), ("1899-12-31", BAD), ("", BAD)]
        )  # fmt: skip
    t = datetime(2021, 1, 1) + timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
    fmt = rng.randrange(7)
    if fmt == 0:
        return t.strftime("%Y-%m-%d %H:%M:%S"), t
    if fmt == 1:
        return t.strftime("%Y/%m/%d %H:%M:%S"), t
    if fmt == 2:
        return t.strftime("%Y-%m-%d %H:%M:%S") + ".0", t
    if fmt == 3:
        return f"{t.year}.{t.month}.{t.day} {t:%H:%M:%S}.5", t + timedelta(milliseconds=500)
    if fmt == 4:
        return t.strftime("%Y%m%d%H%M%S"), t
    if fmt == 5:
        return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}", t.replace(second=0)
    return t.strftime("%Y-%m-%d"), datetime(t.year, t.month, t.day)


def _code(rng: random.Random, good: list[str], aliases: dict[str, str], required: bool):
    r = rng.random()
    if r < 0.05:
        return rng.choice(["99", "x", "四级甲等", "=1"]), BAD
    if r < 0.1:
        return ("", BAD) if required else ("", MISSING)
    if aliases and r < 0.3:
        alias = rng.choice(sorted(aliases))
        return alias, aliases[alias]
    code = rng.choice(good)
    return (f" {code} " if rng.random() < 0.1 else code), code


TEXTS = ["J18.900", "某某医院(\"东院\",\"西院\")", "逗号,分隔", "跨\n行", "=2+5", "[/]", "@SUM(A1)",
         "+1", "'单引号", "全角　空格", "  前后空格  ", "\\[bold]", ":smile:", ""]  # fmt: skip


def _text(rng: random.Random) -> tuple[str, object]:
    s = rng.choice(TEXTS)
    stored = s.strip(WS_STRIP)
    return s, (stored if stored not in ("", "NULL", "null") else MISSING)


def _diagnosis(rng: random.Random) -> tuple[str, object]:
    """A main diagnosis: real ICD-10 医保版 codes (sometimes padded), empty, or not in the list."""
    r = rng.random()
    if r < 0.04:
        return rng.choice(["J18.999x999", "肺炎", "=J18", "j18.900"]), BAD
    if r < 0.1:
        return rng.choice(["", " ", "NULL"]), MISSING
    code = rng.choice(["J18.900", "K80.100", "I10.x00", "O80.000"])
    return (f" {code}\t" if rng.random() < 0.1 else code), code


def make_rows(rng: random.Random, n: int) -> list[Row]:
    """``n`` claims; about one in four has something wrong with it."""
    rows: list[Row] = []
    keys: list[str] = []
    for i in range(n):
        if keys and rng.random() < 0.05:
            canonical = rng.choice(keys)  # a duplicate, written differently
        else:
            canonical = f"S{rng.randrange(10**9):09d}"
            keys.append(canonical)
        key = _key(rng, canonical) if rng.random() > 0.02 else ""
        psn = f"P{rng.randrange(10**6):06d}"
        hosp = f"H{rng.randrange(500):03d}"
        medfee_t, medfee = _money(rng, optional=False, top=Decimal("200000"))
        inscp_t, inscp = _money(rng, optional=False, top=Decimal("200000"))
        hifp_t, hifp = _money(rng, optional=True, top=Decimal("100000"))
        cells = {
            "setl_id": (key, normalise_key(key.strip(WS_STRIP)) or BAD),
            "psn_no": (_key(rng, psn), psn),
            "insutype": _code(rng, ["310", "390", "510"], {}, True),
            "med_type": _code(rng, ["11", "14", "21", "41"], {}, True),
            "fixmedins_code": (_key(rng, hosp), hosp),
            "hi_setl_lv": _code(rng, ["1", "2", "3", "9"], {"一级": "1", "三级": "3"}, False),
            "offsite_flag": _code(rng, ["0", "1"], {"否": "0", "是": "1", "Y": "1"}, False),
            "setl_time": _timestamp(rng),
            "dise_codg": _diagnosis(rng),
            "dept_codg": _text(rng),  # free text: quotes, commas, line breaks, formulas, markup
            "medfee_sumamt": (medfee_t, medfee),
            "inscp_scp_amt": (inscp_t, inscp),
            "hifp_pay": (hifp_t, hifp),
        }
        row = Row([cells[c][0] for c in COLUMNS], {c: cells[c][1] for c in COLUMNS})
        r = rng.random()
        if r < 0.02:
            row.raw = ",".join(_plain(c) for c in row.cells[:-1])  # a field short
        elif r < 0.04:
            row.raw = ",".join(_plain(c) for c in row.cells) + ",extra"  # one too many
        elif r < 0.06:
            row.raw = ",".join(_plain(c) for c in row.cells[:-1]) + ",1,235.19"  # unquoted comma
        rows.append(row)
        _ = i
    return rows


def _plain(cell: str) -> str:
    """A cell safe to write without quotes (for records broken on purpose)."""
    return "".join(ch for ch in cell if ch not in ',"\r\n') or "x"


def accepted_expectation(rows: list[Row]) -> dict[int, dict[str, object]]:
    """File row number → the values ingest must store; rows not in it must be quarantined."""
    out: dict[int, dict[str, object]] = {}
    first: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        if row.raw is not None:
            continue  # refused by the reader: not part of the key comparison either
        key = row.expected["setl_id"]
        dup = key is not BAD and key in first
        if key is not BAD and key not in first:
            first[key] = n
        e = row.expected
        if not row.valid_cells or dup:
            continue
        if e["inscp_scp_amt"] > e["medfee_sumamt"]:
            continue
        if e["hifp_pay"] is not None and e["hifp_pay"] > e["medfee_sumamt"]:
            continue
        out[n] = e
    return out


def write_file(path: Path, rows: list[Row], rng: random.Random) -> str:
    """Write with a random encoding and line ending; returns the encoding used."""
    buf = io.StringIO()
    newline = rng.choice(["\n", "\r\n"])
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(HEADER)
    for row in rows:
        if row.raw is not None:
            buf.write(row.raw + newline)
        else:
            w.writerow(row.cells)
    text = buf.getvalue()
    encodings = ["utf-8", "utf-8-sig", "gbk"]
    encoding = rng.choice(encodings)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        encoding, data = "utf-8", text.encode("utf-8")
    path.write_bytes(data)
    return encoding


@dataclass
class Figures:
    files: int = 0
    rows: int = 0
    crashes: int = 0
    bad_exit: int = 0
    changed: int = 0  # accepted but not what the file said, or accepted though invalid
    lost: int = 0  # neither loaded nor quarantined
    refused_valid: int = 0  # quarantined although every cell was valid
    unexplained: int = 0  # quarantined without a reason
    double: int = 0  # counted twice
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.crashes or self.bad_exit or self.changed or self.lost or self.refused_valid
            or self.unexplained or self.double
        )  # fmt: skip


def _stored(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, object]]:
    cols = ", ".join(COLUMNS)
    res = con.execute(f"SELECT _row, {cols} FROM claims").fetchall()
    return {r[0]: dict(zip(COLUMNS, r[1:], strict=True)) for r in res}


def check_ingest(workdir: Path, rows: list[Row], rng: random.Random, fig: Figures) -> None:
    """Write, ingest, re-ingest; count every way the result differs from the expectation."""
    path = workdir / "claims.csv"
    encoding = write_file(path, rows, rng)
    fig.files += 1
    fig.rows += len(rows)
    try:
        with Workspace.create(workdir / "ws") as ws:
            res = ingest_file(ws, path, "claims", today=TODAY)
            again = ingest_file(ws, path, "claims", today=TODAY)
            stored = _stored(ws.con)
            reasons = ws.con.execute(
                "SELECT row_no, count(*) FILTER (WHERE coalesce(reason, '') = '') FROM "
                "_quarantine GROUP BY 1"
            ).fetchall()
            total, distinct = ws.con.execute(
                "SELECT count(*), count(DISTINCT setl_id) FROM claims"
            ).fetchone()
    except Exception as exc:  # noqa: BLE001 - a crash is what we count
        fig.crashes += 1
        fig.problems.append(f"crash ({encoding}): {type(exc).__name__}: {exc}")
        return
    if res.exit_status not in (0, 1, 2) or not again.already_loaded:
        fig.bad_exit += 1
        fig.problems.append(f"exit {res.exit_status}, again={again.already_loaded}")
    if res.exit_status == 2 and res.load_id is None:  # refused as a whole
        fig.problems.append(f"file rejected ({encoding}): {res.message}")
        fig.bad_exit += 1
        return
    if res.exit_status == 2 and res.rows_accepted:  # exit 2 with a load: nothing accepted
        fig.bad_exit += 1
        fig.problems.append(f"exit 2 though {res.rows_accepted} rows were accepted")
    expect = accepted_expectation(rows)
    quarantined = {r for r, _ in reasons}
    fig.unexplained += sum(1 for _, blank in reasons if blank)
    fig.double += total - distinct
    for n in range(2, len(rows) + 2):
        row = rows[n - 2]
        if n in stored:
            if n not in expect:
                fig.changed += 1
                fig.problems.append(
                    f"row {n} accepted though invalid: {row.cells!r} raw={row.raw!r}"
                )
            elif stored[n] != expect[n]:
                fig.changed += 1
                diff = {
                    c: (stored[n][c], expect[n][c]) for c in COLUMNS if stored[n][c] != expect[n][c]
                }
                fig.problems.append(f"row {n} changed: {diff} from {row.cells!r}")
        elif n in quarantined:
            if n in expect:
                fig.refused_valid += 1
                fig.problems.append(f"row {n} refused though valid: {row.cells!r}")
        else:
            fig.lost += 1
            fig.problems.append(f"row {n} lost: {row.cells!r} raw={row.raw!r}")
