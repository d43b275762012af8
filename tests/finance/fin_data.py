"""Hand-made inputs for the finance tests, loaded through `yibao ingest` (finance.fin_data).

Two counties under the yiyang-2019 preset: 资阳区 430902 (class 甲: central 312, province 104,
city 62.4, county 41.6) and 桃江县 430922 (class 乙: 312, 145.6, city lump sum, county 62.4).
Every figure the tests expect is worked out by hand in the test that checks it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from yibao.engine import Workspace
from yibao.ingest import ingest_file

RETIREE_REGION = "500230"


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def load(ws: Workspace, path: Path, table: str) -> None:
    res = ingest_file(ws, path, table)
    assert res.exit_status == 0, (table, res.message, res)


REGIONS = [
    ["430902", "资阳区", "430900", "县级"],
    ["430922", "桃江县", "430900", "县级"],
]


def enrolment_rows() -> list[list[object]]:
    """资阳区 6 people (4 普通, 1 特困, 1 低保); 桃江县 4 people (3 普通, 1 返贫致贫人口)."""
    rows = []
    spec = [
        ("430902", "普通人员", "220.00", "0.00"),
        ("430902", "普通人员", "220.00", "0.00"),
        ("430902", "普通人员", "220.00", "0.00"),
        ("430902", "普通人员", "220.00", "0.00"),
        ("430902", "特困人员", "220.00", "220.00"),
        ("430902", "低保对象", "220.00", "110.00"),
        ("430922", "普通人员", "220.00", "0.00"),
        ("430922", "普通人员", "220.00", "0.00"),
        ("430922", "普通人员", "", ""),  # contribution not recorded
        ("430922", "返贫致贫人口", "220.00", "110.00"),
    ]
    for i, (region, cat, c, s) in enumerate(spec):
        rows.append([f"P{i:03d}", 2019, "390", region, cat, c, s])
    return rows


ENROL_HEADER = [
    "人员编号",
    "参保年度",
    "险种类型",
    "参保区划代码",
    "人员身份类别",
    "个人缴费金额",
    "资助参保金额",
]

#: 资阳区 due per level (6 insured): 中央 1872, 省级 624, 市级 374.40, 县级 249.60
#: 桃江县 (4 insured): 中央 1248, 省级 582.40, 市级 0 (lump sum, not given), 县级 249.60
RECEIPTS = [
    # year, region, level, amount, date, doc, is_settlement
    [2019, "430902", "中央", "1000.00", "2019-03-15", "湘财社〔2019〕1号", "0"],
    [2019, "430902", "中央", "872.00", "2019-07-10", "湘财社〔2019〕9号", "0"],
    [2019, "430902", "省级", "624.00", "2019-06-30", "湘财社〔2019〕5号", "0"],
    [2019, "430902", "市级", "374.40", "2019-09-30", "益财社〔2019〕3号", "0"],
    [2019, "430902", "县级", "249.60", "2019-12-20", "资财社〔2019〕2号", "0"],
    [2019, "430922", "中央", "1248.00", "2019-03-15", "湘财社〔2019〕1号", "0"],
    [2019, "430922", "中央", "-48.00", "2019-03-20", "湘财社〔2019〕2号", "1"],  # 2018 清算扣回
    [2019, "430922", "省级", "500.00", "2019-06-30", "湘财社〔2019〕5号", "0"],  # short 82.40
    [2019, "430922", "县级", "249.60", "2020-01-15", "桃财社〔2020〕1号", "0"],
]
RECEIPT_HEADER = ["补助年度", "区划代码", "财政级次", "到账金额", "到账日期", "文号", "是否清算"]

LEDGER_HEADER = ["凭证号", "记账日期", "区划代码", "基金", "账户", "收支方向", "收支科目", "金额"]
LEDGER = [
    ["V18-0", "2018-01-01", "430902", "居民医保", "财政专户", "收入", "期初余额", "1000.00"],
    ["V18-1", "2018-03-01", "430902", "居民医保", "收入户", "收入", "个人缴费收入", "2000.00"],
    ["V18-2", "2018-06-01", "430902", "居民医保", "支出户", "支出", "住院支出", "1500.00"],
    ["V19-1", "2019-02-01", "430902", "居民医保", "收入户", "收入", "个人缴费收入", "1980.00"],
    ["V19-2", "2019-04-01", "430902", "居民医保", "财政专户", "收入", "财政补助收入", "5120.00"],
    ["V19-3", "2019-12-21", "430902", "居民医保", "财政专户", "收入", "利息收入", "12.34"],
    ["V19-4", "2019-05-01", "430902", "居民医保", "支出户", "支出", "住院支出", "3000.00"],
    ["V19-5", "2019-05-02", "430902", "居民医保", "支出户", "支出", "门诊支出", "400.00"],
    ["V19-6", "2019-06-01", "430902", "居民医保", "支出户", "支出", "购买大病保险", "480.00"],
    ["V19-7", "2019-06-02", "430902", "居民医保", "支出户", "支出", "其他支出", "8.30"],
    ["V19-8", "2019-07-01", "430902", "居民医保", "财政专户", "支出", "拨付支出户(转出)", "600.00"],
    ["V19-9", "2019-07-01", "430902", "居民医保", "支出户", "收入", "财政专户转入", "600.00"],
]

CLAIM_HEADER = [
    "结算ID",
    "人员编号",
    "险种类型",
    "医疗类别",
    "定点医药机构编号",
    "医保结算等级",
    "结算时间",
    "医疗费总额",
    "符合政策范围金额",
    "基本医疗保险统筹基金支出",
    "居民大病保险资金支出",
]
CLAIMS = [
    ["S1", "P000", "390", "21", "H1", "2", "2019-03-01 10:00:00", "5000", "4000", "2800.00", "0"],
    ["S2", "P001", "390", "21", "H1", "2", "2019-04-01 10:00:00", "1000", "900", "200.00", "0"],
    ["S3", "P002", "390", "11", "H1", "1", "2019-05-01 10:00:00", "600", "500", "400.00", "0"],
    ["S4", "P003", "390", "21", "H1", "3", "2019-06-01 10:00:00", "90000", "80000", "0", "300"],
    ["S5", "P003", "390", "21", "H1", "3", "2018-06-01 10:00:00", "900", "800", "500", "0"],
]

BUDGET_HEADER = ["预算年度", "区划代码", "项目名称", "预算科目", "本年预算金额", "上年结转"]
BUDGETS = [
    [2019, "430902", "城乡居民医保基金", "住院支出", "3500.00", "500.00"],
]


CI_POLICY = """
preset: yiyang-test
label: 测试用(益阳 2019 加大病保险筹资)
extends: yiyang-2019
parameters:
  critical_illness:
    premium_per_person:
      description: 测试用大病保险筹资
      type: amount
      unit: 元/人/年
      reference: 测试
      values:
        2019-01-01: 48
    insurer_profit_cap:
      description: 测试用盈利率上限
      type: rate
      unit: 比例
      reference: 测试
      values:
        2019-01-01: 0.03
