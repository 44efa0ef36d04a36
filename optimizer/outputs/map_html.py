"""The interactive coverage map, `map.html`: one self-contained Leaflet page drawn with folium.

The page works offline. Leaflet 1.9.3's JavaScript, CSS and control images are inlined as `data:` URIs
from the `xstatic-leaflet` package (the same Leaflet version folium links by default), and folium's
other CDN assets (jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped. The base layer that
opens is "无底图" (no tiles): the county boundary, service areas, towns and facilities are vector layers.
An OpenStreetMap base layer can be chosen in the layer control when online; OSM tiles are Web Mercator
on WGS-84, the datum of every layer here, so they line up without a GCJ-02 shift (Chinese providers'
tiles are offset). Offline its tiles fail quietly and the rest of the page is unaffected. It is off
when the page opens: OSM's tile policy asks browsers for a Referer, which a page opened from file://
does not send, so tiles may be refused (community.openstreetmap.org, "Error 403 when using local
files - referer missing"); serving the run folder over http (`python -m http.server`) avoids that.

Drawing order is fixed by Leaflet panes: demand points (z 410) under towns (450) under the sub-centre
stars (605), facilities (610) and their badges (620); town names are permanent tooltips, which take no
clicks, so every facility stays clickable. Facilities at a town's point are drawn in a column beside
the town dot (`maps.facility_offsets`). Popups use `GeoJsonPopup`, which needs no jQuery (folium's
`Popup` does). The legend is a Leaflet control; the layer control starts collapsed so it hides no part
of the county, and the view fits the county with room for the title box and the legend. folium's
random element ids are replaced by counters, so re-rendering a run gives the same bytes. What the
layers hold and how they are coloured is `optimizer.outputs.maps`; the wording is `labels.MAP_LABELS`.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import xstatic.pkg.leaflet as xstatic_leaflet
from branca.element import MacroElement
from folium.features import GeoJsonPopup
from folium.template import Template
from folium.utilities import JsCode

from optimizer.outputs.labels import map_label, map_layer_name, resource_label
from optimizer.outputs.map_symbols import (
    ambulance_badge_html,
    facility_icon_html,
    legend_html,
    plan_badge_html,
    subcentre_star_html,
)
from optimizer.outputs.maps import (
    STATUS_COLOURS,
    UNCOVERED_COLOUR,
    MapLayers,
    area_colour,
    area_groups,
    facility_offsets,
    level_symbol,
)

logger = logging.getLogger(__name__)

LEAFLET_VERSION = "1.9.3"
FOLIUM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-zA-Z])")
"""The uuid4 hex folium appends to element names (`map_…`, `geo_json_…`); base64 data has no `_`."""
PANES = (("demand", 410), ("towns", 450), ("subcentres", 605), ("facilities", 610), ("badges", 620))
"""Leaflet panes and their z-index: overlayPane (service areas) is 400, markerPane 600, tooltipPane 650."""
AMBULANCE_BADGE_PX = (22, 12)
FIT_PADDING_TOP_LEFT = (30, 120)
"""Room for the title box at the top left (pixels)."""
FIT_PADDING_BOTTOM_RIGHT = (270, 30)
"""Room for the legend at the bottom right (pixels)."""
TOWN_LABEL_JS = """function (feature, layer) {
    var label = document.createElement('span');
    label.textContent = feature.properties.name;
    label.dataset.code = feature.properties.code;
    label.dataset.population = feature.properties.population;
    layer.bindTooltip(label, {permanent: true, direction: 'right', offset: [6, 0], className: 'town-label'});
}"""
"""Each town's name as its own permanent tooltip (a tooltip bound to the whole layer opens only once)."""
PAGE_CSS = """<style>
.leaflet-tooltip.town-label{background:transparent;border:0;box-shadow:none;padding:0;color:#111;
  font:bold 13px "WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
  text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff}
.leaflet-tooltip.town-label::before{display:none}
.facility-marker,.map-badge{background:transparent;border:0}
.plan-badge{position:absolute;right:0;top:-8px;white-space:nowrap;font:11px sans-serif;line-height:14px;
  padding:0 3px;background:#fff8dc;border:1px solid #b8860b;border-radius:3px;color:#5a3e00}
.map-legend{background:#fff;padding:6px 8px;border:1px solid #999;border-radius:4px;font:12px sans-serif;
  line-height:18px;max-width:250px}
.map-legend h4{margin:4px 0 2px;font-size:12px}
.map-legend .legend-symbol{display:inline-block;min-width:22px;text-align:center;vertical-align:middle}
</style>"""


