"""Points and the two geodesy operations the build needs: GCJ-02 → WGS-84 and great-circle distance."""

from __future__ import annotations

import math
from dataclasses import dataclass

import prcoords

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    """A WGS-84 point, with the GCJ-02 original when the source was GCJ-02."""

    lon: float
    lat: float
    lon_gcj02: float | None = None
    lat_gcj02: float | None = None


def gcj_to_wgs(lon: float, lat: float) -> Point:
    """Convert a GCJ-02 point to WGS-84 with prcoords' iterative inverse, keeping the original."""
    wgs = prcoords.gcj_wgs_bored((lat, lon))
    return Point(lon=wgs.lon, lat=wgs.lat, lon_gcj02=lon, lat_gcj02=lat)


def great_circle_km(a: Point, b: Point) -> float:
    """Haversine distance in km between two WGS-84 points."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
