"""The generator's recorded payments (numpy, synth/fundpay.py) equal the tests' reference.

Neither is the settlement chain, so synth and recall tests compare the chain with an
independent computation instead of with itself.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle.settle_ref import settle_reference
from oracle.strategies import POLICIES, claim_sets, to_table
from yibao.synth.fundpay import pay_fen, with_payments
from yibao.synth.vec import fen_of

FUNDS = ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt", "hifob_pay")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(POLICIES)), claims=claim_sets(max_claims=40))
def test_vectorised_payments_equal_the_reference(name, claims):
    policy = POLICIES[name]
    ref = settle_reference(claims, policy)
    got = pay_fen(to_table(claims), policy)
    for k, c in enumerate(claims):
        want = tuple(int(ref[c["setl_id"]][f] * 100) for f in FUNDS)
        assert tuple(int(a[k]) for a in got) == want, (c, want)


def test_payments_are_appended_as_exact_decimals_in_row_order():
    claims = [
        {
            "setl_id": sid,
            "psn_no": "P1",
            "insutype": "390",
            "med_type": "11",
            "hi_setl_lv": None,
            "offsite_flag": "0",
            "psn_idet_type": "普通人员",
            "setl_time": datetime(2021, 3, 1, 9),
            "medfee_sumamt": Decimal(amount),
            "inscp_scp_amt": Decimal(amount),
        }
        for sid, amount in (("B", "500.00"), ("A", "700.00"), ("C", "0.01"))
    ]
    out = with_payments(to_table(claims), POLICIES["demo-county"])
    # Same time: A (700 × 50 % = 350) comes first, B gets the remaining 50, C nothing; the
    # fen of C's 0.005 rounds half-up, but the limit is used up.
    assert fen_of(out.column("hifp_pay")).tolist() == [5000, 35000, 0]
    assert fen_of(out.column("psn_part_amt")).tolist() == [45000, 35000, 1]
    assert out.schema.field("hifp_pay").type.scale == 2


def test_a_claim_without_a_rule_or_an_inpatient_level_is_refused_not_paid_zero():
    base = {
        "setl_id": "X1", "psn_no": "P1", "insutype": "390", "med_type": "21", "hi_setl_lv": None,
        "offsite_flag": "0", "psn_idet_type": "普通人员", "setl_time": datetime(2021, 3, 1),
        "medfee_sumamt": Decimal("10.00"), "inscp_scp_amt": Decimal("10.00"),
    }  # fmt: skip
    with pytest.raises(ValueError, match="X1.*结算等级"):
        pay_fen(to_table([base]), POLICIES["demo-county"])
    with pytest.raises(ValueError, match="X1"):
        pay_fen(to_table([base | {"med_type": "99"}]), POLICIES["demo-county"])