class _LegendAndDeclutter(MacroElement):
    """The symbol legend as a Leaflet control at the bottom right, and the label declutter.

    After every zoom or pan, once every symbol and name has stayed put for 150 ms, town names are laid out from the most
    populous down and a name that would cover a facility or a name already shown is hidden until the map
    is zoomed in far enough; then each plan-change badge is moved up or down by a row (at most two) to
    clear names, facilities and earlier badges, or hidden likewise. Symbols never move, and every value
    stays in the popups. The layout runs again once the page's stylesheets and fonts have loaded (they
    change where and how wide a name is). The root element's `data-declutter` is "pending" while a layout
    waits, else what the last layout measured ("loaded" once final), for tests to wait on.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'map-legend');
                div.id = 'map-legend';
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            function overlaps(a, b) {
                return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            }
            function declutter() {
                var placed = Array.from(document.querySelectorAll('.leaflet-facilities-pane .facility-marker'),
                                        function (el) { return el.getBoundingClientRect(); });
                function free(box) { return !placed.some(function (other) { return overlaps(box, other); }); }
                var labels = Array.from(document.querySelectorAll('.leaflet-tooltip-pane .town-label'));
                labels.sort(function (a, b) {
                    return Number(b.firstChild.dataset.population) - Number(a.firstChild.dataset.population);
                });
                labels.forEach(function (label) {
                    var box = label.getBoundingClientRect();
                    label.style.visibility = free(box) ? '' : 'hidden';
                    if (label.style.visibility === '') { placed.push(box); }
                });
                document.querySelectorAll('.leaflet-badges-pane .plan-badge').forEach(function (badge) {
                    var shifts = [0, 15, -15, 30, -30];
                    badge.style.visibility = 'hidden';
                    for (var i = 0; i < shifts.length; i++) {
                        badge.style.marginTop = shifts[i] + 'px';
                        if (free(badge.getBoundingClientRect())) { badge.style.visibility = ''; break; }
                    }
                    if (badge.style.visibility === '') { placed.push(badge.getBoundingClientRect()); }
                });
                var fonts = document.fonts ? document.fonts.status : 'loaded';
                document.documentElement.dataset.declutter = document.readyState === 'complete' ? fonts : 'loading';
            }
            var timer = null, moving = false, seen = '';
            function layout() {  // where every symbol and name is now, to tell a settled view
                return Array.from(document.querySelectorAll('.facility-marker, .town-label'), function (el) {
                    var r = el.getBoundingClientRect();
                    return [r.left, r.top, r.width, r.height].join(',');
                }).join(';');
            }
            function settle() {  // lay out only once two looks 150 ms apart agree (CSS transitions end late)
                var now = layout();
                if (now !== seen) { seen = now; later(); } else { declutter(); }
            }
            function later() {  // once the view has settled: a zoom animation moves every name meanwhile
                document.documentElement.dataset.declutter = 'pending';
                clearTimeout(timer);
                if (!moving) { timer = setTimeout(settle, 150); }
            }
            map.on('zoomstart movestart', function () { moving = true; later(); });
            map.on('zoomend moveend', function () { moving = false; later(); });
            map.on('overlayadd', later);
            map.whenReady(later);
            // names change width once the CJK font has loaded: lay them out again then
            if (document.fonts) { document.fonts.ready.then(function () { map.whenReady(later); }); }
            window.addEventListener('load', later);  // Leaflet's stylesheet (a data URI) applies by then
            // the opening view, without a zoom animation: names are laid out on a still map
            map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: {{ this.padding_top_left|tojson }},
                paddingBottomRight: {{ this.padding_bottom_right|tojson }}, animate: false});
            if (window.ResizeObserver) {  // a name or symbol that changes size (styles, fonts) is laid out again
                var resized = new ResizeObserver(later);
                document.querySelectorAll('.town-label, .facility-marker').forEach(function (el) {
                    resized.observe(el);
                });
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ is unannotated
        self._name = "LegendAndDeclutter"
        self.html = html
        self.bounds = bounds
        self.padding_top_left = list(FIT_PADDING_TOP_LEFT)
        self.padding_bottom_right = list(FIT_PADDING_BOTTOM_RIGHT)


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
    fmap = folium.Map(location=list(location), zoom_start=10, tiles=None, control_scale=True, zoom_snap=0.25)
    # Instance attributes: the class lists are shared by every folium.Map.
    fmap.default_js = [("leaflet", script)]
    fmap.default_css = [("leaflet_css", css)]
    for name, z_index in PANES:
        folium.map.CustomPane(name, z_index=z_index, pointer_events=True).add_to(fmap)
    folium.FeatureGroup(name=map_layer_name("map_base_none"), overlay=False).add_to(fmap)
    folium.TileLayer("OpenStreetMap", name=map_layer_name("map_base_osm"), overlay=False, show=False).add_to(fmap)
    return fmap


def render_html(layers: MapLayers) -> str:
    """The interactive map as one self-contained HTML page (no tiles unless chosen, no CDN)."""
    west, south, east, north = layers.boundary.total_bounds
    fmap = _offline_map(((south + north) / 2, (west + east) / 2))
    folium.GeoJson(
        layers.boundary[["geometry"]],
        name=map_layer_name("map_boundary"),
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
    for uncovered in layers.uncovered:
        _uncovered_layer(
            uncovered.points, f"{map_layer_name('map_uncovered')}：{uncovered.label_zh}", uncovered.main
        ).add_to(fmap)
    _town_layer(layers.towns).add_to(fmap)
    for group in _facility_groups(layers):
        group.add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    _LegendAndDeclutter(legend_html(layers), [[south, west], [north, east]]).add_to(fmap)
    root = fmap.get_root()
    if not isinstance(root, folium.Figure):
        raise TypeError("a folium.Map renders inside a folium.Figure")
    root.header.add_child(folium.Element(PAGE_CSS))
    root.html.add_child(folium.Element(_title_box(layers)))
    return stable_ids(str(root.render()))


def stable_ids(html: str) -> str:
    """Replace folium's random element ids (uuid4 hex) by counters, so a re-render gives the same bytes."""
    ids: dict[str, str] = {}
    return FOLIUM_ID.sub(lambda match: ids.setdefault(match.group(0), f"{len(ids):032x}"), html)


