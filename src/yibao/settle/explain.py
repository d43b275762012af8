"""Step-by-step explanation of one settled claim, from its trace columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.money import PPM, from_fen, pct_text
from yibao.schema.codes import ORDINARY
from yibao.settle.chain import EMPLOYEE_KINDS, KINDS
from yibao.settle.identity import SOURCE_CLAIM, SOURCE_DEFAULT
from yibao.settle.params import NO_CAP

NONE = from_fen(NO_CAP)


def _pct(ppm: int) -> str:
    return pct_text(Decimal(ppm) / PPM, 4)


def _cap(v: Decimal) -> str:
    return "不设限额" if v >= NONE else f"{v:,}"


def _yuan(fen: int) -> Decimal:
    return from_fen(fen)


def identity_line(row: dict[str, Any], claim: dict[str, Any]) -> str:
    """人员身份类别 used and where it came from (the claim, an enrolment, the register)."""
    if "psn_idet_source" in row:
        who, source = row.get("psn_idet_type") or ORDINARY, row["psn_idet_source"]
    elif claim.get("psn_idet_type"):
        who, source = claim["psn_idet_type"], SOURCE_CLAIM
    else:
        who, source = ORDINARY, SOURCE_DEFAULT
    return f"人员身份类别 {who}(来源:{source})"


def explain_row(row: dict[str, Any], claim: dict[str, Any] | None = None) -> str:
    claim = claim or {}
    r = {
        k[: -len("_fen")] if k.endswith("_fen") else k: _yuan(v) if k.endswith("_fen") else v
        for k, v in row.items()
    }
    lines = [
        f"结算单 {r['setl_id']}(人员 {r['psn_no']},{r['year']} 年度;"
        f"政策时期自 {r['policy_from']} 起)"
    ]
    if claim:
        lines.append(
            f"  医疗费总额 {claim['medfee_sumamt']:,},符合政策范围金额 "
            f"{claim['inscp_scp_amt']:,};险种 {claim['insutype']},医疗类别 "
            f"{claim['med_type']},结算等级 {claim.get('hi_setl_lv') or '-'},"
            f"异地 {claim.get('offsite_flag') or '0'}"
        )
    lines.append("  " + identity_line(row, claim))
    kind = KINDS[r["kind"]]
    if r["kind"] in EMPLOYEE_KINDS:
        return "\n".join(lines + _employee_lines(r, kind))
    lines.append(f"1. 基本医保统筹基金({kind}):")
    lines.append(
        f"   (符合政策范围金额 − 起付线 {r['deductible']:,}) × 支付比例 "
        f"{_pct(r['ratio_ppm'])} = {r['basic_raw']:,}(四舍五入到分)"
    )
    cum, cap, raw = r["basic_cum"], r["basic_cap"], r["basic_raw"]
    lines.append(
        f"   年度累计 {cum - raw:,} → {cum:,},年度限额 {_cap(cap)}:"
        f"min({cum:,}, 限额) − min({cum - raw:,}, 限额) = {r['hifp_pay']:,}"
    )
    if r["kind"] == "R":
        lines.append("2. 大病保险:离休干部不适用。3. 医疗救助:离休干部不适用。")
    else:
        lines.append(
            f"2. 大病保险:本次基数 = 符合政策范围金额 − 统筹支付 = {r['ci_base']:,};"
            f"年度累计 {r['ci_cum'] - r['ci_base']:,} → {r['ci_cum']:,}"
            + (",按困难人员起付线和提高后的比例" if r["poor"] else "")
        )
        lines.append(
            f"   F(累计后) − F(累计前) = {r['ci_f_after']:,} − {r['ci_f_before']:,} = "
            f"{r['hifmi_pay']:,}"
        )
        if r["maf_rate_ppm"]:
            lines.append(
                f"3. 医疗救助:({r['maf_base']:,}) × {_pct(r['maf_rate_ppm'])} = "
                f"{r['maf_raw']:,};年度累计 {r['maf_cum'] - r['maf_raw']:,} → "
                f"{r['maf_cum']:,},限额 {r['maf_limit']:,} → {r['maf_pay']:,}"
            )
        else:
            lines.append("3. 医疗救助:该身份类别或医疗类别不享受救助,0.00")
    lines.append(f"4. 个人负担 = 医疗费总额 − 统筹 − 大病 − 救助 = {r['psn_part_amt']:,}")
    return "\n".join(lines)


def _employee_lines(r: dict[str, Any], kind: str) -> list[str]:
    """职工医保: basic fund, 大额医疗费用补助, no 大病/救助, the account check."""
    cum, cap, raw = r["basic_cum"], r["basic_cap"], r["basic_raw"]
    out = [f"1. 职工基本医保统筹基金({kind}):"]
    if r["kind"] == "EG":
        out += [
            f"   F(x) = max(年度累计符合政策范围金额 − 年度起付线 {r['deductible']:,}, 0) × "
            f"{_pct(r['ratio_ppm'])};round F(累计后) − round F(累计前) = {cum:,} − "
            f"{cum - raw:,} = {raw:,}",
            f"   年度限额 {_cap(cap)}:min({cum:,}, 限额) − min({cum - raw:,}, 限额) = "
            f"{r['hifp_pay']:,}",
            "2. 大额医疗费用补助:普通门诊不适用,0.00",
        ]
    else:
        out += [
            f"   (符合政策范围金额 − 起付线 {r['deductible']:,}) × 支付比例 "
            f"{_pct(r['ratio_ppm'])} = {raw:,}(四舍五入到分)",
            f"   住院与门诊慢特病年度累计 {cum - raw:,} → {cum:,},年度限额 {_cap(cap)}:"
            f"min({cum:,}, 限额) − min({cum - raw:,}, 限额) = {r['hifp_pay']:,}",
        ]
        ob = r["hifob_cap"]
        out.append(
            f"2. 大额医疗费用补助:[min({cum:,}, {ob:,}) − min({cum - raw:,}, {ob:,})] − 统筹 "
            f"{r['hifp_pay']:,} = {r['hifob_pay']:,}"
        )
    out.append("   职工医保不适用大病保险和医疗救助:0.00")
    out.append(
        f"3. 个人负担 = 医疗费总额 − 统筹 − 大额补助 = {r['psn_part_amt']:,};"
        f"其中个人账户支出(记录){r['acct_pay']:,}"
    )
    if r["acct_excess"] > 0:
        out.append(f"   差异:个人账户支出超过个人负担 {r['acct_excess']:,}")
    return out
