"""Deterministic file I/O: CSV read/write, atomic writes, and the spelling of booleans and coordinates."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path


def fmt_bool(value: bool) -> str:
    """CSV spelling of a boolean."""
    return "true" if value else "false"


def fmt_coord(value: float | None) -> str:
    """Six-decimal coordinate, empty when unknown."""
    return "" if value is None else f"{value:.6f}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(tmp).replace(path)  # os.replace: atomic within one folder
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    r"""Write a plain CSV (header, ``\n`` line ends) atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV with header into dicts of strings (BOM tolerated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
