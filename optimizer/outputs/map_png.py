"""The static coverage map, `map.png`, drawn with matplotlib (Agg, no display needed).

The map is drawn in the area's projected metric CRS, so the scale bar is a true length; it has a
legend and a north arrow (grid north of the Gauss-Krüger zone, within about 1.5° of true north in the
county). Chinese labels use a CJK font when one is installed (WenQuanYi, Noto CJK, Source Han …);
otherwise the PNG falls back to English labels without town names rather than print empty boxes.
What the layers hold and how they are coloured is `optimizer.outputs.maps`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox, offset_copy
from pyproj import CRS
from shapely.geometry import Polygon

from optimizer.outputs.labels import Lang, map_label
from optimizer.outputs.maps import (
    AMBULANCE_COLOUR,
    LEVEL_SYMBOLS,
    STATUS_COLOURS,
    STATUS_EN,
    STATUS_ZH,
    SUBCENTRE_COLOUR,
    UNCOVERED_COLOUR,
    MapLayers,
    area_colour,
    area_groups,
    facility_offsets,
    level_symbol,
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


MARKERS = {"square": "s", "diamond": "D", "circle": "o"}
"""matplotlib markers of the facility shapes of `maps.LEVEL_SYMBOLS`."""
PLAN_BADGE_FACE, PLAN_BADGE_EDGE = "#fff8dc", "#b8860b"
"""The plan-change badge's colours, as on the HTML map."""
POINTS_PER_PX = 0.55
"""The HTML map's pixel offsets and sizes, in PNG points (the PNG is denser)."""
LABEL_HALO = [patheffects.withStroke(linewidth=2.6, foreground="white")]
Candidates = tuple[tuple[float, float, str, str], ...]
"""Where a text may go: (dx, dy) in points from its point, horizontal and vertical alignment."""
LABEL_CANDIDATES: Candidates = (
    (7, 0, "left", "center"),
    (0, 8, "center", "bottom"),
    (0, -8, "center", "top"),
    (6, 6, "left", "bottom"),
    (6, -6, "left", "top"),
    (-7, 0, "right", "center"),
)
"""Where a town name may go (offset in points, alignment), tried in order until it overlaps nothing."""


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
    """The static map as PNG bytes: layers in the metric CRS, named towns, legend, scale bar and north arrow."""
    font = cjk_font()
    chinese = font is not None
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    fig = Figure(figsize=(9, 10.5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.24, 0.96, 0.7))
    crs = layers.metric_crs
    boundary = layers.boundary.to_crs(crs)
    ax.set_axis_off()
    _polygons(ax, boundary, facecolor="#f4f1ea", edgecolor="#333333", linewidth=1.4, zorder=1)
    handles: list[Patch | Line2D] = []
    for index, (name_zh, name_en, frame) in enumerate(area_groups(layers.service_areas)):
        colour = area_colour(index)
        _polygons(ax, frame.to_crs(crs), facecolor=colour, edgecolor=colour, alpha=0.22, linewidth=0.8, zorder=2)
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.4, label=name_zh if chinese else name_en))
    ax.set_aspect("equal")
    west, south, east, north = boundary.total_bounds
    pad = 0.04 * max(east - west, north - south)
    ax.set_xlim(west - pad, east + pad)
    ax.set_ylim(south - pad, north + pad)
    main = next((u for u in layers.uncovered if u.main), None)
    if main is not None:
        points = main.points.to_crs(crs)
        ax.scatter(
            points.geometry.x,
            points.geometry.y,
            s=10,
            facecolors="none",
            edgecolors=UNCOVERED_COLOUR,
            linewidths=0.8,
            zorder=3,
        )
    towns = layers.towns.to_crs(crs)
    symbols = _towns(fig, ax, towns) + _facilities(fig, ax, layers, crs)
    if chinese:
        taken = _symbol_boxes(fig, symbols)
        name_style = {"fontsize": 7.5, "family": families, "zorder": 8, "path_effects": LABEL_HALO}
        order = towns.sort_values("population", ascending=False)
        names = zip(order.geometry.x, order.geometry.y, order["name"], strict=True)
        _place_texts(ax, [(x, y, str(name), LABEL_CANDIDATES, name_style) for x, y, name in names], taken)
        _place_texts(ax, _plan_badges(layers, crs, families), taken)
    handles += _legend_handles(layers, chinese)
    _scale_bar(ax, west - pad, south - pad, east - west + 2 * pad, north - south + 2 * pad, families)
    _north_arrow(ax, families)
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.03),
        ncol=2,
        frameon=False,
        prop={"family": families, "size": 8},
    )
    ax.set_title(layers.title if chinese else map_label("map_title", "en").capitalize(), fontsize=13, family=families)
    note = f"{layers.note}  {map_label('map_crs')}: {crs.name}" if chinese else f"CRS: {crs.name}"
    fig.text(0.01, 0.008, note, fontsize=7, family=families)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _legend_handles(layers: MapLayers, chinese: bool) -> list[Patch | Line2D]:
    """Legend entries for every symbol drawn: facility levels, sub-centre, base, town status, uncovered demand."""
    lang: Lang = "zh" if chinese else "en"
    handles: list[Patch | Line2D] = []
    levels = set(layers.facilities["level"])
    for level, symbol in LEVEL_SYMBOLS.items():
        if level in levels:
            label = symbol.label_zh if chinese else symbol.label_en
            handles.append(_legend_marker(MARKERS[symbol.shape], 7, label, face=symbol.colour, edge="#222222"))
    if not layers.subcentres.empty:
        label = map_label("map_legend_subcentre_star", lang)
        handles.append(_legend_marker("*", 13, label, face=SUBCENTRE_COLOUR, edge="white"))
    if not layers.ambulance_bases.empty:
        label = map_label("map_legend_ambulance_png", lang)
        handles.append(_legend_marker("P", 8, label, face=AMBULANCE_COLOUR, edge="white"))
    if (layers.facilities["plan_badge"] != "").any():
        label = map_label("map_legend_plan", lang)
        handles.append(Patch(facecolor=PLAN_BADGE_FACE, edgecolor=PLAN_BADGE_EDGE, linewidth=0.5, label=label))
    labels = STATUS_ZH if chinese else STATUS_EN
    handles += [
        _legend_marker("o", 9, map_label("map_town_prefix", lang) + labels[k], face=STATUS_COLOURS[k], edge="#222222")
        for k in STATUS_COLOURS
    ]
    main = next((u for u in layers.uncovered if u.main), None)
    if main is not None:
        label = f"{map_label('map_uncovered', lang)}（{main.label_zh if chinese else main.label_en}）"
        handles.append(_legend_marker("o", 5, label, face="none", edge=UNCOVERED_COLOUR))
    return handles


