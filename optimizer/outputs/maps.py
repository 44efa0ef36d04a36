"""Coverage maps a planner can review: an interactive Leaflet page (folium) and a static PNG (matplotlib).

`map.html` works offline. It has no tile layer (`tiles=None`): the bundled county boundary, service
areas, towns and facilities are drawn as vector layers. Leaflet 1.9.3's JavaScript, CSS and control
images are inlined as `data:` URIs from the `xstatic-leaflet` package (the same Leaflet version
folium links by default), and folium's other CDN assets (jQuery, Bootstrap, Font Awesome,
awesome-markers) are dropped, so the page makes no network request. Popups use `GeoJsonPopup`, which
needs no jQuery (folium's `Popup` does). Layers are toggled in an expanded `LayerControl`; popups are
in Chinese (镇名, 人口, 到最近医疗机构分钟, 达标情况).

`map.png` is drawn in the area's projected metric CRS, so the scale bar is a true length; it has a
legend and a north arrow (grid north of the Gauss-Krüger zone, within about 1.5° of true north in the
county). Chinese labels use a CJK font when one is installed (WenQuanYi, Noto CJK, Source Han …);
otherwise the PNG falls back to English labels without town names rather than print empty boxes.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import xstatic.pkg.leaflet as xstatic_leaflet
from folium.features import GeoJsonPopup
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import CRS
from shapely.geometry import Polygon

logger = logging.getLogger(__name__)

LEAFLET_VERSION = "1.9.3"
FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-zA-Z])")
"""The uuid4 hex folium appends to element names (`map_…`, `geo_json_…`); base64 data has no `_`."""
STATUS_COLOURS = {"met": "#1a9850", "preferred_missed": "#fdae61", "missed": "#d73027"}
STATUS_ZH = {"met": "全部达标", "preferred_missed": "仅优选标准未达标", "missed": "有标准未达标"}
STATUS_EN = {
    "met": "all standards met",
    "preferred_missed": "only a preferred tier missed",
    "missed": "a standard missed",
}
AREA_COLOURS = ("#4575b4", "#91bfdb", "#fee090", "#fc8d59", "#984ea3", "#4daf4a", "#a65628", "#f781bf")
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
CJK_FILE_HINTS = ("wqy", "notosanscjk", "sourcehansans", "simhei", "msyh", "pingfang")
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


# ----------------------------------------------------------------------------- HTML (folium)


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


def _area_groups(service_areas: gpd.GeoDataFrame) -> list[tuple[str, str, gpd.GeoDataFrame]]:
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


def render_html(layers: MapLayers) -> str:
    """The interactive map as one self-contained HTML page (no tiles, no CDN)."""
    west, south, east, north = layers.boundary.total_bounds
    fmap = _offline_map(((south + north) / 2, (west + east) / 2))
    folium.GeoJson(
        layers.boundary[["geometry"]],
        name="县界 county boundary",
        style_function=lambda _: {"color": "#333333", "weight": 2, "fillColor": "#f4f1ea", "fillOpacity": 0.6},
    ).add_to(fmap)
    for index, (name, _, frame) in enumerate(_area_groups(layers.service_areas)):
        colour = AREA_COLOURS[index % len(AREA_COLOURS)]
        folium.GeoJson(
            frame,
            name=name,
            show=index < 2,
            style_function=lambda _, c=colour: {"color": c, "weight": 1, "fillColor": c, "fillOpacity": 0.2},
        ).add_to(fmap)
    _point_layer(
        layers.facilities,
        "医疗机构 facilities",
        radius=4,
        colour="#555555",
        fields=["name", "level_zh", "beds", "physicians"],
        aliases=["机构", "级别", "床位", "执业（助理）医师"],
    ).add_to(fmap)
    _point_layer(
        layers.subcentres,
        "次中心 sub-centres",
        radius=9,
        colour="#6a3d9a",
        fields=["name", "beds"],
        aliases=["次中心", "床位"],
    ).add_to(fmap)
    _point_layer(
        layers.ambulance_bases,
        "急救站点 ambulance bases",
        radius=6,
        colour="#e31a1c",
        fields=["name", "ambulances"],
        aliases=["急救站点", "救护车"],
    ).add_to(fmap)
    towns = layers.towns.copy()
    towns["minutes_to_facility"] = towns["minutes_to_facility"].round(1)
    towns["population"] = towns["population"].round(0).astype("int64")
    folium.GeoJson(
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
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    legend = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:{STATUS_COLOURS[k]};margin-right:4px"></span>{v}</div>'
        for k, v in STATUS_ZH.items()
    )
    root = fmap.get_root()
    if not isinstance(root, folium.Figure):
        raise TypeError("a folium.Map renders inside a folium.Figure")
    root.html.add_child(
        folium.Element(
            f'<div id="map-title" style="position:fixed;top:10px;left:56px;z-index:1000;background:white;'
            f'padding:6px 8px;border:1px solid #999;font:13px sans-serif;max-width:420px">'
            f"<b>{_escape(layers.title)}</b><br>{_escape(layers.note)}{legend}</div>"
        )
    )
    return stable_ids(str(root.render()))


def stable_ids(html: str) -> str:
    """Replace folium's random element ids (uuid4 hex) by counters, so a re-render gives the same bytes."""
    ids: dict[str, str] = {}
    return FOLIUM_ID.sub(lambda match: ids.setdefault(match.group(0), f"{len(ids):032x}"), html)