def _facility_groups(layers: MapLayers) -> list[folium.FeatureGroup]:
    """Facilities by level symbol with popups; sub-centre stars, ambulance badges and plan-change badges."""
    table = layers.facilities.copy()
    if table.empty:
        return []
    offsets = facility_offsets(table, layers.towns)
    table["dx"] = [dx for dx, _ in offsets]
    table["dy"] = [dy for _, dy in offsets]
    table["level_zh"] = [level_symbol(level).label_zh for level in table["level"]]
    table["subcentre_zh"] = [map_label("map_yes" if flag else "map_no") for flag in table["is_subcentre"]]
    facilities = folium.FeatureGroup(name=map_layer_name("map_facilities"))
    popup = [
        ("name", map_label("map_popup_facility")),
        ("level_zh", map_label("map_popup_level")),
        *[(resource, resource_label(resource, "zh")) for resource in ("beds", "physicians", "nurses", "ambulances")],
        ("subcentre_zh", map_label("map_popup_subcentre")),
        ("plan_changes_zh", map_label("map_popup_changes")),
    ]
    present = [(f, a) for f, a in popup if f in table.columns]
    folium.GeoJson(
        table[["facility_id", *[f for f, _ in present], "level", "dx", "dy", "geometry"]],
        marker=folium.Marker(icon=folium.DivIcon(class_name="facility-marker"), pane="facilities"),
        style_function=lambda feature: _facility_icon(feature["properties"]),
        popup=GeoJsonPopup(fields=[f for f, _ in present], aliases=[a for _, a in present], max_width=420),
    ).add_to(facilities)
    groups = [facilities]
    subcentres = table[table["is_subcentre"]]
    if not subcentres.empty:
        groups.append(
            _badge_group(subcentres, map_layer_name("map_subcentres"), "subcentres", _subcentre_icon, interactive=True)
        )
    bases = table[table["ambulances"] > 0]
    if not bases.empty:
        groups.append(
            _badge_group(bases, map_layer_name("map_ambulance_bases"), "badges", _ambulance_icon, interactive=True)
        )
    changed = table[table["plan_badge"] != ""]
    if not changed.empty:
        groups.append(
            _badge_group(changed, map_layer_name("map_plan_changes"), "badges", _plan_icon, interactive=False)
        )
    return groups


def _badge_group(
    table: gpd.GeoDataFrame,
    name: str,
    pane: str,
    icon: Callable[[dict[str, object]], dict[str, object]],
    *,
    interactive: bool,
) -> folium.FeatureGroup:
    """A layer of DivIcon markers drawn from the facility rows (`icon(properties)` gives the icon options)."""
    group = folium.FeatureGroup(name=name)
    columns = ["facility_id", "name", "ambulances", "plan_badge", "level", "dx", "dy", "geometry"]
    popup = (
        GeoJsonPopup(
            fields=["name", "ambulances"], aliases=[map_label("map_popup_facility"), resource_label("ambulances", "zh")]
        )
        if interactive
        else None
    )
    folium.GeoJson(
        table[columns],
        marker=folium.Marker(icon=folium.DivIcon(class_name="map-badge"), pane=pane, interactive=interactive),
        style_function=lambda feature: icon(feature["properties"]),
        popup=popup,
    ).add_to(group)
    return group


