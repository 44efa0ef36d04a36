"""What the coverage maps show, shared by the interactive page (`map_html`) and the static PNG (`map_png`).

A run's map content is one `MapLayers` record (built by `geo_report.map_layers`): the county boundary,
towns with their coverage status, facilities with what the plan changes there, sub-centres, ambulance
bases, service areas and the demand points a standard misses, all in EPSG:4326. Both renderers draw
these the same way, so the colours and symbols, the legend, the badge of what the plan adds at a
facility and the Chinese and English wording live here, once. Colours are chosen so no two legend
entries share one: ambulance bases are teal, never the red of a missed town, and facilities are blues,
greys and browns, apart from the green/orange/red town status. This module needs neither folium nor
matplotlib: the GeoPackage and the map layers are built without loading a renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from optimizer.outputs.labels import LEVEL_LABELS, map_label, unit_label

STATUS_COLOURS = {"met": "#1a9850", "preferred_missed": "#fdae61", "missed": "#d73027"}
STATUS_ZH = {status: map_label(f"map_status_{status}", "zh") for status in STATUS_COLOURS}
STATUS_EN = {status: map_label(f"map_status_{status}", "en") for status in STATUS_COLOURS}
AREA_COLOURS = ("#4575b4", "#91bfdb", "#fee090", "#fc8d59", "#984ea3", "#4daf4a", "#a65628", "#f781bf")
SUBCENTRE_COLOUR = "#6a3d9a"
AMBULANCE_COLOUR = "#00838f"
UNCOVERED_COLOUR = "#f4511e"
MAIN_STANDARD = "medical_circle_15min"
"""The standard whose uncovered demand points are shown when the page opens (else the first hard one)."""
BADGE_RESOURCES = {r: map_label(f"map_badge_{r}") for r in ("beds", "physicians", "nurses", "ambulances")}
"""The resources the facility badge counts, with their one-character Chinese unit (+120床 +15医)."""

Shape = Literal["square", "diamond", "circle"]


@dataclass(frozen=True)
class FacilitySymbol:
    """How a facility of one level is drawn: shape, fill colour and size (HTML pixels; PNG scales it)."""

    shape: Shape
    colour: str
    size_px: int
    label_zh: str
    label_en: str


def _symbol(level: str, shape: Shape, colour: str, size_px: int) -> FacilitySymbol:
    return FacilitySymbol(shape, colour, size_px, *LEVEL_LABELS[level])


LEVEL_SYMBOLS = {
    "county_general_hospital": _symbol("county_general_hospital", "square", "#08306b", 14),
    "county_tcm_hospital": _symbol("county_tcm_hospital", "square", "#8c510a", 14),
    "specialty_hospital": _symbol("specialty_hospital", "square", "#525252", 12),
    "mch_center": _symbol("mch_center", "square", "#de77ae", 12),
    "central_thc": _symbol("central_thc", "diamond", "#2171b5", 13),
    "thc": _symbol("thc", "circle", "#6baed6", 11),
    "chc": _symbol("chc", "circle", "#9e9ac8", 11),
}
"""County-level hospitals are squares, central township health centres diamonds, the others circles."""
OTHER_SYMBOL = FacilitySymbol(
    "circle", "#969696", 11, map_label("map_other_facility"), map_label("map_other_facility", "en")
)


@dataclass(frozen=True)
class UncoveredDemand:
    """Demand points beyond one hard standard (`within_<standard>` is 0), as one map layer."""

    standard: str
    label_zh: str
    label_en: str
    points: gpd.GeoDataFrame
    main: bool
    """Shown when the map opens (the main standard); the others are listed off in the layer control."""


@dataclass(frozen=True)
class MapLayers:
    """Everything a map shows, in EPSG:4326, plus the metric CRS for the static map.

    `towns` carries `name`, `population`, `minutes_to_facility`, `status` (a key of STATUS_COLOURS)
    and `status_zh`; `service_areas` carries `standard`, `label_zh`, `label_en`, `limit`, `unit`,
    `method`; `facilities` carries `facility_id`, `name`, `level`, the resource columns and, from
    `plan_changes`, `plan_badge` and `plan_changes_zh`; `demand` is the run's demand points (empty
    without them) and `uncovered` their layers beyond each hard standard.
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
    demand: gpd.GeoDataFrame
    uncovered: tuple[UncoveredDemand, ...] = ()


def level_symbol(level: str) -> FacilitySymbol:
    """The symbol of a facility level (an unknown level gets a grey circle)."""
    return LEVEL_SYMBOLS.get(level, OTHER_SYMBOL)


