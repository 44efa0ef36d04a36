"""Make an Office file (.docx, .xlsx: a ZIP package) byte-identical across runs.

python-docx and openpyxl stamp the time of writing twice: in each ZIP entry's date and in the core
properties (`docProps/core.xml`: dcterms:created, dcterms:modified). Data files carry no timestamps
(run metadata lives in manifest.json), and tests/optimizer/test_determinism.py compares repeated runs
byte for byte, so the package is rewritten with a fixed entry date and without those two elements.
"""

from __future__ import annotations

import io
import re
import zipfile

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
"""The earliest date a ZIP entry can hold."""
CORE_PROPERTIES = "docProps/core.xml"
TIMESTAMPS = re.compile(rb"<dcterms:(created|modified)\b[^>]*?(?:/>|>[^<]*</dcterms:\1>)")
FILE_MODE = 0o644 << 16


def stable_package(payload: bytes) -> bytes:
    """`payload` (a ZIP package) with fixed entry dates and no created/modified core properties."""
    source = zipfile.ZipFile(io.BytesIO(payload))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == CORE_PROPERTIES:
                data = TIMESTAMPS.sub(b"", data)
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE
            target.writestr(info, data)
    return buffer.getvalue()
