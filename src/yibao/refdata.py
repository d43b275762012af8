"""Real national code lists (GB/T 2260 areas, ICD-10 医保版, CHS-DRG 1.1) loaded from disk.

The lists live in the shared data folder (see its README.md) and are read lazily and cached,
so that rules and generators use exactly the codes bureaus use instead of retyped copies.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "VALID_PROVINCE_PREFIXES",
    "AreaCode",
    "area_codes",
    "area_history",
    "area_name",
    "complication_levels",
    "counties_of",
    "data_dir",
    "drg_groups",
    "icd10_diagnoses",
    "prefecture_of",
    "procedures",
    "province_of",
]

ENV_VAR = "YIBAO_DATA_DIR"


def _ranges(*spans: tuple[int, int]) -> frozenset[str]:
    return frozenset(f"{n:02d}" for lo, hi in spans for n in range(lo, hi + 1))


# Province prefixes valid in a mainland resident ID (DOMAIN.md §8). 71/81/82 (Taiwan, Hong Kong,
# Macau) are GB/T 2260 codes but are not issued in GB 11643 resident IDs, hence excluded.
VALID_PROVINCE_PREFIXES: frozenset[str] = _ranges(
    (11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65)
)

_CODE6 = re.compile(r"\d{6}")


def _repo_root() -> Path | None:
    """The folder holding pyproject.toml above this file, if running from a checkout."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def data_dir() -> Path:
    """Locate the shared reference-data folder; YIBAO_DATA_DIR wins so deployments can move it."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(
                f"环境变量 {ENV_VAR} 指向的参考数据目录不存在：{path}。"
                f" / {ENV_VAR} points to a missing reference-data folder: {path}."
            )
        return path
    candidates: list[Path] = []
    root = _repo_root()
    if root is not None:
        candidates.append(root.parent / "shared" / "data")
    cwd = Path.cwd()
    candidates += [cwd.parent / "shared" / "data", cwd / "shared" / "data"]
    for cand in candidates:
        if cand.is_dir():
            return cand.resolve()
    tried = "、".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"找不到参考数据目录（已查找：{tried}），请设置环境变量 {ENV_VAR} 指向 shared/data 目录。"
        f" / Reference-data folder not found (tried: {tried}); set {ENV_VAR} to the shared/data"
        " folder."
    )


def _read_code_name(path: Path) -> dict[str, str]:
    """Parse `code name` lines; only the first space separates, since names may contain spaces."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            code, sep, name = line.partition(" ")
            if not sep:
                raise ValueError(f"{path}:{lineno}: 缺少名称 / missing name: {line!r}")
            out[code] = name.strip()
    return out


@cache
def area_codes() -> dict[str, str]:
    """Current (2024) GB/T 2260 codes → name; these are the codes valid for new records."""
    return _read_code_name(data_dir() / "gbt2260" / "2024.txt")


@dataclass(frozen=True)
class AreaCode:
    """One GB/T 2260 code as it was last used; old IDs keep codes that were later abolished."""

    code: str
    name: str
    level: str  # 省级 / 地级 / 县级, as given in the history file
    in_use: bool
    successor: str | None  # first listed replacement code when abolished, else None


def _level_from_code(code: str) -> str:
    if code.endswith("0000"):
        return "省级"
    if code.endswith("00"):
        return "地级"
    return "县级"


def _row_rank(row: dict[str, str]) -> tuple[int, int, int]:
    """Order rows of a reused code so the in-use or most recently started one wins."""

    def year(value: str) -> int:
        return int(value) if value.strip().isdigit() else 0

    return (row["状态"] == "在用", year(row["启用时间"]), year(row["变更/弃用时间"]))


@cache
def area_history() -> dict[str, AreaCode]:
    """Every code ever used (result.csv) merged with the 2024 list, keyed by code.

    A code can appear several times (renamed or reused); the in-use row, else the latest one,
    decides name and level. ``in_use`` and current names come from 2024.txt.
    """
    current = area_codes()
    best: dict[str, dict[str, str]] = {}
    with (data_dir() / "gbt2260" / "result.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["代码"].strip()
            if not _CODE6.fullmatch(code):
                continue
            if code not in best or _row_rank(row) > _row_rank(best[code]):
                best[code] = row

    history: dict[str, AreaCode] = {}
    for code, row in best.items():
        in_use = code in current
        successor: str | None = None
        if not in_use:
            # 新代码 looks like "130102;130104" or "120113[2020]"; the bracket is a year.
            found = [c for c in _CODE6.findall(row["新代码"]) if c != code]
            successor = found[0] if found else None
        history[code] = AreaCode(
            code=code,
            name=current.get(code, row["名称"].strip()),
            level=row["级别"].strip() or _level_from_code(code),
            in_use=in_use,
            successor=successor,
        )
    for code, name in current.items():
        if code not in history:
            history[code] = AreaCode(code, name, _level_from_code(code), True, None)
    return history


def area_name(code: str) -> str | None:
    """Name of any code ever used (current name if still in use), so old IDs still resolve."""
    entry = area_history().get(code)
    return entry.name if entry else None


def province_of(code: str) -> str | None:
    """Province code XX0000 for any 6-digit code, or None if that province code never existed."""
    if not _CODE6.fullmatch(code):
        return None
    prov = code[:2] + "0000"
    return prov if prov in area_history() else None


def prefecture_of(code: str) -> str | None:
    """Prefecture code XXXX00 for a county or prefecture code.

    None for province codes and where no prefecture code exists (the counties of
    直辖市 and 省直辖县级行政区划 such as 429004 仙桃市 have none in the lists).
    """
    if not _CODE6.fullmatch(code) or code.endswith("0000"):
        return None
    pref = code[:4] + "00"
    return pref if pref in area_history() else None


def counties_of(prefecture_code: str) -> list[str]:
    """Current in-use county-level codes under a prefecture XXXX00, sorted."""
    is_prefecture = prefecture_code.endswith("00") and not prefecture_code.endswith("0000")
    if not (_CODE6.fullmatch(prefecture_code) and is_prefecture):
        raise ValueError(
            f"地级区划代码应为 6 位且以 00 结尾（非 0000）：{prefecture_code!r}"
            " / expected a prefecture code XXXX00"
        )
    prefix = prefecture_code[:4]
    return sorted(c for c in area_codes() if c.startswith(prefix) and not c.endswith("00"))


@cache
def icd10_diagnoses() -> dict[str, str]:
    """ICD-10 医保版 2.0 diagnosis code → Chinese name (ZD_INFO.dat)."""
    return _read_code_name(data_dir() / "chs-drg-1.1" / "ZD_INFO.dat")


@cache
def procedures() -> dict[str, str]:
    """ICD-9-CM-3 医保版 2.0 procedure code → name (SS_INFO.dat)."""
    return _read_code_name(data_dir() / "chs-drg-1.1" / "SS_INFO.dat")


@cache
def drg_groups() -> dict[str, str]:
    """CHS-DRG 1.1 group code → name (DRG.dat); no weights, those are regional."""
    return _read_code_name(data_dir() / "chs-drg-1.1" / "DRG.dat")


@cache
def complication_levels() -> dict[str, str]:
    """Diagnosis code → "MCC" or "CC" (CHS-DRG 1.1 MCC.dat, CC.dat); MCC wins over CC."""
    out = {code: "CC" for code in _read_code_name(data_dir() / "chs-drg-1.1" / "CC.dat")}
    out.update({code: "MCC" for code in _read_code_name(data_dir() / "chs-drg-1.1" / "MCC.dat")})
    return out