def area_groups(service_areas: gpd.GeoDataFrame) -> list[tuple[str, str, gpd.GeoDataFrame]]:
    """Service areas dissolved per standard and method: (Chinese name, English name, one-row frame)."""
    if service_areas.empty:
        return []
    groups = []
    keys = service_areas[["standard", "method"]].drop_duplicates().itertuples(index=False)
    for standard, method in keys:
        rows = service_areas[(service_areas["standard"] == standard) & (service_areas["method"] == method)]
        first = rows.iloc[0]
        unit = unit_label("km" if first["unit"] == "km" else "minutes", "zh")
        how = map_label("map_buffer" if method == "buffer" else "map_isochrone")
        name_zh = f"{map_label('map_service_area')}：{first['label_zh']} ≤{first['limit']:g}{unit}（{how}）"
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


def plan_changes(allocation: pd.DataFrame, labels_zh: Mapping[str, str]) -> pd.DataFrame:
    """What the plan changes at each facility against its base-year stock (`existing_<resource>`).

    `labels_zh` maps each resource column of `allocation` (and `ambulances`) to its Chinese name. Returns,
    in the order of `allocation`: `plan_badge`, the signed changes of the resources of BADGE_RESOURCES
    ("+71床 +12医"; empty when none changes), and `plan_changes_zh`, every resource's base → plan
    (change) for the popup; a resource whose base-year stock is not published is shown with its plan
    amount and that note, never as an addition.
    """
    badges, details = [], []
    for _, row in allocation.iterrows():
        badge: dict[str, str] = {}
        detail = []
        for resource, label in labels_zh.items():
            plan = int(row[resource])
            base = row.get(f"existing_{resource}")
            if base is None or pd.isna(base):
                if plan > 0:
                    detail.append(f"{label} {plan}（{map_label('map_stock_unknown')}）")
                continue
            change = plan - int(base)
            if change == 0:
                continue
            detail.append(f"{label} {int(base)}→{plan}（{change:+d}）")
            if resource in BADGE_RESOURCES:
                badge[resource] = f"{change:+d}{BADGE_RESOURCES[resource]}"
        if bool(row.get("is_subcentre", False)):
            detail.append(map_label("map_becomes_subcentre"))
        badges.append(" ".join(badge[r] for r in BADGE_RESOURCES if r in badge))
        details.append("；".join(detail) if detail else map_label("map_unchanged"))
    return pd.DataFrame({"plan_badge": badges, "plan_changes_zh": details}, index=allocation.index)


def uncovered_layers(demand: gpd.GeoDataFrame, standards: list[tuple[str, str, str]]) -> tuple[UncoveredDemand, ...]:
    """One layer per hard standard (id, Chinese, English label) with the demand points beyond it.

    A point is beyond when its `within_<id>` is 0 (empty where the standard does not apply there).
    Standards no point misses get no layer. The main one (MAIN_STANDARD, else the first) opens shown.
    """
    layers = []
    for standard, label_zh, label_en in standards:
        column = f"within_{standard}"
        if column not in demand.columns:
            continue
        beyond = demand[demand[column].astype(float) <= 0.0].reset_index(drop=True)
        if not beyond.empty:
            layers.append((standard, label_zh, label_en, beyond))
    main = next((s for s, *_ in layers if s == MAIN_STANDARD), layers[0][0] if layers else None)
    return tuple(UncoveredDemand(s, zh, en, points, s == main) for s, zh, en, points in layers)


FACILITY_STEP_PX = 17
"""Spacing of the facilities drawn at one point (HTML pixels; the PNG scales it)."""
FACILITY_COLUMN_DX_PX = -20
"""Facilities at a town's point sit in a column this far left of the town dot, so neither hides the other."""


def facility_offsets(facilities: gpd.GeoDataFrame, towns: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """Screen offsets (x right, y down, HTML pixels) that keep facilities sharing a point apart.

    Facilities whose point is a town's point (estimated locations are the township seat) are drawn in a
    column left of the town dot; several facilities at one point elsewhere in a column at the point; a
    lone facility away from towns at its point. The offset is a drawing convention at every zoom: the
    popup and the GeoPackage keep the true coordinates.
    """
    town_points = {(round(x, 5), round(y, 5)) for x, y in zip(towns.geometry.x, towns.geometry.y, strict=True)}
    keys = [(round(x, 5), round(y, 5)) for x, y in zip(facilities.geometry.x, facilities.geometry.y, strict=True)]
    offsets = []
    for index, key in enumerate(keys):
        same = [i for i, other in enumerate(keys) if other == key]
        dx = FACILITY_COLUMN_DX_PX if key in town_points else 0.0
        dy = (same.index(index) - (len(same) - 1) / 2) * FACILITY_STEP_PX
        offsets.append((float(dx), float(dy)))
    return offsets