def _towns(fig: Figure, ax: Axes, towns: gpd.GeoDataFrame) -> list[tuple[float, float, float]]:
    """Towns as circles sized by population and coloured by status; returns their (x, y, radius) in points."""
    sizes = 30 + 120 * np.sqrt(towns["population"].to_numpy(float) / max(towns["population"].max(), 1.0))
    xs, ys = towns.geometry.x.to_numpy(float), towns.geometry.y.to_numpy(float)
    ax.scatter(
        xs, ys, s=sizes, c=[STATUS_COLOURS[s] for s in towns["status"]], edgecolors="#222222", linewidths=0.8, zorder=4
    )
    at = ax.transData.transform(np.column_stack([xs, ys])) * 72 / fig.dpi
    return [(float(x), float(y), float(np.sqrt(size) / 2)) for (x, y), size in zip(at, sizes, strict=True)]


def _plan_badges(
    layers: MapLayers, crs: CRS, families: list[str]
) -> list[tuple[float, float, str, Candidates, dict[str, Any]]]:
    """What the plan changes at each facility (+71床 +12医), left of its symbol, else below or above it."""
    facilities = layers.facilities
    projected = facilities.to_crs(crs)
    style = {
        "fontsize": 5.5,
        "family": families,
        "zorder": 8,
        "bbox": {
            "boxstyle": "round,pad=0.2",
            "facecolor": PLAN_BADGE_FACE,
            "edgecolor": PLAN_BADGE_EDGE,
            "linewidth": 0.5,
        },
    }
    badges = []
    offsets = facility_offsets(facilities, layers.towns)
    rows = zip(
        projected.geometry.x, projected.geometry.y, facilities["plan_badge"], facilities["level"], offsets, strict=True
    )
    for x, y, badge, level, (dx_px, dy_px) in rows:
        if not badge:
            continue
        dx, dy = dx_px * POINTS_PER_PX, -dy_px * POINTS_PER_PX
        edge = dx - level_symbol(str(level)).size_px * POINTS_PER_PX / 2 - 3
        candidates: Candidates = (
            (edge, dy, "right", "center"),
            (edge, dy - 8, "right", "center"),
            (edge, dy + 8, "right", "center"),
            (dx, dy - 10, "center", "top"),
        )
        badges.append((float(x), float(y), str(badge), candidates, style))
    return badges


