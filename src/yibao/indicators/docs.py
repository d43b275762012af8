"""docs/indicators.md, generated from the indicator registry and the shipped frameworks.

``python -m yibao.indicators.docs > docs/indicators.md`` (or ``make schema-docs``); a test fails
when the file drifts from the registry.
"""

from __future__ import annotations

from yibao.indicators.registry import INDICATORS, PENDING, load_library


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_indicators_md() -> str:
    from yibao.evaluate.frameworks import framework_names, load_framework

    load_library()
    out = [
        "# 绩效指标库 / indicator library",
        "",
        "本文件由 `yibao.indicators.docs` 从指标注册表生成(`make schema-docs`),请勿手改。",
        "数据指标是工作区表上的 Ibis 查询,每个统筹区一行,另有全区合计行(`region_code` 为空);"
        '比率为百分数(`value` 65.36、`unit` "%" 表示 65.36%),'
        "由分子、分母在 Python 中按四舍五入一次得出。"
        "输入指标由评价人员在 `--inputs` 文件中录入,并注明依据。",
        "",
        "| 代码 | 名称 | 单位 | 方向 | 粒度 | 公式 | 来源表 | 种子 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for ind in sorted(INDICATORS.values(), key=lambda i: not i.data_backed):
        src = "、".join(f"`{s}`" for s in ind.sources) if ind.data_backed else "输入(--inputs)"
        levels = (
            ""
            if not ind.levels or ind.levels[0] in ind.formula
            else f"(等级:{' > '.join(ind.levels)})"
        )
        out.append(
            f"| `{ind.code}` | {_cell(ind.name)} | {ind.unit} | {ind.direction} | {ind.grain} | "
            f"{_cell(ind.formula)}{levels} | {src} | {ind.seed} |"
        )
    out += ["", "## 待登记的指标", ""]
    out += [f"- `{code}`:{why}" for code, why in PENDING.items()] or ["(无)"]
    out += ["", "## 评价框架(`src/yibao/evaluate/frameworks/`)", ""]
    out += ["| 框架 | 名称 | 依据 | 适用 | 指标数 |", "|---|---|---|---|---|"]
    for name in framework_names():
        fw = load_framework(name)
        until = f"–{fw.valid_to}" if fw.valid_to else " 起"
        out.append(
            f"| `{fw.name}` | {_cell(fw.label)} | {_cell(fw.reference)} | "
            f"{fw.valid_from}{until} | {len(fw.lines)} |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(render_indicators_md())
