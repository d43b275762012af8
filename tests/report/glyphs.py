"""Which face of the Noto CJK collection a PDF's glyphs come from.

All faces of NotoSerifCJK-Regular.ttc (JP, KR, SC, TC, HK) share one CFF table whose font name is
``NotoSerifCJKjp-Regular``, so ``pdffonts`` names every embedded subset "…CJKjp…" whichever face
was used.  The faces differ in their cmap: a character such as 与 or 医 maps to a Simplified
Chinese glyph in the SC face and to a Japanese one in the JP face.  The embedded Type 1 subsets
keep the CFF glyph names (cidNNNNN), so the glyphs present tell the face apart.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fontTools.t1Lib import T1Font
from fontTools.ttLib import TTCollection
from pypdf import PdfReader

SERIF = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")


def embedded_glyph_names(pdf: Path, family: str = "Serif") -> set[str]:
    """Glyph names of the embedded Type 1 subsets whose name contains ``family``."""
    names: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        pfa = Path(tmp) / "f.pfa"
        for page in PdfReader(str(pdf)).pages:
            for font in (page.get("/Resources") or {}).get("/Font", {}).values():
                font = font.get_object()
                fd = font.get("/FontDescriptor")
                if family not in str(font.get("/BaseFont")) or fd is None:
                    continue
                fd = fd.get_object()
                if "/FontFile" not in fd:
                    continue
                pfa.write_bytes(fd["/FontFile"].get_object().get_data())
                t1 = T1Font(str(pfa))
                t1.parse()
                names |= set(t1.font["CharStrings"].keys())
    return names


def face_forms(pdf: Path, text: str) -> dict[str, int]:
    """For the characters of ``text`` whose SC and JP glyphs differ: how many of each face's
    forms are embedded in the serif (body text) subsets."""
    faces = {f["name"].getDebugName(4): f.getBestCmap() for f in TTCollection(str(SERIF)).fonts}
    jp, sc = faces["Noto Serif CJK JP"], faces["Noto Serif CJK SC"]
    differ = {ord(c) for c in text if jp.get(ord(c)) != sc.get(ord(c))}
    glyphs = embedded_glyph_names(pdf)
    return {
        "differ": len(differ),
        "SC": sum(sc[c] in glyphs for c in differ if c in sc),
        "JP": sum(jp[c] in glyphs for c in differ if c in jp),
    }
