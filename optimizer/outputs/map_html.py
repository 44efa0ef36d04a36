"""The interactive coverage map, `map.html`: one self-contained Leaflet page drawn with folium.

The page works offline. It has no tile layer (`tiles=None`): the bundled county boundary, service
areas, towns and facilities are drawn as vector layers. Leaflet 1.9.3's JavaScript, CSS and control
images are inlined as `data:` URIs from the `xstatic-leaflet` package (the same Leaflet version
folium links by default), and folium's other CDN assets (jQuery, Bootstrap, Font Awesome,
awesome-markers) are dropped, so the page makes no network request. Popups use `GeoJsonPopup`, which
needs no jQuery (folium's `Popup` does). Layers are toggled in an expanded `LayerControl`; popups are
in Chinese (镇名, 人口, 到最近医疗机构分钟, 达标情况). folium's random element ids are replaced by
counters, so re-rendering a run gives the same bytes. What the layers hold and how they are coloured
is `optimizer.outputs.maps`.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import xstatic.pkg.leaflet as xstatic_leaflet
from folium.features import GeoJsonPopup

from optimizer.outputs.maps import (
    AMBULANCE_COLOUR,
    FACILITY_COLOUR,
    STATUS_COLOURS,
    STATUS_ZH,
    SUBCENTRE_COLOUR,
    MapLayers,
    area_colour,
    area_groups,
)

logger = logging.getLogger(__name__)

LEAFLET_VERSION = "1.9.3"
FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-zA-Z])")
"""The uuid4 hex folium appends to element names (`map_…`, `geo_json_…`); base64 data has no `_`."""
LEVEL_ZH = {
    "county_general_hospital": "县级综合医院",
    "county_tcm_hospital": "县中医医院",
    "specialty_hospital": "专科医院",
    "mch_center": "妇幼保健院",
    "central_thc": "中心卫生院",
    "thc": "乡镇卫生院",
    "chc": "社区卫生服务中心",
}


@dataclass(frozen=True)
class PointLayer:
    """How one facility layer is drawn: its name in the layer control, circle and popup rows."""

    name: str
    radius: int
    colour: str
    popup: tuple[tuple[str, str], ...]
    """(column, Chinese label) pairs; columns the layer does not have are left out."""


FACILITY_LAYER = PointLayer(
    "医疗机构 facilities",
    4,
    FACILITY_COLOUR,
    (("name", "机构"), ("level_zh", "级别"), ("beds", "床位"), ("physicians", "执业（助理）医师")),
)
SUBCENTRE_LAYER = PointLayer("次中心 sub-centres", 9, SUBCENTRE_COLOUR, (("name", "次中心"), ("beds", "床位")))
AMBULANCE_LAYER = PointLayer(
    "急救站点 ambulance bases", 6, AMBULANCE_COLOUR, (("name", "急救站点"), ("ambulances", "救护车"))
)


@cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS (with its control images inlined) as data URIs, from xstatic-leaflet."""
    if xstatic_leaflet.VERSION != LEAFLET_VERSION:
        logger.warning(
            "xstatic-leaflet ships Leaflet %s; the map was tested with %s", xstatic_leaflet.VERSION, LEAFLET_VERSION
        )
    base = Path(xstatic_leaflet.BASE_DIR)
    script = (base / "leaflet.js").read_bytes()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline_image(match: re.Match[str]) -> str:
        image = base / match.group(1)
        if not image.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode('ascii')})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline_image, css)
    return (
        f"data:text/javascript;base64,{base64.b64encode(script).decode('ascii')}",
        f"data:text/css;base64,{base64.b64encode(css.encode('utf-8')).decode('ascii')}",
    )


def _offline_map(location: tuple[float, float]) -> folium.Map:
    script, css = _leaflet_assets()
    fmap = folium.Map(location=list(location), zoom_start=10, tiles=None, control_scale=True)
    # Instance attributes: the class lists are shared by every folium.Map.
    fmap.default_js = [("leaflet", script)]
    fmap.default_css = [("leaflet_css", css)]
    return fmap


