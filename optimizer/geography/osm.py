"""OpenStreetMap extracts (`.osm.pbf`, `.osm` XML, also gzip/bzip2 `.osm`) read with pyosmium into road segments.

What is a road
    A way whose `highway` tag is a drivable class: `optimizer.inputs.road_speeds.DRIVABLE_HIGHWAYS`
    (motorway … residential, their `_link`s, living_street, service, `road`) or a class the scenario
    gives a speed in `travel.highway_speeds_kph` (how tracks are added). Ways tagged `area=yes`
    (squares) or closed to cars (`no` in the most specific of `motorcar`, `motor_vehicle`, `access`) are
    dropped; `private` roads are kept, since ambulances and patients do enter gated compounds and hospital grounds.

Speed (km/h)
    The way's `maxspeed` when it parses: a number is km/h, "… mph" is converted (× 1.609344), "km/h"
    or "kmh" suffixes are accepted, and of several values ("60;80") the lowest is taken. Zone values
    ("CN:urban", "CN:rural") and words ("none", "signals", "walk") are ignored: they name a legal
    default by road type, which the class default below already stands for. Otherwise
    `travel.highway_speeds_kph[class]`, then the documented default for Chinese roads
    (optimizer/inputs/road_speeds.py); `highway=road` runs at `travel.road_default_speed_kph`.
    Direction-specific `maxspeed:forward/backward` tags are not read.

Direction
    `oneway=yes/true/1` is drawn forward only, `oneway=-1/reverse` backward only; `junction=roundabout`
    (or `circular`) and `highway=motorway` are one-way forward unless `oneway=no`. Everything else is
    two-way.

The output is one straight segment per pair of consecutive way nodes, projected to the metric CRS, with
its length in metres and travel time in minutes; the road graph (network.py) joins segments at shared
end points.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
from pyproj import CRS, Transformer

from optimizer.errors import DataError
from optimizer.inputs.geography_schema import TravelSettings
from optimizer.inputs.road_speeds import DEFAULT_HIGHWAY_SPEEDS_KPH

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")
"""File name endings read as OpenStreetMap extracts."""
KM_PER_MILE = 1.609344
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$")
_FORWARD = {"yes", "true", "1"}
_BACKWARD = {"-1", "reverse"}
_TWO_WAY = {"no", "false", "0"}


@dataclass(frozen=True)
class RoadSegments:
    """Straight road pieces in a metric CRS: end points (m), length (m), travel time (min), directions.

    `forward` is travel from start to end, `backward` from end to start; a two-way piece has both.
    """

    start_xy: np.ndarray
    end_xy: np.ndarray
    length_m: np.ndarray
    minutes: np.ndarray
    forward: np.ndarray
    backward: np.ndarray

    @classmethod
    def build(
        cls, start_xy: np.ndarray, end_xy: np.ndarray, speed_kph: np.ndarray, forward: np.ndarray, backward: np.ndarray
    ) -> RoadSegments:
        """Segments from end points (m) and speeds (km/h): length and minutes are measured here."""
        start = np.asarray(start_xy, dtype=float).reshape(-1, 2)
        end = np.asarray(end_xy, dtype=float).reshape(-1, 2)
        length_m = np.hypot(*(end - start).T)
        minutes = length_m / 1000.0 / np.asarray(speed_kph, dtype=float) * 60.0
        return cls(start, end, length_m, minutes, np.asarray(forward, bool), np.asarray(backward, bool))

    def __len__(self) -> int:
        return len(self.length_m)


def is_osm_file(path: Path) -> bool:
    """Whether the file name says OpenStreetMap extract (`.osm.pbf`, `.osm`, …)."""
    return path.name.lower().endswith(OSM_SUFFIXES)


def class_speeds(settings: TravelSettings) -> dict[str, float]:
    """Speed (km/h) of every drivable class: the documented defaults, replaced or extended by the scenario."""
    speeds = {**DEFAULT_HIGHWAY_SPEEDS_KPH, "road": settings.road_default_speed_kph}
    speeds.update(settings.highway_speeds_kph)
    return speeds


def parse_maxspeed(value: str | None) -> float | None:
    """A `maxspeed` tag in km/h, or None when it names no number (zone values, "none", "signals")."""
    if value is None:
        return None
    speeds = []
    for part in value.split(";"):
        match = _SPEED.match(part.strip().lower())
        if match is None:
            continue
        speed = float(match.group(1)) * (KM_PER_MILE if match.group(2) == "mph" else 1.0)
        if speed > 0:
            speeds.append(speed)
    return min(speeds) if speeds else None


def way_directions(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """(forward, backward) travel allowed on a way by its `oneway`, `junction` and `highway` tags."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in _FORWARD:
        return True, False
    if oneway in _BACKWARD:
        return False, True
    if oneway in _TWO_WAY:
        return True, True
    implied = tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway"
    return True, not implied


