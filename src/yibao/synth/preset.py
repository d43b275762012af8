"""Synthetic-region presets: who lives there, how they use care, and what is planted.

A preset YAML (``synth/presets/NAME.yaml``) names the region, its counties with their resident
insured counts at scale 1, the policy preset, and overrides of the calibration defaults below.
The defaults are DOMAIN.md §4's national figures; a preset changes only what its seed says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from yibao.refdata import area_codes

PRESET_DIR = Path(__file__).parent / "presets"


class SynthPresetError(ValueError):
    pass


#: Age bands (lower bound, share of the resident insured), a rural-central-China pyramid.
PYRAMID: tuple[tuple[int, float], ...] = (
    (0, 0.060),
    (5, 0.065),
    (10, 0.062),
    (15, 0.055),
    (20, 0.055),
    (25, 0.062),
    (30, 0.070),
    (35, 0.065),
    (40, 0.066),
    (45, 0.082),
    (50, 0.085),
    (55, 0.072),
    (60, 0.060),
    (65, 0.050),
    (70, 0.035),
    (75, 0.022),
    (80, 0.012),
    (85, 0.005),
)
AGE_MAX = 95

#: Admissions per person-year by age band lower bound (DOMAIN §4: 15–21 % overall, more with age).
INPATIENT_RATE_BY_AGE: tuple[tuple[int, float], ...] = (
    (0, 0.13),
    (5, 0.065),
    (15, 0.09),
    (45, 0.16),
    (60, 0.29),
    (70, 0.40),
    (80, 0.48),
)
#: Share of the chronically ill (门诊慢特病) by age band lower bound.
CHRONIC_SHARE_BY_AGE: tuple[tuple[int, float], ...] = (
    (0, 0.002),
    (30, 0.02),
    (45, 0.07),
    (60, 0.16),
    (70, 0.22),
)


@dataclass(frozen=True)
class LevelCare:
    """Per hospital level: how many per 100k insured, share of admissions, cost and stay."""

    per_100k: float
    admission_share: float
    mean_cost: int  # 元 per admission (lognormal mean)
    mean_los: float  # days
    sigma: float = 0.6  # lognormal shape: tertiary costs have the heavy tail that 大病 pays for


DEFAULT_LEVELS: dict[str, LevelCare] = {
    # DOMAIN §4: 三级 ≈ 11–14 k, 二级 ≈ 6.6 k, 一级 ≈ 3.6 k per admission (2021 cost level).
    # Issue 12 calibration: the tertiary tail (sigma) is heavy enough that 大病保险 claims are of
    # the size of its premium, and the level mix keeps the resident fund's expense within a few
    # percent of its income, as in the national bulletins.
    "3": LevelCare(per_100k=0.6, admission_share=0.26, mean_cost=11800, mean_los=9.5, sigma=1.75),
    "2": LevelCare(per_100k=3.0, admission_share=0.45, mean_cost=6600, mean_los=7.5, sigma=1.15),
    "1": LevelCare(per_100k=12.0, admission_share=0.29, mean_cost=3600, mean_los=5.5),
}
#: Mean cost of an outpatient visit and of a 门诊慢特病 visit, 元 (2021 cost level).
OUTPATIENT_MEAN_COST = 80
CHRONIC_MEAN_COST = 300

#: Cost level of a year relative to 2021: the national average cost per hospital admission
#: (医院次均住院费用, 元) from the 全国卫生健康事业发展统计公报 of each year, so that a 2013
#: preset is not priced at 2021 levels.  2022 and 2023 are 待核对 (not checked against the
#: bulletins); years outside the table take the nearest one.
COST_PER_ADMISSION_BY_YEAR: dict[int, float] = {
    2013: 7442.3,
    2014: 7832.3,
    2015: 8268.1,
    2016: 8604.7,
    2017: 8890.7,
    2018: 9291.9,
    2019: 9848.4,
    2020: 10619.2,
    2021: 11002.3,
    2022: 10860.6,  # 待核对
    2023: 10315.7,  # 待核对
}
COST_BASE_YEAR = 2021


def cost_index(year: int) -> float:
    """Cost level of ``year`` relative to the calibration year (1.0 for 2021)."""
    known = sorted(COST_PER_ADMISSION_BY_YEAR)
    y = min(max(year, known[0]), known[-1])
    return COST_PER_ADMISSION_BY_YEAR[y] / COST_PER_ADMISSION_BY_YEAR[COST_BASE_YEAR]


#: Planted anomaly rates (share of resident insured, of claims, of hospitals, of levels).
DEFAULT_ANOMALIES: dict[str, float] = {
    "invalid_id": 0.0002,
    "duplicate_enrolment_region": 0.0010,
    "duplicate_enrolment_insutype": 0.0005,
    "deceased_enrolled": 0.0003,
    "overlapping_stay": 0.0004,
    "split_admission": 0.0006,
    "bed_hanging": 0.0003,
    "payment_mismatch": 0.0002,  # of claims
    "inflated_hospital": 0.03,  # of level-2/3 hospitals
    "subsidy_short": 1.0,  # number of (county, level) pairs paid short
}
ANOMALY_KINDS = tuple(DEFAULT_ANOMALIES)


@dataclass(frozen=True)
class SynthPreset:
    name: str
    label: str
    policy: str
    year: int
    prefecture: str
    counties: dict[str, int]  # county code → resident insured at scale 1
    benefits: str | None = None
    neighbours: tuple[str, ...] = ()
    employee_per_resident: float = 0.15
    retired_cadres_per_100k: float = 4.0
    retired_cadres: int | None = None
    identity_shares: dict[str, float] = field(
        default_factory=lambda: {"特困人员": 0.010, "低保对象": 0.045, "返贫致贫人口": 0.025}
    )
    partial_subsidy_share: dict[str, Decimal] = field(
        default_factory=lambda: {"低保对象": Decimal("0.5"), "返贫致贫人口": Decimal("0.5")}
    )
    coverage: float = 0.97
    male_share: float = 0.51
    outpatient_visits: float = 3.5
    chronic_visits: float = 9.0
    offsite_share: float = 0.05
    policy_range_share: tuple[float, float] = (0.66, 0.88)
    levels: dict[str, LevelCare] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    anomalies: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ANOMALIES))
    survey_respondents_per_100k: float = 60.0

    @property
    def cost_index(self) -> float:
        """Cost level of the preset's year relative to 2021 (see COST_PER_ADMISSION_BY_YEAR)."""
        return cost_index(self.year)

    @property
    def total_insured(self) -> int:
        return sum(self.counties.values())

    def county_counts(self, scale: float) -> dict[str, int]:
        """Resident insured per county at ``scale`` (at least 50 each, so rates stay meaningful)."""
        return {c: max(50, round(n * scale)) for c, n in self.counties.items()}


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_preset(name: str) -> SynthPreset:
    path = Path(name) if name.endswith((".yaml", ".yml")) else PRESET_DIR / f"{name}.yaml"
    if not path.exists():
        raise SynthPresetError(
            f"没有名为 {name!r} 的合成区域预设; 可用: {', '.join(preset_names())}"
        )
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    known = set(area_codes())
    counties = {str(c): int(v["insured"]) for c, v in (doc.get("counties") or {}).items()}
    if not counties:
        raise SynthPresetError(f"{path.name}: counties 不能为空")
    for code in [*counties, *(doc.get("neighbours") or [])]:
        if str(code) not in known:
            raise SynthPresetError(f"{path.name}: {code} 不是现行 GB/T 2260 区划代码")
    anomalies = dict(DEFAULT_ANOMALIES)
    for k, v in (doc.get("anomalies") or {}).items():
        if k not in anomalies:
            raise SynthPresetError(
                f"{path.name}: 未知的异常类型 {k!r}; 可用: {', '.join(anomalies)}"
            )
        anomalies[k] = float(v)
    return SynthPreset(
        name=doc["preset"],
        label=doc.get("label", doc["preset"]),
        policy=doc["policy"],
        year=int(doc["year"]),
        prefecture=str(doc["prefecture"]),
        counties=counties,
        benefits=doc.get("benefits"),
        neighbours=tuple(str(c) for c in doc.get("neighbours") or ()),
        employee_per_resident=float(doc.get("employee_per_resident", 0.15)),
        retired_cadres=doc.get("retired_cadres"),
        anomalies=anomalies,
    )


def with_anomaly_rates(preset: SynthPreset, rates: dict[str, float]) -> SynthPreset:
    """A copy with some anomaly rates replaced (``--rate kind=value``)."""
    from dataclasses import replace

    unknown = set(rates) - set(ANOMALY_KINDS)
    if unknown:
        raise SynthPresetError(
            f"未知的异常类型 {sorted(unknown)}; 可用: {', '.join(ANOMALY_KINDS)}"
        )
    return replace(preset, anomalies={**preset.anomalies, **rates})
