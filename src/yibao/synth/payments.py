"""Recorded fund payments of generated claims, and the planted payment mismatches.

The bureau's system computed the payments under its policy.  Here an independent numpy
settlement (``fundpay``, written from DOMAIN.md and the policy, not from yibao's chain)
stands in for that system, so that "settling reproduces the recorded payments except the
planted ones" compares the chain with another computation, not with itself.  A person's
claims are always in one chunk, so paying chunk by chunk gives the same result as paying the
whole year.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from yibao.policy.loader import Policy

from .fundpay import with_payments
from .vec import fen_of, money, yuan_str

FUND_COLUMNS = ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt")


class Payer:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def pay(self, claims: pa.Table) -> pa.Table:
        """``claims`` with the four payment columns appended, in the same row order."""
        return with_payments(claims, self.policy)

    def close(self) -> None:
        """Nothing to release (kept for the generator's try/finally)."""


def plant_mismatches(
    rng: np.random.Generator, claims: pa.Table, rate: float, at_least_one: bool
) -> tuple[pa.Table, list[dict]]:
    """Change the recorded 统筹 (or 大病) payment of a few claims; the row still adds up."""
    hifp = fen_of(claims.column("hifp_pay"))
    hifmi = fen_of(claims.column("hifmi_pay"))
    psn = fen_of(claims.column("psn_part_amt"))
    plain = np.asarray(claims.column("_plant").to_numpy(zero_copy_only=False)) == ""
    pool = np.flatnonzero(plain & (hifp > 1000) & (psn > 1000))
    k = round(rate * claims.num_rows)
    if at_least_one and rate > 0:
        k = max(k, 1)
    k = min(k, len(pool))
    if k == 0:
        return claims, []
    rows = np.sort(rng.choice(pool, size=k, replace=False))
    use_ci = (hifmi[rows] > 1000) & (rng.random(k) < 0.3)
    base = np.where(use_ci, hifmi[rows], hifp[rows])
    cap = np.minimum(np.minimum(base, psn[rows]) - 1, 50_000)
    delta = rng.integers(100, np.maximum(cap, 101) + 1)
    delta = np.minimum(delta, cap) * np.where(rng.random(k) < 0.7, 1, -1)
    hifp = hifp.copy()
    hifmi = hifmi.copy()
    psn = psn.copy()
    hifp[rows[~use_ci]] += delta[~use_ci]
    hifmi[rows[use_ci]] += delta[use_ci]
    psn[rows] -= delta
    for name, arr in (("hifp_pay", hifp), ("hifmi_pay", hifmi), ("psn_part_amt", psn)):
        claims = claims.set_column(claims.schema.get_field_index(name), name, money(arr))
    ids = claims.column("setl_id").take(pa.array(rows)).to_pylist()
    truth = [
        {
            "kind": "payment_mismatch",
            "table": "claims",
            "key": sid,
            "amount_at_risk": yuan_str(abs(int(d))),
            "detail": f"{'hifmi_pay' if ci else 'hifp_pay'} 记录值比政策计算值"
            f" {'+' if d > 0 else ''}{yuan_str(int(d))}",
        }
        for sid, d, ci in zip(ids, delta, use_ci, strict=True)
    ]
    return claims, truth
