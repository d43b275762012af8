"""The relations a report states, and whether they hold.

Relations found (each a small rule over the sentence it is stated in):
- a total and its parts: "X,其中 A、B、C", "(其中 …)", "分别为", and a table's 合计 row;
- a rate and the amounts it comes from: "…的 N%" after 完成, and 执行率/到位率/覆盖率/完成率 …
  inferred from the amounts before it;
- growth on last year with both amounts stated;
- per-person amount × count = total;
- a score and its grade (优 ≥ 90, 良 80–89, 中 60–79, 差 < 60).

A stated figure holds when the computed one, rounded half-up to the precision shown, equals it; a
figure equal to the computed one cut (not rounded) is a ``warning``.  Where the text leaves the base
open (a rate inferred from nearby amounts, 人 against 人次) a relation is at most a ``warning``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from yibao.money import as_percent
from yibao.report.checker.extract import Text, read_lines, rejoin
from yibao.report.checker.numbers import Quantity, quantities, shown, truncated

_SENTENCE_END = re.compile(r"[。！!？?；;\n]")
_OPEN, _CLOSE = "(（", ")）"
_TRIGGER = re.compile(r"其中|分别为|分别是")
_RATE = re.compile(
    r"(执行率|到位率|完成率|覆盖率|参保率|使用率|达标率|知晓率|满意度|占比|比重)[^\d]{0,6}$"
)
_VERBS = re.compile(r"(达到|达|为|是|共|计|约|合计|总计|累计|共计|实现|完成|金额|总额|资金)+$")
#: Words that mark an amount as the base of a rate (budget, task, target), not its numerator.
_BASE_WORDS = re.compile(r"预算|下达|结转|应补助|应拨|计划|任务|目标|共有|总数|人口|应参保")
WINDOW = 600  # characters around a total in which its namesake parts are looked for
GRADES = (("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal(0)))


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based line of the stated figure in the extracted text
    stated: str
    expected: str
    severity: str  # error / warning
    message: str
    kind: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    qs: tuple[Quantity, ...]  # offsets relative to the whole text


def _sentences(text: str, qs: list[Quantity]) -> list[Sentence]:
    out, start = [], 0
    for m in list(_SENTENCE_END.finditer(text)) + [None]:
        end = m.end() if m else len(text)
        if end > start:
            inside = tuple(q for q in qs if start <= q.start < end)
            out.append(Sentence(start, end, text[start:end], inside))
        start = end
    return out


def _depths(text: str) -> list[int]:
    depth, out = 0, []
    for ch in text:
        if ch in _OPEN:
            depth += 1
        out.append(depth)
        if ch in _CLOSE and depth:
            depth -= 1
    return out


def _fmt(value: Decimal, like: Quantity) -> str:
    """A computed value as the stated figure would show it (rates with at least 2 decimals)."""
    places = max(like.places, 2) if like.family == "%" else like.places
    like = Quantity(like.value, like.unit, places, like.start, like.end, like.text, like.per_person)
    v = shown(value, like.places)
    text = f"{v:,.{like.places}f}" if "," in like.text else f"{v:.{like.places}f}"
    return f"{text}{like.unit}" + ("/人" if like.per_person else "")


def _label(text: str, q: Quantity, lo: int) -> str:
    """The words just before a number, without verbs: '报销支出达到' → '报销支出'."""
    before = text[max(lo, q.start - 12) : q.start]
    before = re.split(r"[,，、;；:：()（）\d%]", before)[-1]
    return _VERBS.sub("", before.strip())


class Checker:
    def __init__(self, t: Text) -> None:
        self.t = t
        self.qs = [q for q in quantities(t.text)]
        self.sentences = _sentences(t.text, self.qs)
        self.depth = _depths(t.text)
        self.findings: list[Finding] = []
        self.checked: list[tuple[str, str, bool]] = []  # (kind, stated, holds) of every relation

    # --- recording -----------------------------------------------------------------------------

    def judge(
        self,
        stated: Quantity,
        computed: Decimal,
        kind: str,
        what: str,
        *,
        inferred: bool,
        bounds: tuple[Decimal, Decimal] | None = None,
    ) -> None:
        """Compare a stated figure with the computed value (both in the stated unit).

        ``bounds`` is the range the computed value can take when its inputs were themselves
        rounded (62.01 万元 ÷ 69.65 万元 may be 89.04 %): a figure inside it holds, unless it
        equals the computed value cut rather than rounded, which is reported."""
        holds = shown(computed, stated.places) == stated.value
        if not holds and bounds is not None and bounds[0] != bounds[1]:
            half = _half(stated.places)
            holds = stated.value - half <= bounds[1] and bounds[0] <= stated.value + half
        cut = not holds and truncated(computed, stated.places) == stated.value
        self.checked.append((kind, stated.text, holds))
        if holds:
            return
        if cut:
            self.add(
                stated,
                computed,
                "warning",
                f"{what}:按四舍五入应为 {_fmt(computed, stated)},文中 {stated.text} 系截断",
                kind,
            )
            return
        severity = "warning" if inferred else "error"
        hint = "(计算口径系按上下文推断)" if inferred else ""
        self.add(
            stated,
            computed,
            severity,
            f"{what}:文中为 {stated.text},按所列数据计算为 {_fmt(computed, stated)}{hint}",
            kind,
        )

    def add(self, q: Quantity, computed: Decimal, severity: str, message: str, kind: str) -> None:
        self.findings.append(
            Finding(self.t.line_at(q.start), q.text, _fmt(computed, q), severity, message, kind)
        )

    # --- relations -----------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        for s in self.sentences:
            self.totals_and_parts(s)
            self.rates(s)
            self.per_person(s)
            self.growth(s)
            self.grades(s)
        self.label_groups()
        self.tables()
        seen, out = set(), []
        for f in sorted(self.findings, key=lambda f: (f.line, f.stated, f.kind)):
            key = (f.line, f.stated, f.expected)
            if key not in seen:
                seen.add(key)
                out.append(f)
        return out

    def totals_and_parts(self, s: Sentence) -> None:
        for m in _TRIGGER.finditer(s.text):
            pos = s.start + m.start()
            d = self.depth[pos]
            opened = d > 0 and s.text[: m.start()].rstrip()[-1:] in _OPEN
            if opened:
                open_at = s.start + s.text[: m.start()].rstrip().rfind(
                    s.text[: m.start()].rstrip()[-1]
                )
                before = [q for q in s.qs if q.end <= open_at and self.depth[q.start] == d - 1]
                close = next(
                    (
                        i
                        for i in range(pos, s.end)
                        if self.depth[i] == d and self.t.text[i] in _CLOSE
                    ),
                    s.end,
                )
                scope = [q for q in s.qs if pos < q.start < close and self.depth[q.start] == d]
            else:
                before = [q for q in s.qs if q.end <= pos and self.depth[q.start] == d]
                nxt = _TRIGGER.search(s.text, m.end())
                stop = (
                    s.start + nxt.start()
                    if nxt and self.depth[s.start + nxt.start()] == d
                    else s.end
                )
                scope = [q for q in s.qs if pos < q.start < stop and self.depth[q.start] == d]
            if not before:
                continue
            total = before[-1]
            if total.family == "%" or total.per_person:
                continue
            parts = [q for q in scope if q.family == total.family]
            other = [
                q for q in scope if q.family != total.family and q.family[:1] == total.family[:1]
            ]
            if len(parts) < 2:
                continue
            computed = total.in_unit(sum((q.base for q in parts), Decimal(0)))
            spread = total.in_unit(sum((_error(q) for q in parts), Decimal(0)))
            exhaustive = m.group(0).startswith("分别") or len(parts) >= 3 or computed > total.value
            what = "合计与分项不符(" + "+".join(q.text for q in parts) + ")"
            if other:
                what += ";分项中另有不同单位的数(如 " + other[0].text + "),口径不一"
            self.judge(
                total,
                computed,
                "total_parts",
                what,
                inferred=not exhaustive or bool(other),
                bounds=(computed - spread, computed + spread),
            )

    def rates(self, s: Sentence) -> None:
        for i, q in enumerate(s.qs):
            if q.family != "%":
                continue
            prior = [
                p
                for p in s.qs[:i]
                if p.family != "%"
                and not p.per_person
                and self.depth[p.start] == self.depth[q.start]
            ]
            between = self.t.text[prior[-1].end : q.start] if prior else ""
            if (
                prior
                and between.strip() == "的"
                and "完成" in self.t.text[s.start : prior[-1].start]
            ):
                den = prior[-1]
                nums = [p for p in prior[:-1] if p.family == den.family]
                if nums and den.base:
                    self.judge(
                        q,
                        as_percent(nums[0].base / den.base),
                        "rate",
                        f"完成率({nums[0].text} ÷ {den.text})",
                        inferred=False,
                        bounds=_ratio_bounds(nums[0].base, _error(nums[0]), den.base, _error(den)),
                    )
                continue
            m = _RATE.search(self.t.text[s.start : q.start])
            if not m or not prior:
                continue
            word = m.group(1)
            spent = [p for p in prior if not _BASE_WORDS.search(_label(self.t.text, p, s.start))]
            num = spent[-1] if spent else prior[-1]
            same = [p for p in prior if p is not num and p.family == num.family]
            if not same:
                continue
            base = self._rate_base(word, same, s)
            den = sum((p.base for p in base), Decimal(0))
            if den:
                err_den = sum((_error(p) for p in base), Decimal(0))
                self.judge(
                    q,
                    as_percent(num.base / den),
                    "rate",
                    f"{word}({num.text} ÷ {'+'.join(p.text for p in base)})",
                    inferred=True,
                    bounds=_ratio_bounds(num.base, _error(num), den, err_den),
                )

    def _rate_base(self, word: str, same: list[Quantity], s: Sentence) -> list[Quantity]:
        """The base of a rate the text does not spell out: the budget when one is named, budget
        plus carry-over when a 结转 is listed, else the amount before the numerator."""
        if word not in ("执行率", "到位率", "使用率"):
            return same[-1:]
        budget = [p for p in same if "预算" in _label(self.t.text, p, s.start)]
        if budget:
            return budget[:1]
        if any("结转" in _label(self.t.text, p, s.start) for p in same):
            return same
        return same[:1]

    def per_person(self, s: Sentence) -> None:
        rates = [q for q in s.qs if q.per_person and q.family.startswith("元")]
        people = [q for q in s.qs if q.family == "人"]
        if len(rates) != 1 or len(people) != 1:
            return
        rate, n = rates[0], people[0]
        totals = [q for q in s.qs if q.family == "元" and q.start > max(rate.start, n.start)]
        if totals:
            total = totals[0]
            self.judge(
                total,
                total.in_unit(rate.base * n.base),
                "per_person",
                f"人均标准 × 人数({rate.text} × {n.text})",
                inferred=True,
            )

    def growth(self, s: Sentence) -> None:
        for i, q in enumerate(s.qs):
            if q.family != "%" or not re.search(
                r"增长\s*$|增加\s*$", self.t.text[s.start : q.start]
            ):
                continue
            prior = [p for p in s.qs[:i] if p.family not in ("%",) and not p.per_person]
            last = [
                p
                for p in prior
                if re.search(
                    r"上年|去年|同期",
                    _label(self.t.text, p, s.start)
                    + self.t.text[max(s.start, p.start - 8) : p.start],
                )
            ]
            cur = [p for p in prior if p not in last and last and p.family == last[0].family]
            if len(last) == 1 and cur and last[0].base:
                self.judge(
                    q,
                    as_percent((cur[0].base - last[0].base) / last[0].base),
                    "growth",
                    f"同比增长({cur[0].text} 比 {last[0].text})",
                    inferred=True,
                )

    def grades(self, s: Sentence) -> None:
        m = re.search(r"(得分|评分|总分|自评分)[^\d。]{0,4}(\d+(?:\.\d+)?)\s*分", s.text)
        g = re.search(r"(?:等级|等次|结果)[为是:：]?[“\"]?(优秀|优|良好|良|中|合格|差)", s.text)
        if not m or not g:
            return
        score, grade = Decimal(m.group(2)), g.group(1)[0]
        for name, floor in GRADES:
            if score >= floor:
                expected = name
                break
        if grade in ("优", "良", "中", "差") and grade != expected:
            start = s.start + m.start(2)
            self.findings.append(
                Finding(
                    self.t.line_at(start),
                    f"{m.group(2)}分 {g.group(1)}",
                    expected,
                    "error",
                    f"得分 {m.group(2)} 分对应等级应为“{expected}”(优≥90、良80–89、中60–79、差<60),"
                    f"文中为“{g.group(1)}”",
                    "grade",
                )
            )

    def label_groups(self) -> None:
        """Amounts named alike (报销支出 … 报销支出): when parts add up to a total, the counts
        stated beside them must add up too (25 人 + 1,352 人次 against 1,451 人次)."""
        amounts = [q for q in self.qs if q.family == "元"]
        labels = {q.start: self._norm_label(q) for q in amounts}
        for t in amounts:
            lt = labels[t.start]
            if len(lt) < 3:
                continue
            near = [q for q in amounts if q is not t and abs(q.start - t.start) <= WINDOW]
            for side in (
                [q for q in near if q.end <= t.start],
                [q for q in near if q.start >= t.end],
            ):
                parts = [q for q in side if _common_suffix(labels[q.start], lt) >= 3]
                if len(parts) < 2:
                    continue
                computed = t.in_unit(sum((q.base for q in parts), Decimal(0)))
                if shown(computed, t.places) != t.value:
                    continue
                self.checked.append(("label_parts", t.text, True))
                self._paired_counts(t, parts)

    def _norm_label(self, q: Quantity) -> str:
        s = self._sentence_of(q)
        return _label(self.t.text, q, s.start if s else 0)

    def _sentence_of(self, q: Quantity) -> Sentence | None:
        return next((s for s in self.sentences if s.start <= q.start < s.end), None)

    def _count_before(self, q: Quantity) -> Quantity | None:
        s = self._sentence_of(q)
        if s is None:
            return None
        prior = [p for p in s.qs if p.end <= q.start]
        if not prior or prior[-1].family not in ("人", "人次", "户", "家", "个", "次"):
            return None
        return prior[-1]

    def _paired_counts(self, total: Quantity, parts: list[Quantity]) -> None:
        ct = self._count_before(total)
        cps = [self._count_before(p) for p in parts]
        if ct is None or any(c is None for c in cps):
            return
        counted = [c for c in cps if c is not None]
        computed = sum((c.base for c in counted), Decimal(0))
        families = {c.family for c in counted} | {ct.family}
        what = (
            f"与 {'、'.join(p.text for p in parts)} 相加等于 {total.text} 相对应的人数/人次"
            f"({'+'.join(c.text for c in counted)})"
        )
        if len(families) > 1:
            what += f";其中单位不一({'、'.join(sorted(families))}),口径不同"
        self.judge(ct, ct.in_unit(computed), "count_parts", what, inferred=True)

    def tables(self) -> None:
        rows: list[tuple[int, list[str]]] = []
        offset = 0
        for line in self.t.text.split("\n") + [""]:
            if line.strip().startswith("|"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                rows.append((offset, cells))
            elif rows:
                self._table(rows)
                rows = []
            offset += len(line) + 1

    def _table(self, rows: list[tuple[int, list[str]]]) -> None:
        body = [
            (o, c) for o, c in rows if not all(re.fullmatch(r":?-{2,}:?", x or "--") for x in c)
        ]
        if len(body) < 3:
            return
        header = body[0][1]
        block: list[list[str]] = []
        for off, cells in body[1:]:
            if re.search(r"合计|总计|小计", cells[0] if cells else "") or (
                len(cells) > 1 and re.fullmatch(r"合计|总计|小计", cells[1])
            ):
                self._total_row(off, cells, block, header)
                block = []
            else:
                block.append(cells)

    def _total_row(
        self, off: int, cells: list[str], block: list[list[str]], header: list[str]
    ) -> None:
        if len(block) < 2:
            return
        for j, cell in enumerate(cells):
            if j >= len(header) or re.search(r"率|比|占|代码|年度|序号|编号", header[j]):
                continue
            total = _cell_number(cell)
            parts = [_cell_number(r[j]) if j < len(r) else None for r in block]
            if total is None or any(p is None for p in parts):
                continue
            value, places, text = total
            computed = sum((p[0] for p in parts if p), Decimal(0))
            # Cells shown with decimals were rounded: the rounded parts may drift by half a unit
            # each (万元 columns of exact 元 amounts); a 合计 inside that drift holds.
            spread = sum((_half(p[1]) for p in parts if p and p[1]), Decimal(0))
            self.checked.append(("table_total", text, abs(computed - value) <= spread))
            if shown(computed, places) != value and abs(computed - value) > spread:
                start = off + self.t.text[off:].find(text)
                self.findings.append(
                    Finding(
                        self.t.line_at(start),
                        text,
                        f"{shown(computed, places):.{places}f}",
                        "error",
                        f"表格“{header[j]}”列的合计行为 {text},"
                        f"各行相加为 {shown(computed, places)}",
                        "table_total",
                    )
                )


def _half(places: int) -> Decimal:
    return Decimal(5).scaleb(-places - 1)


def _error(q: Quantity) -> Decimal:
    """How far a figure may be from what it stands for, in base units.

    An amount shown with decimals (62.01 万元) was rounded: ±half its last place.  Whole numbers
    (a target, a budget) and counts of people or visits are taken as exact, so that 74.14 万人 ÷
    67 万人 printed as 110.65 % is a truncation, not a rounding artefact."""
    from yibao.report.checker.numbers import UNITS

    if q.family != "元" or not q.places:
        return Decimal(0)
    return _half(q.places) * UNITS[q.unit][1]


def _ratio_bounds(
    num: Decimal, e_num: Decimal, den: Decimal, e_den: Decimal
) -> tuple[Decimal, Decimal] | None:
    if den - e_den <= 0:
        return None
    return as_percent((num - e_num) / (den + e_den)), as_percent((num + e_num) / (den - e_den))


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _cell_number(cell: str) -> tuple[Decimal, int, str] | None:
    m = re.match(r"\s*(-?\d{1,3}(?:,\d{3})+|-?\d+)(\.\d+)?", cell)
    if not m or re.match(r"\s*\d{4}年", cell):
        return None
    frac = m.group(2) or ""
    return Decimal(m.group(1).replace(",", "") + frac), max(len(frac) - 1, 0), m.group(0).strip()


def check_text(lines: list[str]) -> list[Finding]:
    return Checker(rejoin(lines)).run()


def check_report(path: Path) -> list[Finding]:
    """Findings for a report file; raises ReportUnreadable when it cannot be read."""
    return check_text(read_lines(Path(path)))