def _facilities(fig: Figure, ax: Axes, layers: MapLayers, crs: CRS) -> list[tuple[float, float, float]]:
    """Facility symbols (sub-centre star behind, ambulance cross at the upper right) at the HTML map's offsets.

    Returns (x, y, radius) in points from the figure origin of every symbol, for the name placement.
    """
    facilities = layers.facilities
    if facilities.empty:
        return []
    projected = facilities.to_crs(crs)
    xs, ys = projected.geometry.x.to_numpy(float), projected.geometry.y.to_numpy(float)
    offsets = facility_offsets(facilities, layers.towns)
    levels, subcentre = list(facilities["level"]), facilities["is_subcentre"].to_numpy(bool)
    vehicles = facilities["ambulances"].to_numpy(float)
    drawn = []
    for index, (dx_px, dy_px) in enumerate(offsets):
        dx, dy = dx_px * POINTS_PER_PX, -dy_px * POINTS_PER_PX
        symbol = level_symbol(str(levels[index]))
        size = symbol.size_px * POINTS_PER_PX
        where = ([xs[index]], [ys[index]])
        at = offset_copy(ax.transData, fig=fig, x=dx, y=dy, units="points")
        if subcentre[index]:
            ax.scatter(
                *where,
                s=(2.4 * size) ** 2,
                marker="*",
                c=SUBCENTRE_COLOUR,
                edgecolors="white",
                linewidths=0.5,
                transform=at,
                zorder=5,
            )
        ax.scatter(
            *where,
            s=size**2,
            marker=MARKERS[symbol.shape],
            c=symbol.colour,
            edgecolors="#222222",
            linewidths=0.6,
            transform=at,
            zorder=6,
        )
        if vehicles[index] > 0:
            corner = offset_copy(ax.transData, fig=fig, x=dx + size * 0.8, y=dy + size * 0.8, units="points")
            ax.scatter(
                *where,
                s=28,
                marker="P",
                c=AMBULANCE_COLOUR,
                edgecolors="white",
                linewidths=0.5,
                transform=corner,
                zorder=7,
            )
        x, y = ax.transData.transform((xs[index], ys[index])) * 72 / fig.dpi
        drawn.append((float(x + dx), float(y + dy), size / 2 + 0.5))
    return drawn


def _place_texts(
    ax: Axes, texts: list[tuple[float, float, str, Candidates, dict[str, Any]]], taken: list[Bbox]
) -> None:
    """Each (x, y, text, candidates, style) at its first candidate that overlaps nothing in `taken`.

    Candidates are (dx, dy, ha, va) offsets in points; a text no candidate frees goes where it overlaps
    least. Every placed text joins `taken`, so texts placed later avoid it.
    """
    for x, y, content, candidates, style in texts:
        best = None
        for dx, dy, ha, va in candidates:
            text = ax.annotate(content, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **style)
            box = text.get_window_extent().padded(1.5)
            clashes = box.count_overlaps(taken) if taken else 0
            if best is None or clashes < best[0]:
                if best is not None:
                    best[1].remove()
                best = (clashes, text, box)
            else:
                text.remove()
            if clashes == 0:
                break
        if best is not None:
            taken.append(best[2])


def _symbol_boxes(fig: Figure, symbols: list[tuple[float, float, float]]) -> list[Bbox]:
    """Display-pixel boxes of symbols given as (x, y, radius) in points from the figure origin."""
    scale = fig.dpi / 72
    return [
        Bbox.from_extents((x - r) * scale, (y - r) * scale, (x + r) * scale, (y + r) * scale) for x, y, r in symbols
    ]


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