def _point_layer(
    frame: gpd.GeoDataFrame, name: str, *, radius: int, colour: str, fields: list[str], aliases: list[str]
) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name)
    if frame.empty:
        return group
    table = frame.copy()
    table["level_zh"] = table["level"].map(LEVEL_ZH).fillna(table["level"])
    present = [(f, a) for f, a in zip(fields, aliases, strict=True) if f in table.columns]
    folium.GeoJson(
        table[[f for f, _ in present] + ["geometry"]],
        marker=folium.CircleMarker(radius=radius, weight=1, fill=True, fill_opacity=0.8),
        style_function=lambda _: {"color": colour, "fillColor": colour},
        popup=GeoJsonPopup(fields=[f for f, _ in present], aliases=[a for _, a in present]),
    ).add_to(group)
    return group


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ----------------------------------------------------------------------------- PNG (matplotlib)


def cjk_font() -> str | None:
    """A CJK-capable font family known to matplotlib, registering installed ones it has not indexed yet."""
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower().replace("-", "").replace("_", "") for hint in CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):  # unreadable font file: keep looking
                continue
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def nice_scale_length_m(width_m: float) -> float:
    """A round scale-bar length of about a fifth of the map width (1, 2, 5 × 10^k metres)."""
    target = width_m / 5
    magnitude = 10 ** np.floor(np.log10(target))
    return float(max(m * magnitude for m in (1, 2, 5) if m * magnitude <= target))


def render_png(layers: MapLayers, *, dpi: int = 150) -> bytes:
    """The static map as PNG bytes: layers in the metric CRS, legend, scale bar and north arrow."""
    font = cjk_font()
    chinese = font is not None
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    fig = Figure(figsize=(9, 10), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.2, 0.96, 0.74))
    crs = layers.metric_crs
    boundary = layers.boundary.to_crs(crs)
    ax.set_axis_off()
    _polygons(ax, boundary, facecolor="#f4f1ea", edgecolor="#333333", linewidth=1.4, zorder=1)
    handles: list[Patch | Line2D] = []
    for index, (name_zh, name_en, frame) in enumerate(_area_groups(layers.service_areas)):
        colour = AREA_COLOURS[index % len(AREA_COLOURS)]
        _polygons(ax, frame.to_crs(crs), facecolor=colour, edgecolor=colour, alpha=0.22, linewidth=0.8, zorder=2)
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.4, label=name_zh if chinese else name_en))
    _scatter(ax, layers.facilities, crs, marker="s", size=18, colour="#555555", zorder=3)
    _scatter(ax, layers.subcentres, crs, marker="*", size=260, colour="#6a3d9a", zorder=5)
    _scatter(ax, layers.ambulance_bases, crs, marker="P", size=70, colour="#e31a1c", zorder=6)
    towns = layers.towns.to_crs(crs)
    sizes = 30 + 170 * np.sqrt(towns["population"].to_numpy(float) / max(towns["population"].max(), 1.0))
    ax.scatter(
        towns.geometry.x,
        towns.geometry.y,
        s=sizes,
        c=[STATUS_COLOURS[s] for s in towns["status"]],
        edgecolors="#222222",
        linewidths=0.8,
        zorder=4,
    )
    if chinese:
        for point, name in zip(towns.geometry, towns["name"], strict=True):
            ax.annotate(
                str(name),
                (point.x, point.y),
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=7,
                family=families,
                zorder=7,
            )
    labels = STATUS_ZH if chinese else STATUS_EN
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor=STATUS_COLOURS[k],
            markeredgecolor="#222222",
            markersize=9,
            label=("乡镇：" if chinese else "town: ") + labels[k],
        )
        for k in STATUS_COLOURS
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="s",
            linestyle="",
            color="#555555",
            markersize=6,
            label="医疗卫生机构" if chinese else "health facility",
        ),
        Line2D(
            [],
            [],
            marker="*",
            linestyle="",
            color="#6a3d9a",
            markersize=14,
            label="县域医疗卫生次中心" if chinese else "sub-centre",
        ),
        Line2D(
            [],
            [],
            marker="P",
            linestyle="",
            color="#e31a1c",
            markersize=9,
            label="急救站点（救护车）" if chinese else "ambulance base",
        ),
    ]
    ax.set_aspect("equal")
    west, south, east, north = boundary.total_bounds
    pad = 0.04 * max(east - west, north - south)
    ax.set_xlim(west - pad, east + pad)
    ax.set_ylim(south - pad, north + pad)
    _scale_bar(ax, west - pad, south - pad, east - west + 2 * pad, north - south + 2 * pad, families)
    _north_arrow(ax, families)
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.035),
        ncol=2,
        frameon=False,
        prop={"family": families, "size": 8},
    )
    ax.set_title(layers.title if chinese else "Coverage map", fontsize=13, family=families)
    note = f"{layers.note}  坐标系 CRS: {crs.name}" if chinese else f"CRS: {crs.name}"
    fig.text(0.01, 0.008, note, fontsize=7, family=families)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _ring_path(polygon: Polygon) -> MplPath:
    rings = [np.asarray(polygon.exterior.coords)[:, :2]]
    rings += [np.asarray(ring.coords)[:, :2] for ring in polygon.interiors]
    return MplPath.make_compound_path(*[MplPath(ring, closed=True) for ring in rings])


