"""Demand points below the township seats: estimated areas, the spread of residents, and what they change.

The spread is checked by hand on a two-town county; the bundled plans are checked for exact township
totals; a solved Lu County plan must have standards met by a share strictly between 0 and 1, and a
tighter preferred ambulance radius must change the plan's coverage.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from shapely.geometry import box

from optimizer.analysis.coverage_check import analyse_coverage
from optimizer.analysis.service_standards import standards_for
from optimizer.geography.boundaries import area_metric_crs
from optimizer.geography.demand import build_demand_points, largest_remainder
from optimizer.geography.township_areas import township_areas
from optimizer.inputs.datasets import load_datasets
from optimizer.inputs.geography_schema import DemandSettings
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.pipeline import PreparedScenario, ViolationPolicy, prepare, solve_plan
from tests.support import LU_SCENARIO, ROOT, lu_variant

GK_105E = CRS.from_epsg(4522)
COUNTY = box(105.0, 29.0, 105.2, 29.1)
"""A 0.2° × 0.1° county (about 19.5 km × 11.1 km)."""


def _two_towns() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    towns = pd.DataFrame(
        {
            "code": ["510521100", "510521101"],
            "name": ["west", "east"],
            "county_code": ["510521", "510521"],
            "population": [10_000, 3_001],
            "settlement_class": ["urban", "rural"],
            "population_estimated": [True, False],
            "location_estimated": [False, False],
            "lon": [105.05, 105.15],
            "lat": [29.05, 29.05],
        }
    )
    boundary = gpd.GeoDataFrame({"county_code": ["510521"]}, geometry=[COUNTY], crs="EPSG:4326")
    return towns, boundary


def test_voronoi_areas_split_the_county_at_the_midline() -> None:
    towns, boundary = _two_towns()
    areas = township_areas(towns, boundary, GK_105E).to_crs("EPSG:4326")
    west, east = areas.geometry
    county_area = boundary.to_crs(GK_105E).area.iloc[0]
    assert areas.to_crs(GK_105E).area.sum() == pytest.approx(county_area, rel=1e-9)
    assert west.intersection(east).area == pytest.approx(0.0, abs=1e-12)
    # The perpendicular bisector of the two seats (same latitude) is close to lon 105.10.
    assert west.bounds[2] == pytest.approx(105.10, abs=0.002)
    assert east.bounds[0] == pytest.approx(105.10, abs=0.002)


def test_populations_add_up_and_the_community_share_sits_at_the_seat() -> None:
    towns, boundary = _two_towns()
    villages = pd.DataFrame(
        {"town_code": ["510521100", "510521101"], "village_committees": [3, 4], "community_committees": [1, 0]}
    )
    points = build_demand_points(towns, boundary, GK_105E, DemandSettings(), village_counts=villages).frame
    totals = points.groupby("town_code")["population"].sum()
    assert totals.to_dict() == {"510521100": 10_000, "510521101": 3_001}
    west = points[points["town_code"] == "510521100"].reset_index(drop=True)
    n = len(west)
    assert n > 10  # about 100 km² at about 5 km² a cell
    seat = int(np.argmin((west["lon"] - 105.05) ** 2 + (west["lat"] - 29.05) ** 2))
    # 1 community of 4 units: a quarter at the seat, three quarters spread over all n cells.
    assert west.at[seat, "population"] == pytest.approx(2_500 + 7_500 / n, abs=1)
    assert (west.drop(index=seat)["population"] - 7_500 / n).abs().max() <= 1
    east = points[points["town_code"] == "510521101"]
    assert east["population"].max() - east["population"].min() <= 1  # no community: even
    assert east["location_estimated"].all() and east["population_estimated"].all()
    assert set(points["method"]) == {"h3_cell"}


def test_uniform_spread_and_the_seat_method() -> None:
    towns, boundary = _two_towns()
    uniform = build_demand_points(towns, boundary, GK_105E, DemandSettings(weighting="uniform")).frame
    west = uniform[uniform["town_code"] == "510521100"]
    assert west["population"].max() - west["population"].min() <= 1
    seats = build_demand_points(towns, boundary, GK_105E, DemandSettings(method="township_seats")).frame
    assert list(seats["id"]) == ["510521100-seat", "510521101-seat"]
    assert list(seats["population"]) == [10_000, 3_001]


def test_largest_remainder_is_exact_and_proportional() -> None:
    whole = largest_remainder(10, np.array([1.0, 1.0, 1.0]))
    assert whole.sum() == 10 and sorted(whole) == [3, 3, 4]
    assert list(largest_remainder(7, np.array([0.0, 2.0, 5.0]))) == [0, 2, 5]


@pytest.mark.parametrize("plan", ["lu_county", "xiushan", "pingchang", "renhe", "mianyang"])
def test_bundled_plans_spread_every_resident(plan: str) -> None:
    path = ROOT / "scenarios" / f"{plan}.toml"
    scenario = load_scenario(path)
    data = load_datasets(scenario, path)
    points = build_demand_points(
        data.townships,
        data.boundary,
        area_metric_crs(data.boundary),
        scenario.demand,
        village_counts=data.village_counts,
    ).frame
    totals = points.groupby("town_code")["population"].sum()
    expected = data.townships.set_index("code")["population"].astype(float)
    assert totals.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())
    assert len(points) > 2 * len(data.townships)


def _shares(prepared: PreparedScenario) -> dict[str, float]:
    plan = solve_plan(prepared, on_violation=ViolationPolicy.RAISE).plan
    analysis = analyse_coverage(
        prepared.data.townships, plan.allocation, prepared.matrix, standards_for(prepared.scenario)
    )
    return {s.standard.id: s.share_within for s in analysis.summaries if s.skipped is None}


@pytest.fixture(scope="module")
def lu_shares() -> dict[str, float]:
    return _shares(prepare(LU_SCENARIO))


def test_lu_standards_are_met_by_a_share_not_all_or_nothing(lu_shares: dict[str, float]) -> None:
    partial = {k: v for k, v in lu_shares.items() if 0.0 < v < 1.0}
    assert "medical_circle_15min" in partial, lu_shares
    assert "emergency_urban_5km" in partial, lu_shares


def test_a_tighter_ambulance_radius_changes_the_plan(lu_shares: dict[str, float], tmp_path: Path) -> None:
    tight = lu_variant(tmp_path, ("[ambulances]\n", "[ambulances]\nrural_preferred_radius_km = 3.0\n"))
    shares = _shares(prepare(tight))
    assert shares["emergency_rural_10km"] != pytest.approx(lu_shares["emergency_rural_10km"])


def test_a_population_raster_weights_the_spread(tmp_path: Path) -> None:
    """All the raster's persons lie in the north-east corner of the east town: its residents go there, and
    its points are no longer estimated in population (its total was real)."""
    import rasterio
    from affine import Affine

    towns, boundary = _two_towns()
    grid = np.zeros((100, 200), dtype="float32")  # 0.001° pixels over the county
    grid[:20, 170:] = 5.0  # lat 29.08–29.10, lon 105.17–105.20
    path = tmp_path / "population.tif"
    profile = {"driver": "GTiff", "height": 100, "width": 200, "count": 1, "dtype": "float32", "crs": "EPSG:4326"}
    with rasterio.open(path, "w", transform=Affine(0.001, 0.0, 105.0, 0.0, -0.001, 29.1), **profile) as raster:
        raster.write(grid, 1)
    points = build_demand_points(towns, boundary, GK_105E, DemandSettings(), raster=path).frame
    east = points[points["town_code"] == "510521101"]
    assert east["population"].sum() == 3_001
    populated = east[east["population"] > 0]
    # cells whose hexagon (about 1.4 km across the corners) holds a pixel of the block
    assert (populated["lon"] > 105.155).all() and (populated["lat"] > 29.065).all()
    assert not east["population_estimated"].any()
    assert points[points["town_code"] == "510521100"]["population_estimated"].all()  # its total is estimated


def test_settlement_points_become_the_demand_points_of_their_town() -> None:
    """Given points replace the estimated cells of their township (location not estimated); the other
    township keeps its estimated spread."""
    towns, boundary = _two_towns()
    settlements = pd.DataFrame(
        {
            "id": ["v1", "v2"],
            "town_code": ["510521101", "510521101"],
            "name": ["甲村", "乙村"],
            "lon": [105.12, 105.18],
            "lat": [29.02, 29.08],
            "population": [1_000.0, 2_000.0],
        }
    )
    points = build_demand_points(towns, boundary, GK_105E, DemandSettings(), settlements=settlements).frame
    east = points[points["town_code"] == "510521101"].set_index("id")
    assert list(east.index) == ["v1", "v2"]
    assert east["population"].to_dict() == {"v1": 1_000, "v2": 2_001}  # 3,001 by the given weights
    assert not east["location_estimated"].any() and not east["population_estimated"].any()
    assert set(points.loc[points["town_code"] == "510521100", "method"]) == {"h3_cell"}
