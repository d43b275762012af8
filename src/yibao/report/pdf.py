"""PDF by LibreOffice headless (Debian's libreoffice-writer-nogui), with our font mapping."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from yibao.report.fonts import env_with_fonts


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed or failed; message in Chinese."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path, out: Path, timeout: int = 300) -> Path:
    exe = soffice()
    if exe is None:
        raise PdfUnavailable(
            "未安装 LibreOffice,无法生成 PDF:apt-get install libreoffice-writer-nogui"
            "(make install 会自动安装)"
        )
    with tempfile.TemporaryDirectory(prefix="yibao-lo-") as profile:
        cmd = [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(docx),
        ]
        res = subprocess.run(
            cmd,
            env=env_with_fonts(Path(profile)),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    target = out / f"{docx.stem}.pdf"
    if res.returncode != 0 or not target.exists():
        raise PdfUnavailable(f"LibreOffice 转换 PDF 失败(退出码 {res.returncode})")
    return target
