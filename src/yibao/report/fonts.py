"""The fonts an official document names, and what stands in for them on a machine without them.

GB/T 9704 documents name 方正小标宋简体, 黑体, 楷体_GB2312 and 仿宋_GB2312.  Those are commercial
fonts; the project installs Debian's fonts-noto-cjk and fonts-arphic-ukai and maps each official
name to one of them.  The docx keeps the official names (a bureau's Word shows its own fonts);
the PDF conversion and the charts use the mapping through a fontconfig file of our own.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

TITLE, HEI, KAI, FANGSONG, SONG = "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体"
#: official name → (installed family, weight) — the documented fallback mapping.
FALLBACK: dict[str, tuple[str, str]] = {
    TITLE: ("Noto Serif CJK SC", "bold"),
    HEI: ("Noto Sans CJK SC", "bold"),
    KAI: ("AR PL UKai CN", "regular"),
    FANGSONG: ("Noto Serif CJK SC", "regular"),
    SONG: ("Noto Serif CJK SC", "regular"),
    "仿宋": ("Noto Serif CJK SC", "regular"),
    "楷体": ("AR PL UKai CN", "regular"),
}
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/arphic"))
DEBIAN_PACKAGES = ("fonts-noto-cjk", "fonts-arphic-ukai")


class FontsMissing(RuntimeError):
    """The CJK fonts are not installed; message in Chinese."""


def font_file(family: str) -> Path:
    """The file of an installed fallback family (for matplotlib)."""
    names = {
        "Noto Sans CJK SC": "NotoSansCJK-Regular.ttc",
        "Noto Serif CJK SC": "NotoSerifCJK-Regular.ttc",
        "AR PL UKai CN": "ukai.ttc",
    }
    for d in FONT_DIRS:
        p = d / names[family]
        if p.exists():
            return p
    raise FontsMissing(
        f"缺少中文字体 {family}:请安装 {'、'.join(DEBIAN_PACKAGES)}(make install 会自动安装)"
    )


def fontconfig_file(workdir: Path) -> Path:
    """A fonts.conf that includes the system's and adds an alias for every official name."""
    aliases = "\n".join(
        f'  <alias binding="same"><family>{name}</family><prefer><family>{fam}</family>'
        f"</prefer></alias>"
        for name, (fam, _w) in FALLBACK.items()
    )
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"{aliases}\n</fontconfig>\n"
    )
    path = workdir / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return path


@cache
def matplotlib_font() -> str:
    """Register the CJK sans font with matplotlib and return its family name."""
    from matplotlib import font_manager

    path = font_file("Noto Sans CJK SC")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def env_with_fonts(workdir: Path) -> dict[str, str]:
    return {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(workdir))}
