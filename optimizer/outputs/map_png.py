"""The static coverage map, `map.png`, drawn with matplotlib (Agg, no display needed).

The map is drawn in the area's projected metric CRS, so the scale bar is a true length; it has a
legend and a north arrow (grid north of the Gauss-Krüger zone, within about 1.5° of true north in the
county). Chinese labels use a CJK font when one is installed (WenQuanYi, Noto CJK, Source Han …);
otherwise the PNG falls back to English labels without town names rather than print empty boxes.
What the layers hold and how they are coloured is `optimizer.outputs.maps`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import CRS
from shapely.geometry import Polygon

from optimizer.outputs.maps import (
    AMBULANCE_COLOUR,
    FACILITY_COLOUR,
    STATUS_COLOURS,
    STATUS_EN,
    STATUS_ZH,
    SUBCENTRE_COLOUR,
    MapLayers,
    area_colour,
    area_groups,
)

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


@dataclass(frozen=True)
class PointStyle:
    """How one facility layer is drawn: its scatter marker and its legend entry."""

    marker: str
    size: float
    """Scatter marker area (points²)."""
    legend_size: float
    """Legend marker size (points)."""
    colour: str
    zorder: int
    label_zh: str
    label_en: str


FACILITY_STYLE = PointStyle("s", 18, 6, FACILITY_COLOUR, 3, "医疗卫生机构", "health facility")
SUBCENTRE_STYLE = PointStyle("*", 260, 14, SUBCENTRE_COLOUR, 5, "县域医疗卫生次中心", "sub-centre")
AMBULANCE_STYLE = PointStyle("P", 70, 9, AMBULANCE_COLOUR, 6, "急救站点（救护车）", "ambulance base")


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
    for index, (name_zh, name_en, frame) in enumerate(area_groups(layers.service_areas)):
        colour = area_colour(index)
        _polygons(ax, frame.to_crs(crs), facecolor=colour, edgecolor=colour, alpha=0.22, linewidth=0.8, zorder=2)
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.4, label=name_zh if chinese else name_en))
    points = (
        (layers.facilities, FACILITY_STYLE),
        (layers.subcentres, SUBCENTRE_STYLE),
        (layers.ambulance_bases, AMBULANCE_STYLE),
    )
    for frame, style in points:
        _scatter(ax, frame, crs, style)
    _towns(ax, layers.towns.to_crs(crs), families if chinese else None)
    labels = STATUS_ZH if chinese else STATUS_EN
    handles += [
        _legend_marker("o", 9, ("乡镇：" if chinese else "town: ") + labels[k], face=STATUS_COLOURS[k], edge="#222222")
        for k in STATUS_COLOURS
    ]
    handles += [
        _legend_marker(
            style.marker,
            style.legend_size,
            style.label_zh if chinese else style.label_en,
            face=style.colour,
            edge=style.colour,
        )
        for _, style in points
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


def _towns(ax: Axes, towns: gpd.GeoDataFrame, families: list[str] | None) -> None:
    """Towns as circles sized by population and coloured by status; named when a CJK font (`families`) exists."""
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
    if families is None:
        return
    for x, y, name in zip(towns.geometry.x, towns.geometry.y, towns["name"], strict=True):
        ax.annotate(
            str(name),
            (x, y),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=7,
            family=families,
            zorder=7,
        )


def _legend_marker(marker: str, size: float, label: str, *, face: str, edge: str) -> Line2D:
    """A legend entry that is a marker only (no line)."""
    return Line2D(
        [], [], marker=marker, linestyle="", markerfacecolor=face, markeredgecolor=edge, markersize=size, label=label
    )


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


def _scatter(ax: Axes, frame: gpd.GeoDataFrame, crs: CRS, style: PointStyle) -> None:
    if frame.empty:
        return
    projected = frame.to_crs(crs)
    ax.scatter(
        projected.geometry.x,
        projected.geometry.y,
        marker=style.marker,
        s=style.size,
        c=style.colour,
        edgecolors="white",
        linewidths=0.6,
        zorder=style.zorder,
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
