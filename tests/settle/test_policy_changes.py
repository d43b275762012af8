"""A cap that changes mid-year (no telescoping: the second-pass path) and a 大病 annual cap."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from yibao.policy import load_policy
from yibao.settle.params import build_periods
from yibao.settle.run import CLAIM_COLUMNS, settle_file

POLICY = """
preset: demo-county-changes
label: 示范县(年中调整封顶线,大病设年度限额)
extends: demo-county
parameters:
  basic:
    annual_cap:
      description: 统筹基金年度限额,年中上调
      type: amount
      unit: 元/人/年
      reference: 测试
      values:
        2021-01-01: 50000
        2021-07-01: 150000
  critical_illness:
    annual_cap:
      description: 大病保险年度限额
      type: amount
      unit: 元/人/年
      reference: 测试
      values:
        2021-01-01: 10000
"""


def test_mid_year_cap_change_and_critical_illness_cap(tmp_path: Path):
    pol = tmp_path / "changes.yaml"
    pol.write_text(POLICY, encoding="utf-8")
    spec, periods = build_periods(load_policy(pol))
    assert not spec.ci_telescopes and periods.num_rows == 2
    f = tmp_path / "c.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(CLAIM_COLUMNS))
        w.writeheader()
        for sid, when in (("C1", "2021-03-01 09:00:00"), ("C2", "2021-08-01 09:00:00")):
            w.writerow(
                {
                    "setl_id": sid,
                    "psn_no": "P1",
                    "insutype": "390",
                    "med_type": "21",
                    "hi_setl_lv": "3",
                    "offsite_flag": "0",
                    "psn_idet_type": "普通人员",
                    "setl_time": when,
                    "medfee_sumamt": "100000.00",
                    "inscp_scp_amt": "90000.00",
                }
            )
    outcome = settle_file(str(pol), f)
    assert outcome.ok, outcome.errors
    got = {r["setl_id"]: r for r in outcome.result.to_pylist()}
    # C1: 57,980 capped at 50,000; base 40,000 → F = 16,800, capped at 10,000.
    assert (got["C1"]["hifp_pay"], got["C1"]["hifmi_pay"]) == (
        Decimal("50000.00"),
        Decimal("10000.00"),
    )
    # C2: cap now 150,000: min(115,960) − min(57,980) = 57,980; base 32,020, cumulative 72,020;
    # F = 37,113 but the 大病 cap of 10,000 is used up: 0.
    assert (got["C2"]["hifp_pay"], got["C2"]["hifmi_pay"]) == (Decimal("57980.00"), Decimal("0.00"))
    assert got["C2"]["ci_cum_fen"] == 7_202_000 and got["C2"]["ci_f_after_fen"] == 3_711_300
    assert got["C2"]["psn_part_amt"] == Decimal("42020.00")