def _facility_icon(properties: dict[str, object]) -> dict[str, object]:
    size = level_symbol(str(properties["level"])).size_px
    dx, dy = float(str(properties["dx"])), float(str(properties["dy"]))
    return {
        "html": facility_icon_html(str(properties["level"]), str(properties["facility_id"])),
        "iconSize": [size, size],
        "iconAnchor": [size / 2 - dx, size / 2 - dy],
    }


def _subcentre_icon(properties: dict[str, object]) -> dict[str, object]:
    size = 2 * level_symbol(str(properties["level"])).size_px + 4
    dx, dy = float(str(properties["dx"])), float(str(properties["dy"]))
    return {"html": subcentre_star_html(size), "iconSize": [size, size], "iconAnchor": [size / 2 - dx, size / 2 - dy]}


def _ambulance_icon(properties: dict[str, object]) -> dict[str, object]:
    """The vehicle count at the facility's upper right, clear of its centre (so it stays clickable)."""
    width, height = AMBULANCE_BADGE_PX
    dx, dy = float(str(properties["dx"])), float(str(properties["dy"]))
    half = level_symbol(str(properties["level"])).size_px / 2
    count = int(float(str(properties["ambulances"])))
    return {
        "html": ambulance_badge_html(count),
        "iconSize": [width, height],
        "iconAnchor": [-(dx + half - 3), height - (dy - half + 3)],
    }


def _plan_icon(properties: dict[str, object]) -> dict[str, object]:
    """What the plan changes, as a badge ending just left of the facility symbol."""
    dx, dy = float(str(properties["dx"])), float(str(properties["dy"]))
    half = level_symbol(str(properties["level"])).size_px / 2
    return {
        "html": plan_badge_html(str(properties["plan_badge"]), str(properties["facility_id"])),
        "iconSize": [0, 0],
        "iconAnchor": [-(dx - half - 3), -dy],
    }


def _town_layer(towns: gpd.GeoDataFrame) -> folium.GeoJson:
    """Towns as status-coloured circles with permanent name labels; population, minutes, standards in the popup."""
    towns = towns.copy()
    towns["minutes_to_facility"] = towns["minutes_to_facility"].round(1)
    towns["population"] = towns["population"].round(0).astype("int64")
    return folium.GeoJson(
        towns[["code", "name", "population", "minutes_to_facility", "status_zh", "status", "geometry"]],
        name=map_layer_name("map_towns"),
        marker=folium.CircleMarker(radius=8, weight=2, fill=True, fill_opacity=0.9),
        style_function=lambda feature: {
            "color": "#222222",
            "fillColor": STATUS_COLOURS[feature["properties"]["status"]],
            "pane": "towns",
        },
        popup=GeoJsonPopup(
            fields=["name", "population", "minutes_to_facility", "status_zh"],
            aliases=[map_label(f"map_popup_{k}") for k in ("town", "population", "minutes", "status")],
            max_width=420,
        ),
        on_each_feature=JsCode(TOWN_LABEL_JS),
    )


def _uncovered_layer(points: gpd.GeoDataFrame, name: str, show: bool) -> folium.GeoJson:
    """Demand points beyond a standard as small hollow red-orange circles under the towns."""
    table = points[["town_name", "population", "minutes_to_facility", "km_to_facility", "geometry"]].copy()
    table["population"] = table["population"].round(0).astype("int64")
    table["minutes_to_facility"] = table["minutes_to_facility"].round(1)
    table["km_to_facility"] = table["km_to_facility"].round(1)
    return folium.GeoJson(
        table,
        name=name,
        show=show,
        marker=folium.CircleMarker(radius=4, weight=1.5, fill=True, fill_opacity=0.05),
        style_function=lambda _: {"color": UNCOVERED_COLOUR, "fillColor": UNCOVERED_COLOUR, "pane": "demand"},
        popup=GeoJsonPopup(
            fields=["town_name", "population", "minutes_to_facility", "km_to_facility"],
            aliases=[map_label(f"map_popup_{k}") for k in ("in_town", "population", "minutes", "km")],
        ),
    )


def _title_box(layers: MapLayers) -> str:
    """The fixed box at the top left: title and travel-time note."""
    return (
        f'<div id="map-title" style="position:fixed;top:10px;left:56px;z-index:1000;background:white;'
        f'padding:6px 8px;border:1px solid #999;font:13px sans-serif;max-width:460px">'
        f"<b>{_escape(layers.title)}</b><br>{_escape(layers.note)}</div>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
