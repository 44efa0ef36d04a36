"""Safe output writing: every file goes to a temporary name in its folder and is then renamed.

A run killed at any moment leaves each output either complete or absent, never half-written. The
output folder may not be an input folder (data/, scenarios/) or hold the scenario itself. CSV is
UTF-8 with a byte-order mark so Excel opens Chinese names correctly. Data files carry no timestamps;
run metadata (times, versions) lives in `manifest.json`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import OutputError

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


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a table as UTF-8-with-BOM CSV atomically; floats keep full precision, NA is empty."""
    atomic_write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode(CSV_ENCODING))


def atomic_write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON (sorted keys, UTF-8, readable Chinese) atomically."""
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def staged_folder(out_dir: Path) -> Iterator[Path]:
    """Write a whole run into a hidden sibling folder, then swap it in place of `out_dir`.

    Files are atomic one by one, and the run as a whole too: a run killed at any moment leaves the
    previous complete result in `out_dir` (or, between the two renames, none), never a mix of old and
    new files. Leftover staging folders of killed runs are removed by the next run.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.parent.glob(f".{out_dir.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = None
    if out_dir.exists():
        previous = out_dir.with_name(f".{out_dir.name}.previous-{staging.name.rsplit('-', 1)[-1]}")
        out_dir.replace(previous)
    staging.replace(out_dir)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def check_output_folder(out_dir: Path, scenario_path: Path, data_paths: Iterable[Path]) -> Path:
    """Refuse an output folder that is, or lies inside, the scenario folder or a data folder.

    The data folders include their common parent (e.g. `data/` for `data/population/…` and
    `data/facilities/…`), so outputs never land among the inputs.

    Raises
    ------
    OutputError
        Naming the clash and asking for another `--out`.
    """
    out = out_dir.resolve()
    data_folders = {path.resolve().parent for path in data_paths}
    folders = {scenario_path.resolve().parent, *data_folders}
    if data_folders:
        folders.add(Path(os.path.commonpath(sorted(str(f) for f in data_folders))))
    folders.discard(Path(out.anchor))
    for folder in sorted(folders):
        if out == folder or folder in out.parents:
            raise OutputError(
                f"--out {out_dir}: is the input folder {folder} (or inside it); choose a separate folder, "
                "e.g. --out out/lu_county"
            )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out_dir}: is a file; give a folder")
    return out


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide a result, for the manifest."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
