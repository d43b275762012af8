"""Precision and recall of the rules against a generator's ``truth/anomalies.csv``.

Matching is on (kind, key), with the keys docs/synth-truth.md defines per kind; a rule is
measured only against the kind it is meant to find (``Rule.truth_kind``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yibao.engine.workspace import Workspace
from yibao.supervise.catalogue import CATALOGUE

RECALL_TARGET = 0.95
PRECISION_TARGET = 0.90


@dataclass(frozen=True)
class KindScore:
    kind: str
    rule: str | None  # None: no rule of this module screens the kind
    planted: int
    found: int
    matched: int

    @property
    def recall(self) -> float | None:
        return self.matched / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        return self.matched / self.found if self.found else None

    @property
    def meets_targets(self) -> bool:
        if self.rule is None:
            return True
        recall_ok = self.recall is None or self.recall >= RECALL_TARGET
        precision_ok = self.precision is None or self.precision >= PRECISION_TARGET
        return recall_ok and precision_ok


def truth_file(truth_dir: Path) -> Path:
    path = Path(truth_dir) / "truth" / "anomalies.csv"
    if not path.is_file():
        alt = Path(truth_dir) / "anomalies.csv"
        if alt.is_file():
            return alt
        raise FileNotFoundError(f"找不到真值文件 {path}(应为 yibao synth 的输出目录)")
    return path


def compare_truth(
    ws: Workspace, year: int, truth_dir: Path, rules: list[str] | None = None
) -> list[KindScore]:
    """One score per planted kind (and per measured rule with nothing planted)."""
    con = ws.con
    path = str(truth_file(truth_dir)).replace("'", "''")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sv_truth AS SELECT DISTINCT trim(kind) AS kind, "
        f"upper(trim(key)) AS key FROM read_csv('{path}', header = true, all_varchar = true, "
        "delim = ',', quote = '\"', escape = '\"')"
    )  # explicit dialect: the sniffer missed a quoted detail that first appears late in the file
    ran = set(rules) if rules is not None else {r.code for r in CATALOGUE}
    by_kind = {r.truth_kind: r.code for r in CATALOGUE if r.truth_kind and r.code in ran}
    not_run = {r.truth_kind for r in CATALOGUE if r.truth_kind and r.code not in ran}
    kinds = [k for (k,) in con.execute("SELECT DISTINCT kind FROM _sv_truth ORDER BY 1").fetchall()]
    out = []
    for kind in sorted((set(kinds) | set(by_kind)) - not_run):
        rule = by_kind.get(kind)
        planted, found, matched = con.execute(
            "WITH t AS (SELECT key FROM _sv_truth WHERE kind = ?), "
            "f AS (SELECT DISTINCT upper(key) AS key FROM supervise_findings "
            "WHERE year = ? AND rule = ?) "
            "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM f), "
            "(SELECT count(*) FROM t JOIN f USING (key))",
            [kind, year, rule or ""],
        ).fetchone()
        out.append(KindScore(kind, rule, planted, found if rule else 0, matched if rule else 0))
    return out
