"""Checks across the cells of a row (row rules) and across rows (keys), over a prepared table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from yibao.identity.engine import certno_birth
from yibao.ingest.cells import (
    KEY_COLUMNS,
    ROW,
    cell_text,
    error_rows,
    id_problem,
    typed_value,
)
from yibao.ingest.keys import key_expr
from yibao.schema.model import Table


def row_rule_errors(t: ir.Table, table: Table, today: date) -> list[ir.Table]:
    out = []
    for rule in table.row_rules:
        v = {c: typed_value(t, table.column(c)) for c in rule.columns}
        s = {c: cell_text(t, table.column(c)) for c in rule.columns}
        if rule.name == "inscp_le_medfee":
            mask = v["inscp_scp_amt"] > v["medfee_sumamt"]
            shown = s["inscp_scp_amt"] + " > " + s["medfee_sumamt"]
            out.append(error_rows(t, mask, "inscp_scp_amt", shown, rule.reason))
        elif rule.name == "adm_le_dscg":
            mask = v["adm_time"] > v["dscg_time"]
            out.append(
                error_rows(
                    t, mask, "dscg_time", s["adm_time"] + " > " + s["dscg_time"], rule.reason
                )
            )
        elif rule.name == "funds_le_medfee":
            zero = ibis.literal(Decimal("0"), "decimal(18,2)")
            # Every fund the rule names (all but the last column, the total); a missing one is 0.
            funds = sum(
                (v[c].fill_null(zero) for c in rule.columns[1:-1]),
                v[rule.columns[0]].fill_null(zero),
            )
            out.append(
                error_rows(
                    t, funds > v["medfee_sumamt"], "medfee_sumamt", s["medfee_sumamt"], rule.reason
                )
            )
        elif rule.name == "brdy_matches_certno":
            cert = s["certno"]
            mask = (
                cert.notnull()
                & id_problem(t, "certno", today).isnull()
                & (v["brdy"] != certno_birth(cert))
            )
            shown = s["brdy"] + " ≠ " + cert.substr(6, 8)
            out.append(error_rows(t, mask, "brdy", shown, rule.reason))
        elif rule.name == "birth_before_death":
            out.append(
                error_rows(
                    t, v["brdy"] > v["death_date"], "death_date", s["death_date"], rule.reason
                )
            )
        else:  # pragma: no cover - a schema error, caught by tests
            raise ValueError(f"unknown row rule {rule.name}")
    return out


ALREADY = "_already"  # column_name of rows identical to one already loaded (not quarantined)


def key_errors(t: ir.Table, table: Table, existing: ir.Table | None) -> list[ir.Table]:
    """Duplicate keys inside the file, and keys already loaded from another file.

    Keys are compared in their normal form (:mod:`yibao.ingest.keys`); the error shows the
    key as the file wrote it.  A row identical to the loaded one (an overlapping re-export)
    is reported under :data:`ALREADY`: the loader neither loads nor quarantines it, so the
    personal record is not stored a second time.  A row whose key exists with other values
    is a conflict and is quarantined.
    """
    keys = [cell_text(t, table.column(k)) for k in table.key]
    labels = "+".join(table.column(k).label for k in table.key)

    def joined(cols: list[ir.Value]) -> ir.StringValue:
        return (
            cols[0] if len(cols) == 1 else ibis.literal("|").join([k.fill_null("") for k in cols])
        )

    originals = (t[f"o__{k}"] if f"o__{k}" in t.columns else None for k in table.key)
    shown = joined([o if o is not None else k for o, k in zip(originals, keys, strict=True)])
    normal = joined(keys)
    note = ibis.cases(
        (shown != normal, "(忽略全角/半角、大小写和首尾空白后为 " + normal + ")"), else_=""
    )
    # The keys that repeat, by aggregate (a window would partition every row of the file by
    # key); only their rows are joined back.  NULL keys repeat like any other (IS NOT DISTINCT).
    key_t = t.select(ROW, **{f"k{i}": k for i, k in enumerate(keys)})
    names = [f"k{i}" for i in range(len(keys))]
    dup = (
        key_t.group_by(names)
        .aggregate(_first=key_t[ROW].min(), _n=key_t.count())
        .filter(lambda d: d._n > 1)
        .drop("_n")
    )
    w = t.mutate(_shown=shown, _note=note)
    wk = w.mutate(**{f"k{i}": k for i, k in enumerate(keys)})
    d = wk.inner_join(dup, [wk[n].identical_to(dup[n]) for n in names])
    out = [
        error_rows(
            d,
            d[ROW] != d["_first"],
            table.key[0],
            d["_shown"],
            f"{labels}重复" + d["_note"] + ",与文件第" + d["_first"].cast("string") + "行相同",
        )
    ]
    if existing is not None:
        ex = existing.select(
            **{
                f"k__{k}": key_expr(existing[k]) if k in KEY_COLUMNS else existing[k].cast("string")
                for k in table.key
            },
            **{f"e__{c.name}": existing[c.name] for c in table.columns},
        )
        j = w.inner_join(ex, [cell_text(w, table.column(k)) == ex[f"k__{k}"] for k in table.key])
        same = ibis.literal(True)
        for c in table.columns:
            same = same & typed_value(j, c).cast(c.ibis_type).identical_to(j[f"e__{c.name}"])
        j = j.mutate(_same=same)
        out.append(error_rows(j, j._same, ALREADY, j["_shown"], "此前已导入(与工作区中的记录相同)"))
        out.append(
            error_rows(
                j,
                ~j._same,
                table.key[0],
                j["_shown"],
                f"{labels}已存在于工作区(此前已从其他文件导入),但本行其他内容与已导入的不同",
            )
        )
    return out
