"""Uploaded files: type checked by content (never by the name), size-limited, stored privately.

Files go to ``uploads/`` in the workspace (0700, outside the web root: nothing there is ever
served as a static file) under their SHA-256, with the original name kept in the control plane.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from fastapi import UploadFile

from yibao.control.models import Upload
from yibao.privacy import private_dir, private_files

EVIDENCE_MAX = 20 * 1024 * 1024
IMPORT_MAX = 512 * 1024 * 1024
CHUNK = 1024 * 1024


class UploadRejected(Exception):
    """Refused upload; message in Chinese names the file and why."""


def sniff(head: bytes, data_path: Path) -> str | None:
    """The file type from its bytes: pdf, png, jpeg, xlsx, docx, csv (text) or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(data_path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
        return None
    if b"\x00" in head:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            head.decode(enc)
            return "csv"
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # a character cut at the end of the sample
                return "csv"
    return None


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
}
EVIDENCE_TYPES = ("pdf", "png", "jpeg", "xlsx", "docx")
IMPORT_TYPES = ("csv", "xlsx")


def safe_name(name: str) -> str:
    """A file name without directories or control characters (kept for display)."""
    base = Path(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base[:200] or "upload"


async def store(
    ws_path: Path, f: UploadFile, kind: str, who: str, allowed: tuple[str, ...], limit: int
) -> tuple[Upload, Path]:
    """Stream the upload to the workspace, checking size and content; the Upload row to add."""
    name = safe_name(f.filename or "")
    folder = private_dir(ws_path / "uploads" / kind)
    tmp = folder / f".part-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with tmp.open("wb") as out:
            while chunk := await f.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(f"{name}: 文件超过 {limit // (1024 * 1024)} MB 上限")
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected(f"{name}: 文件为空")
        kind_found = sniff(head, tmp)
        if kind_found not in allowed:
            shown = "、".join(allowed)
            raise UploadRejected(f"{name}: 文件内容不是允许的类型({shown}),未保存")
        sha = digest.hexdigest()
        suffix = ".jpg" if kind_found == "jpeg" else f".{kind_found}"
        shown = name if name.lower().endswith(suffix) else name + suffix
        target = folder / sha[:16] / shown  # the original name, for _loads and downloads
        private_dir(target.parent)
        tmp.replace(target)
        private_files(target.parent, [target])
    finally:
        tmp.unlink(missing_ok=True)
    row = Upload(
        kind=kind,
        file_name=name,
        content_type=CONTENT_TYPES[kind_found],
        sha256=sha,
        size=size,
        stored_as=str(target.relative_to(ws_path)),
        uploaded_by=who,
    )
    return row, target


def read_bytes(ws_path: Path, row: Upload) -> io.BytesIO:
    return io.BytesIO((ws_path / row.stored_as).read_bytes())
