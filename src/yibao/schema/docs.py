"""Generate docs/schema.md from the registry, so the docs cannot drift from the code."""

from __future__ import annotations

from yibao.schema.derived import DERIVED
from yibao.schema.model import Table
from yibao.schema.tables import SCHEMA_VERSION, TABLES

TYPE_LABELS = {
    "string": "文本",
    "int": "整数",
    "int32": "整数",
    "money": "金额 DECIMAL(18,2)",
    "rate": "比率",
    "ratio": "比率 DECIMAL(9,4)",
    "price": "单价 DECIMAL(18,4)",
    "dec2": "小数 DECIMAL(9,2)",
    "float": "统计量(浮点)",
    "bool": "是/否",
    "date": "日期",
    "timestamp": "日期时间",
}


def render_schema_md() -> str:
    lines = [
        f"# 标准数据结构 / Canonical schema v{SCHEMA_VERSION}",
        "",
        "由 `yibao schema docs --out docs/schema.md` 从代码生成,请勿手工编辑。",
        "Generated from `src/yibao/schema/tables.py`; a test fails when this file drifts.",
        "",
        "导入时表头可以用字段代码、标准列名或中文名称(以及“别名”中的任一写法);",
        "金额单位为元,保留两位小数。带 🔒 的列是个人信息,对外输出时脱敏。",
        "",
    ]
    for t in TABLES.values():
        lines += [
            f"## `{t.name}` {t.label}",
            "",
            f"Grain: {t.grain}",
            "",
            f"主键 / key: {', '.join(f'`{k}`' for k in t.key)}",
            "",
        ]
        lines += [
            "| 列 column | 中文名 | 类型 | 必填 | 单位 | 别名 aliases | 取值与校验 |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in t.columns:
            checks = []
            if c.codes:
                checks.append(
                    "代码: "
                    + "、".join(
                        f"{k}={v}" if k != v and len(k) < 4 else k for k, v in c.codes.items()
                    )
                )
            if c.check == "area":
                checks.append("GB/T 2260 区划代码")
            if c.check == "certno":
                checks.append("GB 11643 身份证号校验")
            if c.check == "diagnosis":
                checks.append("ICD-10 医保版诊断编码(可为空)")
            if c.min_value is not None:
                checks.append(f"≥ {c.min_value}")
            if c.max_value is not None:
                checks.append(f"≤ {c.max_value}")
            if c.description:
                checks.append(c.description)
            name = f"`{c.name}`" + (" 🔒" if c.personal else "")
            lines.append(
                f"| {name} | {c.label} | {TYPE_LABELS[c.dtype]} | {'是' if c.required else ''} | "
                f"{c.unit} | {', '.join(c.aliases)} | {'; '.join(checks)} |"
            )
        if t.row_rules:
            lines += ["", "行规则 / row rules:", ""]
            lines += [f"- {r.reason} → 隔离 (`{r.name}`)" for r in t.row_rules]
        if t.identities:
            lines += ["", "恒等式 / identities:", ""]
            lines += [f"- `{i}`" for i in t.identities]
        lines.append("")
    lines += [
        "# 派生表 / Derived tables",
        "",
        "各步骤(结算复核、基金财务、监管筛查)写入的表;"
        "重新运行某年度时,该年度的行在一个事务中整体替换。",
        "“核对”一栏是 `yibao check` 运行的数据核对(查询返回不满足的行;另有每张表的主键唯一核对)。",
        "",
    ]
    for t in DERIVED.values():
        lines += _derived(t)
    lines += [
        "## 元数据表 / lineage tables",
        "",
        "- `_loads`: 每个导入的文件一行:文件名、SHA-256、格式、编码、行数、接收/隔离行数、退出码。",
        "  同一文件(同一内容、同一目标表)再次导入不做任何改动。",
        "- `_quarantine`: 每个被拒绝的单元格一行:批次、文件、行号(表头为第1行)、列、原值、"
        "中文原因、"
        "整行原始记录(JSON)。",
        "- 每张标准表都有 `_load_id`(来自哪个批次)和 `_row`(文件中的行号)。",
        "- `_runs`: 每次步骤运行一行:步骤、年度、政策名称与哈希、引擎、用户、所读表的批次、"
        "起止时间、结果;`_run_tables` 每张写入表的行数,`_run_queries` 产生各表的查询文本,"
        "`_run_notes` 步骤的说明。",
        "",
    ]
    return "\n".join(lines)


def _derived(t: Table) -> list[str]:
    lines = [
        f"## `{t.name}` {t.label}",
        "",
        f"Grain: {t.grain}",
        "",
        f"主键 / key: {', '.join(f'`{k}`' for k in t.key)};由步骤 `{t.produced_by}` 写入,"
        f"按 `{t.year_column}` 替换年度。",
        "",
        "| 列 column | 中文名 | 类型 | 单位 | 说明 |",
        "|---|---|---|---|---|",
    ]
    for c in t.columns:
        name = f"`{c.name}`" + (" 🔒" if c.personal else "")
        lines.append(
            f"| {name} | {c.label} | {TYPE_LABELS[c.dtype]} | {c.unit} | {c.description} |"
        )
    if t.lineage:
        lines += ["", "来源 / lineage (`yibao trace`):", ""]
        lines += [f"- `{lin.source}`: `{lin.on}`" for lin in t.lineage]
    if t.tests:
        lines += ["", "核对 / data tests (`yibao check`):", ""]
        lines += [f"- {d.label} (`{d.name}`)" for d in t.tests]
    lines.append("")
    return lines
