"""Recorded fund payments of generated claims, computed by the settlement chain itself.

The bureau's system computed the payments under its policy; here the same policy file and
yibao's own chain (on an in-memory DuckDB) stand in for that system.  That the chain is right
is checked elsewhere, independently (examples/make_sample.py's plain-Python payments,
tests/settle); the generator only has to be consistent with it.  A person's claims are always
in one chunk, so settling chunk by chunk gives the same result as settling the whole year.
"""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yibao.policy.loader import Policy
from yibao.settle.chain import settle_chain
from yibao.settle.params import build_periods, chain_periods
from yibao.settle.run import CLAIM_COLUMNS

from .vec import fen_of, money, yuan_str

FUND_COLUMNS = ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt")


class Payer:
    def __init__(self, policy: Policy) -> None:
        self.spec, periods = build_periods(policy)
        self.starts = periods.column("p_start").to_pylist()
        self.periods = chain_periods(periods)
        self.con = ibis.duckdb.connect()
        self.con.raw_sql("SET threads = 2")

    def pay(self, claims: pa.Table) -> pa.Table:
        """``claims`` with the four payment columns appended, in the same row order."""
        t = self.con.create_table(
            "synth_claims", claims.select(list(CLAIM_COLUMNS)), overwrite=True
        )
        out = self.con.to_pyarrow(
            settle_chain(t, self.periods, self.starts, self.spec, trace=False)
        )
        pos = pc.index_in(claims.column("setl_id"), value_set=out.column("setl_id"))
        paid = out.take(pos)
        for col in FUND_COLUMNS:
            claims = claims.append_column(col, paid.column(col).cast(pa.decimal128(18, 2)))
        return claims

    def close(self) -> None:
        self.con.disconnect()


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
