"""Maps and geographic outputs of a Lu County run: GeoPackage, PNG, `optimizer map`, and map.html in Chromium.

The browser test drives Debian's Chromium (/usr/bin/chromium) with Playwright; Playwright's own
browser download is not used. Without Chromium or Playwright it fails when CI=true (CI must run it)
and skips with the reason elsewhere.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.image
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS
from typer.testing import CliRunner

from optimizer.cli.commands import app
from optimizer.outputs.geo_report import GEO_FILES
from optimizer.outputs.maps import AMBULANCE_COLOUR, LEVEL_SYMBOLS, STATUS_COLOURS, STATUS_ZH, UNCOVERED_COLOUR
from tests.browser import headless_chromium
from tests.support import LU_SCENARIO, run_cli

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.slow

LAYERS = (
    "县界 county boundary",
    "乡镇 towns",
    "医疗机构 facilities",
    "次中心 sub-centres",
    "急救站点 ambulance bases",
    "规划增减 plan changes",
    "未覆盖需求点 uncovered demand：15分钟就医圈",
    "服务范围：城市急救服务半径 ≤5公里（缓冲区）",
    "服务范围：次中心服务半径 ≤20公里（缓冲区）",
)
OSM_TILES = "https://tile.openstreetmap.org/"
BADGE_UNITS = {"床": "beds", "医": "physicians", "护": "nurses"}
TOWN = "玉蟾街道"  # Lu County's urban 街道, population 67,292 (census 2020)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_cli(LU_SCENARIO, tmp_path_factory.mktemp("lu_maps") / "out")


def test_run_writes_the_geographic_outputs_and_lists_them(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert set(GEO_FILES) <= set(manifest["files"])
    assert all((run_dir / name).is_file() for name in GEO_FILES)
    assert Path(manifest["scenario_resolved"]).is_absolute()
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]  # no temporary files left behind


def test_coverage_table_reports_every_standard(run_dir: Path) -> None:
    table = pd.read_csv(run_dir / "coverage.csv", encoding="utf-8-sig").set_index("standard")
    towns = pd.read_csv(run_dir / "towns.csv", encoding="utf-8-sig")
    population = towns["population"].sum()
    evaluated = table[table["skipped"].isna()]
    assert "medical_circle_15min" in evaluated.index and "subcentre_radius" in evaluated.index
    assert "no road network" in table.loc["medical_circle_15min", "basis"]
    assert "childcare" in table.loc["childcare_circle_15min", "skipped"]
    all_towns = evaluated[evaluated["towns"] == "all"]
    assert ((all_towns["population_within"] + all_towns["population_beyond"]) == population).all()
    # The sub-centre radius agrees with the demand points' own distances in demand.csv.
    points = pd.read_csv(run_dir / "demand.csv", encoding="utf-8-sig")
    assert points["population"].sum() == population
    beyond = points.loc[points["km_to_subcentre"] > 20.0, "population"].sum()
    assert table.loc["subcentre_radius", "population_beyond"] == beyond
    assert 0 < table.loc["subcentre_radius", "share_within"] < 1


def test_geopackage_has_every_layer_in_wgs84(run_dir: Path) -> None:
    path = run_dir / "coverage.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"towns", "facilities", "subcentres", "ambulance_bases", "service_areas", "boundary", "demand"}
    for layer in layers:
        assert CRS(pyogrio.read_info(path, layer=layer)["crs"]) == CRS.from_epsg(4326)
    towns = pyogrio.read_dataframe(path, layer="towns")
    assert len(towns) == 20
    demand = pyogrio.read_dataframe(path, layer="demand")
    assert len(demand) > 100 and demand["population"].sum() == towns["population"].sum()
    assert {"within_medical_circle_15min", "beds_access_per_1000", "status_zh"} <= set(towns.columns)
    assert len(pyogrio.read_dataframe(path, layer="subcentres")) == 4
    assert set(pyogrio.read_dataframe(path, layer="service_areas")["method"]) == {"buffer"}


def test_png_is_a_real_map(run_dir: Path) -> None:
    path = run_dir / "map.png"
    assert path.stat().st_size > 50_000
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 800 and image.shape[1] > 800
    pixels = np.round(image[..., :3].reshape(-1, 3) * 255).astype(np.int64)
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    assert len(np.unique(packed)) > 50
    assert (packed == int(STATUS_COLOURS["met"][1:], 16)).any()  # towns that meet every standard are drawn


def test_map_command_rerenders_from_the_run_folder(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    for name in GEO_FILES:
        (copy / name).unlink()
    outcome = CliRunner().invoke(app, ["map", str(copy)])
    assert outcome.exit_code == 0, outcome.output
    for name in ("coverage.csv", "accessibility.csv", "equity.json", "map.html"):
        assert (copy / name).read_bytes() == (run_dir / name).read_bytes(), name
    assert (copy / "map.png").stat().st_size > 50_000


def test_map_command_refuses_a_folder_without_a_run(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["map", str(tmp_path)])
    assert outcome.exit_code == 1
    assert "manifest.json: not found; give the --out folder of a finished `optimizer run`" in outcome.output


def test_map_command_refuses_a_changed_scenario(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["scenario_sha256"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    outcome = CliRunner().invoke(app, ["map", str(copy)])
    assert outcome.exit_code == 1
    assert "changed since the run" in outcome.output


def test_html_has_no_external_resources(run_dir: Path) -> None:
    html = (run_dir / "map.html").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'<>\\]+", html))
    # The only addresses are the optional OpenStreetMap base layer's tile template and its attribution link.
    assert urls == {f"{OSM_TILES}{{z}}/{{x}}/{{y}}.png", "https://www.openstreetmap.org/copyright"}, urls
    assert "data:text/javascript;base64," in html


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chromium() as chromium:
        yield chromium


def test_html_map_works_offline_in_chromium(run_dir: Path, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    requested: list[str] = []

    def offline(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("http://", "https://")):
            requested.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    page.route("**/*", offline)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((run_dir / "map.html").as_uri())
    page.wait_for_function(
        "() => window.L !== undefined && document.querySelectorAll('path.leaflet-interactive').length > 20"
    )
    assert errors == []
    assert requested == []

    names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    listed = " | ".join(n.strip() for n in names)
    for layer in LAYERS:
        assert layer in listed, listed

    towns = pd.read_csv(run_dir / "towns.csv", encoding="utf-8-sig", dtype={"code": str}).set_index("name")
    # Click the town's own marker (the feature with a name and a status; demand points carry the town's
    # name too). The click event goes to the town feature itself and bubbles through Leaflet as a user's
    # click does; facility clicks are real mouse clicks (test_facility_markers_are_clickable_above_towns).
    clicked = page.evaluate(
        """(town) => {
            const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
            let target = null;
            window[key].eachLayer(layer => {
                const properties = layer.feature && layer.feature.properties;
                if (!target && properties && properties.name === town && properties.status && layer.getLatLng) {
                    target = layer;
                }
            });
            if (target) { target.fire('click', {latlng: target.getLatLng()}, true); }
            return target !== null;
        }""",
        TOWN,
    )
    assert clicked, f"no map feature carries {TOWN}"
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    text = popup.inner_text()
    for label in ("镇名", "人口", "到最近医疗机构分钟", "达标情况"):
        assert label in text, text
    assert TOWN in text
    digits = text.replace(",", "").replace("\u202f", "").replace(" ", "")
    assert str(int(towns.loc[TOWN, "population"])) in digits, text
    assert "15分钟就医圈" in text
    page.close()


def _offline_page(browser: object, run_dir: Path, requested: list[str], console: list[str]) -> Page:
    """map.html in a 1400×1000 Chromium page with every network request recorded and refused."""
    page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]

    def offline(route: Route) -> None:
        if route.request.url.startswith(("http://", "https://")):
            requested.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", offline)
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.goto((run_dir / "map.html").as_uri())
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip-pane .town-label').length >= 20")
    # the declutter lays names and badges out once the map is ready and again once the fonts have loaded
    page.wait_for_function("() => document.documentElement.dataset.declutter === 'loaded'")
    return page


@pytest.fixture
def map_page(run_dir: Path, browser: object) -> Iterator[Page]:
    """map.html freshly opened for each test: a click or a popup pans the map and lays the names out again."""
    requested: list[str] = []
    console: list[str] = []
    page = _offline_page(browser, run_dir, requested, console)
    assert requested == [], requested  # the page opens without a basemap: no request at all
    assert console == [], console
    yield page
    page.close()


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


VISIBLE = "{visibilityProperty: true, opacityProperty: true}"
"""checkVisibility options: a name the declutter hides (visibility: hidden) does not count as shown."""
RECT_JS = """el => { const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""


def test_every_town_name_is_a_visible_label_without_overlaps(run_dir: Path, map_page: Page) -> None:
    towns = pd.read_csv(run_dir / "towns.csv", encoding="utf-8-sig")
    labels = map_page.eval_on_selector_all(
        ".leaflet-tooltip-pane .town-label",
        f"""els => els.map(el => ({{text: el.textContent.trim(), visible: el.checkVisibility({VISIBLE}),
            size: parseFloat(getComputedStyle(el).fontSize), rect: ({RECT_JS})(el)}}))""",
    )
    assert sorted(label["text"] for label in labels) == sorted(towns["name"])
    for label in labels:
        rect = label["rect"]
        assert label["visible"] and label["size"] >= 12, label
        assert rect["left"] >= 0 and rect["top"] >= 0, label
        assert rect["right"] <= 1400 and rect["bottom"] <= 1000, label
    for index, first in enumerate(labels):
        for second in labels[index + 1 :]:
            assert not _overlap(first["rect"], second["rect"]), (first, second)


def test_facility_markers_are_clickable_above_towns(run_dir: Path, map_page: Page) -> None:
    allocation = pd.read_csv(run_dir / "allocation.csv", encoding="utf-8-sig")
    hits = map_page.eval_on_selector_all(
        ".leaflet-facilities-pane .facility-marker",
        """els => els.map(el => { const r = el.getBoundingClientRect();
            const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
            const hit = document.elementFromPoint(x, y);
            return {id: el.querySelector('.facility-shape').dataset.facilityId, x, y,
                    onTop: hit !== null && el.contains(hit)}; })""",
    )
    assert sorted(hit["id"] for hit in hits) == sorted(allocation["facility_id"])
    assert [hit for hit in hits if not hit["onTop"]] == []
    z_index = map_page.evaluate(
        """() => ['demand', 'towns', 'facilities'].map(
            name => Number(getComputedStyle(document.querySelector(`.leaflet-${name}-pane`)).zIndex))"""
    )
    assert z_index[0] < z_index[1] < z_index[2], z_index
    # A real mouse click on the county hospital (four facilities share the seat's point) opens its popup.
    hospital = next(hit for hit in hits if hit["id"] == "510521001-GH1")
    map_page.mouse.click(hospital["x"], hospital["y"])
    popup = map_page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    row = allocation.set_index("facility_id").loc["510521001-GH1"]
    text = popup.inner_text()
    assert row["name"] in text and "县级综合医院" in text and "床位" in text, text
    assert str(int(row["beds"])) in text.replace(",", "")
    map_page.locator(".leaflet-popup-close-button").click()


def _rgb(colour: str) -> str:
    return f"rgb({int(colour[1:3], 16)}, {int(colour[3:5], 16)}, {int(colour[5:7], 16)})"


def test_legend_names_every_symbol_and_bases_are_not_the_missed_red(run_dir: Path, map_page: Page) -> None:
    allocation = pd.read_csv(run_dir / "allocation.csv", encoding="utf-8-sig")
    legend = map_page.locator("#map-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for level in set(allocation["level"]):
        assert LEVEL_SYMBOLS[level].label_zh in text, text
    for label in ("县域医疗卫生次中心", "急救站点", "未覆盖需求点（15分钟就医圈）", *STATUS_ZH.values()):
        assert label in text, text
    colours = map_page.evaluate(
        """() => {
            const swatch = key => getComputedStyle(
                document.querySelector(`#map-legend [data-key="${key}"] .legend-swatch`)).backgroundColor;
            const badge = document.querySelector('.leaflet-badges-pane .ambulance-badge');
            const fills = Array.from(document.querySelectorAll('.leaflet-towns-pane path'),
                                     p => p.getAttribute('fill'));
            return {ambulance: swatch('ambulance'), missed: swatch('status-missed'),
                    mapAmbulance: getComputedStyle(badge).backgroundColor, townFills: fills};
        }"""
    )
    assert colours["ambulance"] == colours["mapAmbulance"] == _rgb(AMBULANCE_COLOUR)
    assert colours["missed"] == _rgb(STATUS_COLOURS["missed"])
    assert colours["ambulance"] != colours["missed"]
    assert STATUS_COLOURS["missed"] in colours["townFills"]  # Lu has towns that miss a standard


def test_plan_badges_show_the_change_from_the_base_year(run_dir: Path, map_page: Page) -> None:
    allocation = pd.read_csv(run_dir / "allocation.csv", encoding="utf-8-sig").set_index("facility_id")
    expected = {}
    for facility, row in allocation.iterrows():
        changes = {
            unit: int(row[resource] - row[f"existing_{resource}"])
            for unit, resource in BADGE_UNITS.items()
            if not pd.isna(row[f"existing_{resource}"]) and row[resource] != row[f"existing_{resource}"]
        }
        if changes:
            expected[facility] = changes
    assert expected["510521114-TC1"]["床"] == 650 - 245  # the TCM hospital grows from 245 to 650 beds
    badges = map_page.eval_on_selector_all(
        ".leaflet-badges-pane .plan-badge",
        f"""els => els.map(el => ({{id: el.dataset.facilityId, text: el.textContent,
            visible: el.checkVisibility({VISIBLE}), rect: ({RECT_JS})(el)}}))""",
    )
    shown = {
        badge["id"]: {unit: int(number) for number, unit in re.findall(r"([+-]\d+)([床医护])", badge["text"])}
        for badge in badges
    }
    assert shown == expected
    assert all(badge["visible"] for badge in badges)  # Lu's badges all find a free row at the opening zoom
    labels = map_page.eval_on_selector_all(".leaflet-tooltip-pane .town-label", f"els => els.map({RECT_JS})")
    for badge in badges:
        assert not any(_overlap(badge["rect"], label) for label in labels), badge


def test_uncovered_demand_points_are_drawn_for_the_main_standard(run_dir: Path, map_page: Page) -> None:
    demand = pd.read_csv(run_dir / "demand.csv", encoding="utf-8-sig")
    beyond = int((demand["within_medical_circle_15min"] == 0).sum())
    assert 0 < beyond < len(demand)
    strokes = map_page.eval_on_selector_all(
        ".leaflet-demand-pane path.leaflet-interactive", "els => els.map(el => el.getAttribute('stroke'))"
    )
    assert len(strokes) == beyond
    assert set(strokes) == {UNCOVERED_COLOUR}


def test_panels_hide_no_town_or_facility(map_page: Page) -> None:
    control = map_page.locator(".leaflet-control-layers")
    assert "leaflet-control-layers-expanded" not in (control.get_attribute("class") or "")
    names = map_page.locator(".leaflet-control-layers-overlays label").all_text_contents()
    listed = " | ".join(n.strip() for n in names)
    for layer in LAYERS:
        assert layer in listed, listed
    panels = [
        map_page.eval_on_selector(selector, RECT_JS)
        for selector in (".leaflet-control-layers", "#map-legend", "#map-title")
    ]
    symbols = map_page.eval_on_selector_all(
        ".leaflet-towns-pane path, .leaflet-facilities-pane .facility-marker, .leaflet-tooltip-pane .town-label",
        f"els => els.map({RECT_JS})",
    )
    assert len(symbols) > 60
    for panel in panels:
        assert not any(_overlap(panel, symbol) for symbol in symbols), panel


def test_openstreetmap_basemap_fails_quietly_offline(run_dir: Path, browser: object) -> None:
    requested: list[str] = []
    console: list[str] = []
    page = _offline_page(browser, run_dir, requested, console)
    page.hover(".leaflet-control-layers")
    page.get_by_text("OpenStreetMap 底图").click()
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile').length > 0")
    page.wait_for_timeout(500)
    assert requested and all(url.startswith(OSM_TILES) for url in requested), requested
    failures = [m for m in console if not m.startswith("error: Failed to load resource")]
    assert failures == [], failures
    assert page.locator(".leaflet-facilities-pane .facility-marker").count() == 25
    assert page.locator(".leaflet-tooltip-pane .town-label").count() == 20
    page.close()
