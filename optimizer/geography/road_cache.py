"""Cache of built road graphs in the user's cache folder, keyed by everything the graph depends on.

Parsing a county's OpenStreetMap extract takes seconds to minutes; the graph it gives depends only on
the file's bytes, the settings that shape the graph (speeds, the margin kept around the area), the
metric CRS, the clip area and the code's own defaults. Those are hashed (SHA-256) into the key; a changed
file or setting gives a new key, so a stale graph is never read.

The folder is `$PLANNER_CACHE_DIR` when set, else `$XDG_CACHE_HOME/county-health-planner/roads`, else
`~/.cache/county-health-planner/roads`: never next to the input and never in an output folder, so a
run writes nothing outside its output folder but this cache (delete the folder at any time). Files are
written to a temporary name and moved into place with `os.replace`, so an interrupted write leaves no
truncated graph. A folder that cannot be written, or an unreadable entry, is logged and skipped:
caching never fails a run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from optimizer.inputs.geography_schema import TravelSettings
from optimizer.inputs.road_speeds import DEFAULT_HIGHWAY_SPEEDS_KPH

logger = logging.getLogger(__name__)

CACHE_ENV = "PLANNER_CACHE_DIR"
APP_FOLDER = "county-health-planner"
FORMAT_VERSION = 1
"""Raise when the graph-building rules change, so graphs built by older code are not reused."""
_CHUNK = 1 << 20


def cache_folder() -> Path:
    """Where road graphs are cached (the rule is in the module docstring)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_FOLDER / "roads"


def graph_key(path: Path, metric_crs: CRS, settings: TravelSettings, area: BaseGeometry | None) -> str:
    """SHA-256 of the road file's bytes, the graph-shaping settings, the CRS and the clip area's WKB."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    shaping = {
        "format": FORMAT_VERSION,
        "road_default_speed_kph": settings.road_default_speed_kph,
        "highway_speeds_kph": dict(sorted(settings.highway_speeds_kph.items())),
        "defaults": dict(sorted(DEFAULT_HIGHWAY_SPEEDS_KPH.items())),
        "road_margin_km": settings.road_margin_km if area is not None else None,
        "crs": metric_crs.to_wkt(),
    }
    digest.update(json.dumps(shaping, sort_keys=True).encode())
    digest.update(area.wkb if area is not None else b"")
    return digest.hexdigest()


def read_cached(key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under `key`, or None when there is no usable entry."""
    entry = cache_folder() / f"{key}.npz"
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        logger.warning("road graph cache entry %s is unreadable (%s); rebuilding the graph", entry, exc)
        return None


def write_cached(key: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Store `arrays` under `key` atomically; an unwritable cache folder is logged, never raised."""
    folder = cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
    except OSError as exc:
        logger.info("road graph not cached: %s is not writable (%s)", folder, exc)
        return
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)
        temporary.replace(folder / f"{key}.npz")
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        logger.info("road graph not cached: writing to %s failed (%s)", folder, exc)
