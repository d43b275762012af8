"""``yibao policy new REGION --from PRESET``: a commented policy file for a region to fill in.

The file is the source preset's YAML (so it loads and settles at once) with every value
marked as the source's, every reference blanked for the region's own 实施细则, and a header
saying how to proceed; see docs/policy.md in the repository for the walk-through.
"""

from __future__ import annotations

import re
from pathlib import Path

from yibao.policy.loader import PRESET_DIR
from yibao.policy.model import PolicyError

HEADER = """\
# {region} 城乡居民医保待遇政策(由 yibao policy new 从 {source} 生成,待填写)
#
# 如何填写:
#   1. 对照本地《城乡居民基本医疗保险实施细则》及大病保险、医疗救助文件,逐项改写下面的 values。
#      每个参数下的 values 以生效日期为键(YYYY-MM-DD),政策调整时新增一个日期,不要改旧值。
#   2. 把每个参数的 reference 改为本地文件的文号和条款(如 某医保发〔2021〕3号 第十二条)。
#   3. 下面的取值全部来自 {source}{fictional},不是 {region} 的规定;未改写前不要用于正式结算。
#   4. 改完后运行 yibao policy check {file},
#      再用 yibao settle 工作区 --policy {file} --year 年度 试算。
# 不写某个参数时,结算会拒绝并列出所缺的全部参数。
"""
TODO_REFERENCE = "待填写:本地实施细则文号及条款"


def _source_text(source: str) -> tuple[str, str]:
    p = Path(source)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise PolicyError(source, "", "政策文件不存在")
        return p.read_text(encoding="utf-8"), p.stem
    preset = PRESET_DIR / f"{source}.yaml"
    if not preset.is_file():
        raise PolicyError(source, "", "没有这个政策预设(yibao policy list 列出全部预设)")
    return preset.read_text(encoding="utf-8"), source


def render_template(region: str, source: str, file_name: str) -> str:
    """The template's text: the source YAML, re-headed, values flagged, references blanked."""
    text, name = _source_text(source)
    fictional = "(虚构的示范政策)" if name == "demo-county" else ""
    body = [ln for ln in text.splitlines() if not (ln.startswith("#") and not ln.strip("# "))]
    while body and body[0].startswith("#"):
        body.pop(0)
    out = [HEADER.format(region=region, source=name, fictional=fictional, file=file_name)]
    for line in body:
        if re.match(r"^preset:", line):
            line = f"preset: {region}"
        elif re.match(r"^label:", line):
            line = f"label: {region}城乡居民医保待遇政策(待填写)"
        elif re.match(r"^\s+reference:", line):
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}reference: {TODO_REFERENCE}"
        out.append(line)
        if re.match(r"^\s+values:\s*$", line):
            indent = line[: len(line) - len(line.lstrip())] + "  "
            out.append(f"{indent}# ↓ {name} 的取值,请按本地规定改写")
    return "\n".join(out) + "\n"


def write_template(region: str, source: str, out: Path) -> Path:
    if out.exists():
        raise PolicyError(str(out), "", "文件已存在,未覆盖(请换一个文件名或先移走它)")
    out.write_text(render_template(region, source, out.name), encoding="utf-8")
    return out