def render_html(layers: MapLayers) -> str:
    """The interactive map as one self-contained HTML page (no tiles, no CDN)."""
    west, south, east, north = layers.boundary.total_bounds
    fmap = _offline_map(((south + north) / 2, (west + east) / 2))
    folium.GeoJson(
        layers.boundary[["geometry"]],
        name="县界 county boundary",
        style_function=lambda _: {"color": "#333333", "weight": 2, "fillColor": "#f4f1ea", "fillOpacity": 0.6},
    ).add_to(fmap)
    for index, (name, _, frame) in enumerate(area_groups(layers.service_areas)):
        colour = area_colour(index)
        folium.GeoJson(
            frame,
            name=name,
            show=index < 2,
            style_function=lambda _, c=colour: {"color": c, "weight": 1, "fillColor": c, "fillOpacity": 0.2},
        ).add_to(fmap)
    points = (
        (layers.facilities, FACILITY_LAYER),
        (layers.subcentres, SUBCENTRE_LAYER),
        (layers.ambulance_bases, AMBULANCE_LAYER),
    )
    for frame, layer in points:
        _point_layer(frame, layer).add_to(fmap)
    _town_layer(layers.towns).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    root = fmap.get_root()
    if not isinstance(root, folium.Figure):
        raise TypeError("a folium.Map renders inside a folium.Figure")
    root.html.add_child(folium.Element(_title_box(layers)))
    return stable_ids(str(root.render()))


def stable_ids(html: str) -> str:
    """Replace folium's random element ids (uuid4 hex) by counters, so a re-render gives the same bytes."""
    ids: dict[str, str] = {}
    return FOLIUM_ID.sub(lambda match: ids.setdefault(match.group(0), f"{len(ids):032x}"), html)


def _point_layer(frame: gpd.GeoDataFrame, layer: PointLayer) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=layer.name)
    if frame.empty:
        return group
    table = frame.copy()
    table["level_zh"] = table["level"].map(LEVEL_ZH).fillna(table["level"])
    present = [(f, a) for f, a in layer.popup if f in table.columns]
    colour = layer.colour
    folium.GeoJson(
        table[[f for f, _ in present] + ["geometry"]],
        marker=folium.CircleMarker(radius=layer.radius, weight=1, fill=True, fill_opacity=0.8),
        style_function=lambda _: {"color": colour, "fillColor": colour},
        popup=GeoJsonPopup(fields=[f for f, _ in present], aliases=[a for _, a in present]),
    ).add_to(group)
    return group


def _town_layer(towns: gpd.GeoDataFrame) -> folium.GeoJson:
    """Towns as circles coloured by status, with population, minutes to care and standards in the popup."""
    towns = towns.copy()
    towns["minutes_to_facility"] = towns["minutes_to_facility"].round(1)
    towns["population"] = towns["population"].round(0).astype("int64")
    return folium.GeoJson(
        towns[["code", "name", "population", "minutes_to_facility", "status_zh", "status", "geometry"]],
        name="乡镇 towns",
        marker=folium.CircleMarker(radius=8, weight=2, fill=True, fill_opacity=0.9),
        style_function=lambda feature: {
            "color": "#222222",
            "fillColor": STATUS_COLOURS[feature["properties"]["status"]],
        },
        popup=GeoJsonPopup(
            fields=["name", "population", "minutes_to_facility", "status_zh"],
            aliases=["镇名", "人口", "到最近医疗机构分钟", "达标情况"],
            max_width=420,
        ),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    )


def _title_box(layers: MapLayers) -> str:
    """The fixed box at the top left: title, travel-time note and the town-status legend."""
    legend = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:{STATUS_COLOURS[k]};margin-right:4px"></span>{v}</div>'
        for k, v in STATUS_ZH.items()
    )
    return (
        f'<div id="map-title" style="position:fixed;top:10px;left:56px;z-index:1000;background:white;'
        f'padding:6px 8px;border:1px solid #999;font:13px sans-serif;max-width:420px">'
        f"<b>{_escape(layers.title)}</b><br>{_escape(layers.note)}{legend}</div>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
