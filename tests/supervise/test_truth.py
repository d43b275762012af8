"""Precision and recall against a hand-made truth file (the generator's contract)."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from yibao.cli import app
from yibao.supervise import run_supervision
from yibao.supervise.truth import compare_truth

YEAR = 2021


def _truth(tmp_path, rows: list[str]):
    d = tmp_path / "synth"
    (d / "truth").mkdir(parents=True)
    (d / "truth" / "anomalies.csv").write_text(
        "kind,table,key,amount_at_risk,detail\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return d


def test_precision_and_recall_per_kind(data, make_ws, tmp_path):
    for h in ("H1", "H2"):
        data.hospital(h)
    data.person("P1")
    data.stay("S1", "P1", "H1", date(YEAR, 3, 1), date(YEAR, 3, 10))
    data.stay("S2", "P1", "H2", date(YEAR, 3, 5), date(YEAR, 3, 8))  # planted: found
    data.person("P2")
    data.stay("S3", "P2", "H1", date(YEAR, 5, 1), date(YEAR, 5, 10))
    data.stay("S4", "P2", "H2", date(YEAR, 5, 2), date(YEAR, 5, 4))  # not planted: false lead
    data.person("P3", death_date=date(YEAR - 1, 1, 1))
    data.enrol("P3")
    ws = make_ws(data)
    run_supervision(ws, YEAR)
    truth = _truth(
        tmp_path,
        [f"bed_hanging,claims,X{i},1.00,plain" for i in range(30_000)]
        + [
            "overlapping_stay,claims,S2,1.00,",
            "overlapping_stay,claims,S9,1.00,",  # planted, missed
            "deceased_enrolled,persons,P3,580.00,",
            'subsidy_short,subsidy_receipts,430921|省级,100.00,"应到 1 元,实到 0 元"',
        ],
    )
    scores = {s.kind: s for s in compare_truth(ws, YEAR, truth)}
    ov = scores["overlapping_stay"]
    assert (ov.planted, ov.found, ov.matched) == (2, 2, 1)
    assert ov.recall == 0.5 and ov.precision == 0.5 and not ov.meets_targets
    assert scores["deceased_enrolled"].recall == 1.0 and scores["deceased_enrolled"].meets_targets
    assert scores["subsidy_short"].rule is None  # finance, not screened here
    # The quoted detail with a comma comes after 30,000 plain rows (CSV sniffer's sample).
    assert scores["bed_hanging"].planted == 30_000 and scores["bed_hanging"].recall == 0.0
    ws.close()

    runner = CliRunner()
    res = runner.invoke(
        app, ["supervise", str(ws.path), "--year", str(YEAR), "--against-truth", str(truth)]
    )
    assert res.exit_code == 1 and "召回率" in res.output and "50.0%" in res.output
    res = runner.invoke(
        app, ["supervise", str(ws.path), "--year", "2021", "--against-truth", str(tmp_path)]
    )
    assert res.exit_code == 2 and "找不到真值文件" in res.output
