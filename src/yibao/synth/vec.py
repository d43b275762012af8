"""Vectorised building blocks: strings, dates and resident IDs over whole numpy arrays.

The generator never loops over people or claims in Python; these helpers turn integer arrays
into the text and date columns of an export in one call each.
"""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yibao.identity.engine import check_char_expr


def zpad(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values, pa.int64()).cast(pa.string()), width, "0")


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation; plain ``str`` parts are broadcast."""
    return pc.binary_join_element_wise(*parts, "")


def take_str(pool: list[str] | np.ndarray, index: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(pool, dtype=object)[index], pa.string())


def date_parts(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of a datetime64[D] array."""
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (
        y.astype(np.int64) + 1970,
        (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
        (d - m.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def certno(
    area: np.ndarray, year: np.ndarray, month: np.ndarray, day: np.ndarray, seq: np.ndarray
) -> pa.Array:
    """GB 11643 IDs from their parts (DOMAIN §8); the check character comes from the one
    engine-side implementation, run on an in-memory DuckDB over the whole array."""
    body = concat(zpad(area, 6), zpad(year, 4), zpad(month, 2), zpad(day, 2), zpad(seq, 3))
    if len(body) == 0:
        return body
    con = ibis.duckdb.connect()
    try:
        t = ibis.memtable(pa.table({"n": pa.array(np.arange(len(body))), "body": body}))
        out = con.to_pyarrow(t.select(t.n, c=t.body + check_char_expr(t.body)).order_by("n"))
    finally:
        con.disconnect()
    return out.column("c").combine_chunks()


def unique_seq(rng: np.random.Generator, group: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Sequence numbers (odd for men, even for women) unique within ``group`` and sex.

    ``group`` identifies area + birth date.  Members are ranked inside their group and spread
    over the 499 possible values with a random offset and a stride coprime to 499, so that IDs
    look natural and never collide.
    """
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    key = group * 2 + male.astype(np.int64)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    starts = np.r_[0, np.flatnonzero(sk[1:] != sk[:-1]) + 1]
    sizes = np.diff(np.r_[starts, n])
    if sizes.max() > 499:
        raise ValueError("同一地区同日同性别出生的人数超过 499,无法编制唯一身份证号顺序码")
    first = np.repeat(starts, sizes)
    rank = np.arange(n) - first
    offset = np.repeat(rng.integers(0, 499, size=len(starts)), sizes)
    k = (rank * 173 + offset) % 499
    seq_sorted = 2 * k + np.where(male[order], 1, 2)
    seq = np.empty(n, dtype=np.int64)
    seq[order] = seq_sorted
    return seq


def expand(owners: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repeat each owner ``counts`` times; also return each copy's rank (0, 1, …) within it."""
    owner = np.repeat(owners, counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - np.repeat(starts, counts)


def money(fen: np.ndarray) -> pa.Array:
    """Integer fen → DECIMAL(18,2) 元 exactly: the fen count *is* the decimal's unscaled value."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = fen >> 63  # two's-complement sign extension to 128 bits
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(fen), [None, pa.py_buffer(words)])


def fen_of(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """DECIMAL(…,2) → integer fen (exact; nulls become 0)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    arr = pc.fill_null(values.cast(pa.decimal128(18, 2)), pa.scalar(0, pa.decimal128(18, 2)))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset :]
    return words[0 : 2 * len(arr) : 2].copy()


def yuan_str(fen: int) -> str:
    """Integer fen as 元 text with two decimals, without passing through a float."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
