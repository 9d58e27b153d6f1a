"""Build the Chinese font tenure ships for its PNG and SVG charts.

A subset of Noto Sans CJK SC (SIL Open Font License 1.1): ASCII and Latin-1, punctuation,
the symbols and the 3,755 level-one characters of GB 2312 (the common characters of modern
Chinese), and every character the message catalogs use, renamed "Tenure Sans CJK SC" as a
modified version. It is a fallback: a chart names the system's own Chinese fonts first.

    apt-get install fonts-noto-cjk        # the source font
    .venv/bin/python scripts/build_cjk_font.py
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = ROOT / "src" / "tenure" / "charts" / "fonts" / "TenureSansCJKsc-Regular.otf"
FAMILY = "Tenure Sans CJK SC"


def characters() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x2190, 0x2200)) | {0x2212, 0x221E}
    chars |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    # GB 2312 rows 1-9 (symbols) and 16-55 (the level-one characters).
    for high in [*range(0xA1, 0xAA), *range(0xB0, 0xD8)]:
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(ord(bytes([high, low]).decode("gb2312")))
    for catalog in (ROOT / "src" / "tenure" / "i18n" / "zh").glob("*.toml"):
        chars |= {ord(c) for c in catalog.read_text(encoding="utf-8") if ord(c) >= 0x80}
    return chars


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    font = next(f for f in TTCollection(source).fonts
                if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 10, 13, 14]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 4):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID,
                          record.langID)
        elif record.nameID in (3, 6):
            names.setName("TenureSansCJKsc-Regular", record.nameID, record.platformID,
                          record.platEncID, record.langID)
        elif record.nameID == 10:
            names.setName("A subset of Noto Sans CJK SC, renamed as a modified version under "
                          "the SIL Open Font License 1.1.", record.nameID, record.platformID,
                          record.platEncID, record.langID)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = ["TenureSansCJKsc-Regular"]
        top = cff.topDictIndex[0]
        top.FamilyName = top.FullName = FAMILY
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(TARGET)
    print(f"{TARGET}: {TARGET.stat().st_size:,} bytes, {len(font.getBestCmap()):,} characters")


if __name__ == "__main__":
    main()
