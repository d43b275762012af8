"""The domain vocabulary, defined once: insurance types, medical types and their groups, hospital
levels, identity categories, budget levels.  Every step reads its codes from here, so that
"which medical types are inpatient" or "which insurance type is the resident fund" has one answer.
"""

from __future__ import annotations

INSUTYPE = {
    "310": "职工基本医疗保险",
    "320": "公务员医疗补助",
    "330": "大额医疗费用补助",
    "340": "离休人员医疗保障",
    "390": "城乡居民基本医疗保险",
    "392": "城乡居民大病医疗保险",
    "510": "生育保险",
}
MED_TYPE = {
    "11": "普通门诊",
    "12": "门诊挂号",
    "13": "急诊",
    "14": "门诊慢特病",
    "21": "普通住院",
    "22": "外伤住院",
    "23": "转外诊治住院",
    "24": "急诊转住院",
    "41": "定点药店购药",
    "51": "生育门诊",
    "52": "生育住院",
}
#: Other spellings of an insurance type in exports (the full names map by themselves: see
#: :func:`value_map`).
INSUTYPE_ALIASES = {
    "职工医保": "310",
    "职工基本医保": "310",
    "城镇职工基本医疗保险": "310",
    "城镇职工医保": "310",
    "离休": "340",
    "离休人员医疗待遇": "340",
    "居民医保": "390",
    "城乡居民医保": "390",
    "城乡居民基本医保": "390",
    "城乡居民医疗保险": "390",
    "居民基本医疗保险": "390",
    "城镇居民基本医疗保险": "390",
    "新型农村合作医疗": "390",
    "新农合": "390",
    "居民大病保险": "392",
    "城乡居民大病保险": "392",
    "大病保险": "392",
}
MED_TYPE_ALIASES = {
    "门诊": "11",
    "住院": "21",
    "门诊慢性病": "14",
    "门诊特殊病": "14",
    "门诊慢特病种": "14",
    "门诊特殊慢性病": "14",
    "慢特病门诊": "14",
    "特殊门诊": "14",
    "药店购药": "41",
    "定点药店": "41",
}
HOSP_LEVEL = {"1": "一级", "2": "二级", "3": "三级", "9": "未定级"}
#: Hospital grades: 等 (甲/乙/丙/特等) does not change the 结算等级, only the 级 does.
HOSP_LEVEL_ALIASES = {
    **{name: code for code, name in HOSP_LEVEL.items()},
    **{
        f"{name}{grade}": code
        for code, name in HOSP_LEVEL.items()
        if code != "9"
        for grade in ("甲等", "乙等", "丙等", "特等", "医院", "甲", "乙", "丙")
    },
    **{
        f"{short}{grade}": code
        for code, short in (("1", "一"), ("2", "二"), ("3", "三"))
        for grade in ("甲", "乙", "丙", "级")
    },
    "未评级": "9",
    "无等级": "9",
    "无": "9",
}
GENDER = {"1": "男", "2": "女", "9": "未说明"}
GENDER_ALIASES = {
    "男": "1",
    "女": "2",
    "男性": "1",
    "女性": "2",
    "M": "1",
    "F": "2",
    "m": "1",
    "f": "2",
    "0": "9",
    "未知": "9",
    "未知的性别": "9",
    "未说明的性别": "9",
}
#: Identity categories that change contributions and benefits (seed 000, DOMAIN §2–3).
PSN_IDET = {
    "普通人员": "无特殊身份",
    "特困人员": "特困供养人员,个人缴费由医疗救助全额资助",
    "低保对象": "最低生活保障对象,个人缴费部分资助",
    "返贫致贫人口": "防止返贫监测对象/脱贫不稳定人口,个人缴费部分资助",
    "低保边缘": "低保边缘家庭成员",
    "孤儿": "孤儿及事实无人抚养儿童",
    "重度残疾人": "重度残疾人",
}
PSN_IDET_ALIASES = {
    "普通": "普通人员",
    "一般人员": "普通人员",
    "无": "普通人员",
    "特困": "特困人员",
    "特困供养人员": "特困人员",
    "低保": "低保对象",
    "低保户": "低保对象",
    "返贫致贫": "返贫致贫人口",
    "脱贫不稳定人口": "返贫致贫人口",
    "监测对象": "返贫致贫人口",
}
FLAG = {"0": "否", "1": "是"}
FLAG_ALIASES = {
    "否": "0",
    "是": "1",
    "N": "0",
    "Y": "1",
    "n": "0",
    "y": "1",
    "无": "0",
    "有": "1",
}
#: 异地就医标志 also reads 本地/异地.
OFFSITE_ALIASES = {**FLAG_ALIASES, "本地": "0", "非异地": "0", "异地": "1", "异地就医": "1"}
#: 在职退休状态 of an employee claim (职工医保): the retired get higher ratios.
EMP_RETIRED = {"0": "在职", "1": "退休"}
EMP_RETIRED_ALIASES = {"在职": "0", "退休": "1", "在岗": "0", "退休人员": "1", "在职人员": "0"}
BUDGET_LEVEL = {"中央": "中央财政", "省级": "省级财政", "市级": "市级财政", "县级": "县级财政"}
BUDGET_LEVEL_ALIASES = {
    "中央财政": "中央",
    "省级财政": "省级",
    "省": "省级",
    "市级财政": "市级",
    "市": "市级",
    "县级财政": "县级",
    "县": "县级",
    "区级": "县级",
    "县区": "县级",
}
DIRECTION = {"收入": "基金收入", "支出": "基金支出"}
REGION_LEVEL = {"省级": "省级", "地级": "地级(市、州)", "县级": "县级(县、区、县级市)"}