def _polygons(ax: Axes, frame: gpd.GeoDataFrame, **style: object) -> None:
    """Draw (multi)polygons as patches directly: GeoDataFrame.plot redraws the whole figure each call."""
    for geometry in frame.geometry:
        parts = getattr(geometry, "geoms", [geometry])
        for part in parts:
            if isinstance(part, Polygon) and not part.is_empty:
                ax.add_patch(PathPatch(_ring_path(part), **style))


def _scatter(
    ax: Axes, frame: gpd.GeoDataFrame, crs: CRS, *, marker: str, size: float, colour: str, zorder: int
) -> None:
    if frame.empty:
        return
    projected = frame.to_crs(crs)
    ax.scatter(
        projected.geometry.x,
        projected.geometry.y,
        marker=marker,
        s=size,
        c=colour,
        edgecolors="white",
        linewidths=0.6,
        zorder=zorder,
    )


def _scale_bar(ax: Axes, x0: float, y0: float, width: float, height: float, families: list[str]) -> None:
    """A two-segment black/white bar at the lower right, its length a round number of km."""
    length = nice_scale_length_m(width)
    x = x0 + width * 0.95 - length
    y = y0 + height * 0.04
    bar = height * 0.012
    for step in range(2):
        ax.add_patch(
            Rectangle(
                (x + step * length / 2, y),
                length / 2,
                bar,
                facecolor="black" if step == 0 else "white",
                edgecolor="black",
                zorder=8,
            )
        )
    label = f"{length / 1000:g} km"
    ax.text(x + length / 2, y + bar * 1.6, label, ha="center", va="bottom", fontsize=8, family=families, zorder=8)
    ax.text(x, y - bar * 0.6, "0", ha="center", va="top", fontsize=7, family=families, zorder=8)


def _north_arrow(ax: Axes, families: list[str]) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        family=families,
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12, "headlength": 10},
        zorder=9,
    )


def town_status(towns: pd.DataFrame, hard_ids: list[str], preferred_ids: list[str]) -> pd.Series:
    """`missed` if a town misses an applicable hard standard, `preferred_missed` if only a preferred tier."""

    def missed(ids: list[str]) -> pd.Series:
        columns = [f"within_{i}" for i in ids if f"within_{i}" in towns.columns]
        if not columns:
            return pd.Series(False, index=towns.index)
        return (towns[columns] == 0.0).any(axis=1)

    hard, preferred = missed(hard_ids), missed(preferred_ids)
    status = np.where(hard, "missed", np.where(preferred, "preferred_missed", "met"))
    return pd.Series(status, index=towns.index)