"""


def retiree_workspace(tmp_path: Path, people: int, claims: list[list[object]], budget: str | None):
    """A 丰都 (fengdu-2021) workspace: ``people`` retirees L00… enrolled in 340 for 2021."""
    ws = Workspace.create(tmp_path / "ws", policy="fengdu-2021")
    d = tmp_path / "in"
    d.mkdir()
    enrol = [[f"L{i:02d}", 2021, "340", RETIREE_REGION, "普通人员", "", ""] for i in range(people)]
    load(ws, write(d / "enrol.csv", ENROL_HEADER, enrol), "enrolments")
    load(ws, write(d / "claims.csv", CLAIM_HEADER, claims), "claims")
    if budget:
        header = ["预算年度", "区划代码", "项目名称", "预算科目", "本年预算金额"]
        rows = [[2021, RETIREE_REGION, "离休人员医药费县级补助", "离休人员医药费", budget]]
        load(ws, write(d / "budgets.csv", header, rows), "budgets")
    return ws


def retiree_claim(i: int, psn: str, med_type: str, amount: str) -> list[object]:
    when = f"2021-{1 + i % 12:02d}-{1 + i % 28:02d} 09:00:00"
    return [f"R{i:05d}", psn, "340", med_type, "H1", "2", when, amount, amount, amount, "0"]
