"""The seeds' own results from their facts files, through the CLI without a workspace."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from evaluate.conftest import yibao

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "examples" / "seeds"
SEEDS = ROOT.parent / "shared" / "seeds"


def run(framework: str, year: int) -> tuple[list[dict], dict]:
    facts = FACTS / f"{framework}.facts.yaml"
    assert facts.exists(), facts
    res = yibao(
        "evaluate", "--framework", framework, "--year", str(year), "--inputs", str(facts), "--json"
    )
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x, parse_float=Decimal) for x in res.stdout.splitlines()]
    return rows[:-1], rows[-1]


def norm(text: str) -> str:
    """Full-width punctuation as ASCII (NFKC), no spaces: seeds mix both spellings."""
    return unicodedata.normalize("NFKC", text).replace(" ", "")


def seed_text(prefix: str) -> str:
    files = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert files, f"seed {prefix} not found in {SEEDS}"
    return files[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("framework", "year", "seed"),
    [
        ("yiyang-2019", 2019, "000"),
        ("haikou-2023", 2023, "001"),
        ("fengdu-2021", 2021, "002"),
        ("suining-2013", 2013, "003"),
        ("yongqiao-2021", 2021, "004"),
    ],
)
def test_every_fact_quotes_its_seed(framework: str, year: int, seed: str):
    doc = yaml.safe_load((FACTS / f"{framework}.facts.yaml").read_text(encoding="utf-8"))
    text = norm(seed_text(seed))
    assert doc["values"]
    for code, spec in doc["values"].items():
        quote = norm(spec["quote"])
        for part in quote.split("......"):  # "……" after NFKC
            assert part in text, (framework, code, part)
    lines, summary = run(framework, year)
    assert summary["framework"] == framework and summary["year"] == year
    assert summary["total"] == sum(x["score"] for x in lines)


def test_seed_004_scores_100_and_excellent():
    lines, summary = run("yongqiao-2021", 2021)
    assert (summary["total"], summary["grade"]) == (Decimal("100.00"), "优")
    assert summary["stated_total"] == 100 and "一致" in summary["note"]
    assert len(lines) == 17 and all(x["score"] == x["weight"] for x in lines)
    ratio = next(x for x in lines if x["code"] == "ci_policy_ratio")
    assert (ratio["target"], ratio["actual"], ratio["source"]) == ("≥ 60%", 62, "input")


def test_seed_002_gives_its_stated_98_and_says_the_2_points_have_no_reason():
    lines, summary = run("fengdu-2021", 2021)
    assert (summary["total"], summary["grade"]) == (Decimal("98.00"), "优")
    assert summary["computed_total"] == Decimal("100.00") and summary["stated_total"] == 98
    assert "没有说明理由" in summary["note"] and summary["below_target"] == 0
    adj = [x for x in lines if x["code"] == "manual_adjustment"]
    assert len(adj) == 1 and adj[0]["score"] == -2 and "没有说明理由" in adj[0]["deviation"]
    assert all(x["score"] == x["weight"] for x in lines if x["code"] != "manual_adjustment")


#: Seed 000's 14 lines as the report states them: (code, target, actual).
SEED_000 = [
    ("insured_count", "≥ 3831895 人", 4097942),
    ("subsidy_standard", "≥ 520 元/人", 520),
    ("coverage_rate_registered", "≥ 80%", None),
    ("coverage_rate_resident", "≥ 95%", Decimal("97.34")),
    ("duplicate_enrolment_count", "≤ 0 人", 10767),
    ("invalid_enrolment_count", "≤ 0 人", 594),
    ("inpatient_policy_ratio", "≥ 56%", Decimal("65.36")),
    ("inpatient_actual_ratio", "≥ 45%", Decimal("51.21")),
    ("payment_reform", "已实行", "已实行"),
    ("outpatient_pooling", "已实行", "已实行"),
    ("reserve_months", "6–9 月", Decimal("4.42")),
    ("subsidy_arrival_rate", "= 100%", 100),
    ("satisfaction_rate", "≥ 90%", 90),
    ("awareness_level", "普遍知晓", "基本知晓"),
]


def test_seed_000_fourteen_lines_come_out_as_stated():
    lines, summary = run("yiyang-2019", 2019)
    assert [(x["code"], x["target"], x["actual"]) for x in lines] == SEED_000
    assert summary["lines"] == 14
    short = {x["code"] for x in lines if x["deviation"]}
    assert short == {
        "coverage_rate_registered",
        "duplicate_enrolment_count",
        "invalid_enrolment_count",
        "reserve_months",
        "awareness_level",
    }


def test_seed_000_garbled_text_is_kept_and_marked_unreadable():
    lines, _ = run("yiyang-2019", 2019)
    reg = next(x for x in lines if x["code"] == "coverage_rate_registered")
    assert reg["unreadable"] is True and reg["original_text"] == "9参20%"
    assert reg["actual"] is None and reg["score"] == 0 and "无法辨认" in reg["deviation"]
    doc = yaml.safe_load((FACTS / "yiyang-2019.facts.yaml").read_text(encoding="utf-8"))
    assert doc["values"]["coverage_rate_registered"]["unreadable"] is True
    # the "≥" printed as "2" stays in the framework's source text, read as ≥
    fw = yaml.safe_load(
        (ROOT / "src/yibao/evaluate/frameworks/yiyang-2019.yaml").read_text(encoding="utf-8")
    )
    texts = [
        leaf["source_text"] for g in fw["tree"] for s in g["children"] for leaf in s["children"]
    ]
    assert any("295%" in t for t in texts) and any("2520元/人" in t for t in texts)
