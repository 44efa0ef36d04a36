"""Safe output writing: every file goes to a temporary name in its folder and is then renamed.

A run killed at any moment leaves each output either complete or absent, never half-written. Which
folder a command may write, and how a whole folder is staged, locked and swapped in, is decided in
one place: `optimizer/outputs/folders.py`. CSV is UTF-8 with a byte-order mark so Excel opens Chinese
names correctly. Data files carry no timestamps; run metadata (times, versions) lives in
`manifest.json`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

CSV_ENCODING = "utf-8-sig"
PACKAGES = ("county-health-planner", "pulp", "highspy", "cbcbox", "pandas", "geopandas", "networkx", "pydantic")


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` through a temporary file in the same folder and `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(0o644)  # mkstemp creates 0600; outputs are shared files
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8-with-BOM CSV bytes; floats keep full precision, NA is empty."""
    text: str = frame.to_csv(index=False, lineterminator="\n")
    return text.encode(CSV_ENCODING)


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a table as UTF-8-with-BOM CSV atomically (see `csv_bytes`)."""
    atomic_write_bytes(path, csv_bytes(frame))


def atomic_write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON (sorted keys, UTF-8, readable Chinese) atomically."""
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide a result, for the manifest."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