def read_osm_segments(path: Path, metric_crs: CRS, settings: TravelSettings) -> RoadSegments:
    """Every drivable way of an OSM extract as directed segments in `metric_crs` (rules in the module doc).

    Raises
    ------
    DataError
        When pyosmium cannot read the file, or it holds no drivable way with located nodes.
    """
    speeds = class_speeds(settings)
    lon: list[float] = []
    lat: list[float] = []
    way_speed: list[float] = []
    way_forward: list[bool] = []
    way_backward: list[bool] = []
    way_length: list[int] = []
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue  # nodes tagged highway=* (signals, crossings) are not roads
            tags = dict(way.tags)
            speed = _way_speed(tags, speeds)
            if speed is None:
                continue
            located = [(node.lon, node.lat) for node in way.nodes if node.location.valid()]
            if len(located) < 2:
                continue  # the extract cut the way off: too few of its nodes are inside
            forward, backward = way_directions(tags)
            for x, y in located:
                lon.append(x)
                lat.append(y)
            way_speed.append(speed)
            way_forward.append(forward)
            way_backward.append(backward)
            way_length.append(len(located))
    except RuntimeError as exc:  # pyosmium's error for unreadable or malformed files
        raise DataError.single(
            path, "file", f"is not a readable OpenStreetMap extract ({exc}); download it again as .osm.pbf"
        ) from exc
    if not way_length:
        raise DataError.single(
            path,
            "highway",
            f"holds no drivable way (highway = {', '.join(sorted(speeds))}); export the roads of the area, "
            "not only its buildings or boundaries",
        )
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), metric_crs, always_xy=True)
    xy = np.column_stack(to_metric.transform(np.asarray(lon), np.asarray(lat)))
    counts = np.asarray(way_length)
    way_of_point = np.repeat(np.arange(len(counts)), counts)
    # A segment starts at every way node except each way's last.
    last = np.cumsum(counts) - 1
    starts = np.setdiff1d(np.arange(len(xy)), last, assume_unique=True)
    way_of_segment = way_of_point[starts]
    logger.info("%s: %d drivable ways, %d segments", path.name, len(counts), len(starts))
    return RoadSegments.build(
        xy[starts],
        xy[starts + 1],
        np.asarray(way_speed)[way_of_segment],
        np.asarray(way_forward)[way_of_segment],
        np.asarray(way_backward)[way_of_segment],
    )


def _way_speed(tags: Mapping[str, str], speeds: Mapping[str, float]) -> float | None:
    """The way's speed in km/h, or None when it is not a road cars may use."""
    highway = tags.get("highway", "")
    if highway not in speeds or tags.get("area") == "yes":
        return None
    # The most specific access tag present decides (motorcar=yes opens an access=no way to cars).
    access = next((tags[key] for key in ("motorcar", "motor_vehicle", "access") if key in tags), "yes")
    if access == "no":
        return None
    return parse_maxspeed(tags.get("maxspeed")) or speeds[highway]