def value_map(
    codes: dict[str, str] | None, aliases: dict[str, str] | None = None
) -> dict[str, str]:
    """Every spelling an export may use for a code → the code: the labels of ``codes``
    (普通住院 → 21), then the listed variants.  The one place labels become codes."""
    if not codes:
        return {}
    out = {label: code for code, label in codes.items() if label not in codes}
    out.update({k: v for k, v in (aliases or {}).items() if k not in codes})
    return out


# --- groups every step uses ---------------------------------------------------------------------

#: 职工基本医疗保险, 离休人员医疗保障, 城乡居民基本医疗保险, 城乡居民大病医疗保险.
EMPLOYEE, RETIRED_CADRE, RESIDENT, RESIDENT_CI = "310", "340", "390", "392"
#: Basic insurance for coverage counts (seed 000's 基本医保综合参保率): 职工, 离休, 居民.
BASIC_INSUTYPES: tuple[str, ...] = (EMPLOYEE, RETIRED_CADRE, RESIDENT)
#: Claims whose 大病保险 payments belong to the resident fund.
RESIDENT_CI_INSUTYPES: tuple[str, ...] = (RESIDENT, RESIDENT_CI)
#: Hospital stays: every 医疗类别 whose label says 住院 (普通、外伤、转外、急诊转、生育住院).
INPATIENT_MED_TYPES: tuple[str, ...] = tuple(
    sorted(code for code, label in MED_TYPE.items() if label.endswith("住院"))
)
#: Outpatient visits (门诊住院比, seed 003): 普通门诊、急诊、门诊慢特病、生育门诊 (no 挂号/药店).
OUTPATIENT_MED_TYPES: tuple[str, ...] = ("11", "13", "14", "51")
#: Ordinary person: the identity a claim or person has when none is recorded.
ORDINARY = "普通人员"
#: Budget levels in the order reports list them (codes of subsidy_receipts.budget_level).
BUDGET_LEVELS: tuple[str, ...] = tuple(BUDGET_LEVEL)
#: Hospital levels that have their own deductibles and ratios (一级, 二级, 三级).
RATED_HOSP_LEVELS: tuple[str, ...] = ("1", "2", "3")

#: A month as the integer yyyymm (征缴 month, 清算 period): year × YEAR_MONTH + month.
YEAR_MONTH = 100
