"""Maps and geographic outputs of a Lu County run: GeoPackage, PNG, `optimizer map`, and map.html in Chromium.

The browser test drives Debian's Chromium (/usr/bin/chromium) with Playwright; Playwright's own
browser download is not used. Without Chromium or Playwright it fails when CI=true (CI must run it)
and skips with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS
from typer.testing import CliRunner

from optimizer.cli.commands import app
from optimizer.outputs.geo_report import GEO_FILES
from optimizer.outputs.maps import STATUS_COLOURS
from tests.support import LU_SCENARIO, run_cli

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAYERS = (
    "县界 county boundary",
    "乡镇 towns",
    "医疗机构 facilities",
    "次中心 sub-centres",
    "急救站点 ambulance bases",
    "服务范围：城市急救服务半径 ≤5公里（缓冲区）",
    "服务范围：次中心服务半径 ≤20公里（缓冲区）",
)
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
    assert "http://" not in html and "https://" not in html
    assert "data:text/javascript;base64," in html


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    ci = os.environ.get("CI", "").lower() == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if ci:
            pytest.fail("playwright is not installed; CI installs it with `pip install -e '.[test]'`")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        if ci:
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it with `apt-get install -y chromium`")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
    # Click the town's own marker. Several layers (facilities, bases, service areas) share the county
    # seat's point, so a mouse click at its pixel can land on another layer; the click event goes to the
    # town feature itself and bubbles through Leaflet as a user's click does.
    clicked = page.evaluate(
        """(town) => {
            const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
            let target = null;
            window[key].eachLayer(layer => {
                const properties = layer.feature && layer.feature.properties;
                if (!target && properties && Object.values(properties).includes(town) && layer.getLatLng) {
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
