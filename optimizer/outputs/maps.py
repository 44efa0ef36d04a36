"""What the coverage maps show, shared by the interactive page (`map_html`) and the static PNG (`map_png`).

A run's map content is one `MapLayers` record (built by `geo_report.map_layers`): the county boundary,
towns with their coverage status, facilities, sub-centres, ambulance bases and service areas, all in
EPSG:4326. Both renderers colour and name these layers the same way, so the colours of a town status,
a service area and a facility layer, the status wording in Chinese and English, and the naming of a
dissolved service area live here, once. This module needs neither folium nor matplotlib: the GeoPackage
and the map layers are built without loading a renderer.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

STATUS_COLOURS = {"met": "#1a9850", "preferred_missed": "#fdae61", "missed": "#d73027"}
STATUS_ZH = {"met": "全部达标", "preferred_missed": "仅优选标准未达标", "missed": "有标准未达标"}
STATUS_EN = {
    "met": "all standards met",
    "preferred_missed": "only a preferred tier missed",
    "missed": "a standard missed",
}
AREA_COLOURS = ("#4575b4", "#91bfdb", "#fee090", "#fc8d59", "#984ea3", "#4daf4a", "#a65628", "#f781bf")
FACILITY_COLOUR = "#555555"
SUBCENTRE_COLOUR = "#6a3d9a"
AMBULANCE_COLOUR = "#e31a1c"


@dataclass(frozen=True)
class MapLayers:
    """Everything a map shows, in EPSG:4326, plus the metric CRS for the static map.

    `towns` carries `name`, `population`, `minutes_to_facility`, `status` (a key of STATUS_COLOURS)
    and `status_zh`; `service_areas` carries `standard`, `label_zh`, `label_en`, `limit`, `unit`,
    `method`; facility layers carry `facility_id`, `name`, `level` and the resource columns.
    """

    title: str
    note: str
    boundary: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    subcentres: gpd.GeoDataFrame
    ambulance_bases: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    metric_crs: CRS


def area_groups(service_areas: gpd.GeoDataFrame) -> list[tuple[str, str, gpd.GeoDataFrame]]:
    """Service areas dissolved per standard and method: (Chinese name, English name, one-row frame)."""
    if service_areas.empty:
        return []
    groups = []
    keys = service_areas[["standard", "method"]].drop_duplicates().itertuples(index=False)
    for standard, method in keys:
        rows = service_areas[(service_areas["standard"] == standard) & (service_areas["method"] == method)]
        first = rows.iloc[0]
        unit = "公里" if first["unit"] == "km" else "分钟"
        how = "缓冲区" if method == "buffer" else "路网等时圈"
        name_zh = f"服务范围：{first['label_zh']} ≤{first['limit']:g}{unit}（{how}）"
        name_en = f"{first['label_en']} <= {first['limit']:g} {first['unit']} ({method})"
        dissolved = gpd.GeoDataFrame({"name": [name_zh]}, geometry=[rows.union_all()], crs=rows.crs)
        groups.append((name_zh, name_en, dissolved))
    return groups


def area_colour(index: int) -> str:
    """The colour of the `index`-th service-area group (the palette repeats)."""
    return AREA_COLOURS[index % len(AREA_COLOURS)]


def town_status(towns: pd.DataFrame, hard_ids: list[str], preferred_ids: list[str]) -> pd.Series:
    """`missed` if some residents of a town are beyond an applicable hard standard (`within_<id>` is the
    share within), `preferred_missed` if only a preferred tier."""

    def missed(ids: list[str]) -> pd.Series:
        columns = [f"within_{i}" for i in ids if f"within_{i}" in towns.columns]
        if not columns:
            return pd.Series(False, index=towns.index)
        return (towns[columns] < 1.0).any(axis=1)

    hard, preferred = missed(hard_ids), missed(preferred_ids)
    status = np.where(hard, "missed", np.where(preferred, "preferred_missed", "met"))
    return pd.Series(status, index=towns.index)
