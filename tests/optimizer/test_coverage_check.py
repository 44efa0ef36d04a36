"""Coverage by standard on hand-made geometry with known answers; inclusive boundaries; scenario limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS, Transformer

from optimizer.analysis.coverage_check import StandardCoverage, analyse_coverage, evaluate_standard
from optimizer.analysis.service_standards import NATIONAL_STANDARDS, Standard, standards_for
from optimizer.geography.network import graph_from_segments
from optimizer.geography.osm import RoadSegments
from optimizer.geography.road_matrix import road_matrix
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.geography_schema import TravelSettings
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.inputs.schema_types import Citation
from tests.support import LU_SCENARIO

GK_105E = CRS.from_epsg(4544)  # CGCS2000 / 3-degree Gauss-Kruger CM 105E: metres, x = 500 km on the meridian
ORIGIN = (500_000.0, 3_230_000.0)
# Four towns on an east-west line, at these road km from facility F1 (in town A); F2 is a clinic 40 km out.
TOWNS_KM = {"A": 0.0, "B": 4.0, "C": 8.0, "D": 16.0}
CLASSES = {"A": "urban", "B": "urban", "C": "rural", "D": "rural"}
POPULATION = {"A": 1000.0, "B": 2000.0, "C": 3000.0, "D": 4000.0}
SPEED_KPH = 60.0  # one minute per km on the road
Line = tuple[pd.DataFrame, pd.DataFrame, TravelMatrix]


def _lonlat(km: float) -> tuple[float, float]:
    to_wgs84 = Transformer.from_crs(GK_105E, CRS.from_epsg(4326), always_xy=True)
    lon, lat = to_wgs84.transform(ORIGIN[0] + km * 1000.0, ORIGIN[1])
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def line() -> Line:
    """Towns, allocation and the road-network matrix of the four-town line."""
    codes = {name: f"51052110{i}" for i, name in enumerate(TOWNS_KM)}
    towns = pd.DataFrame(
        {
            "code": [codes[n] for n in TOWNS_KM],
            "name": list(TOWNS_KM),
            "population": [POPULATION[n] for n in TOWNS_KM],
            "settlement_class": [CLASSES[n] for n in TOWNS_KM],
            "lon": [_lonlat(km)[0] for km in TOWNS_KM.values()],
            "lat": [_lonlat(km)[1] for km in TOWNS_KM.values()],
        }
    )
    facilities = pd.DataFrame(
        {
            "facility_id": ["F1", "F2"],
            "town_code": [codes["A"], codes["A"]],
            "lon": [_lonlat(0.0)[0], _lonlat(40.0)[0]],
            "lat": [_lonlat(0.0)[1], _lonlat(40.0)[1]],
        }
    )
    stops = np.array([0.0, 4.0, 8.0, 16.0, 40.0]) * 1000.0
    start = np.column_stack([ORIGIN[0] + stops[:-1], np.full(4, ORIGIN[1])])
    end = np.column_stack([ORIGIN[0] + stops[1:], np.full(4, ORIGIN[1])])
    both = np.ones(4, dtype=bool)
    segments = RoadSegments.build(start, end, np.full(4, SPEED_KPH), both, both)
    road = graph_from_segments(Path("hand-made line"), GK_105E, segments)
    settings = TravelSettings(
        detour_factor=1.5,
        urban_speed_kph=SPEED_KPH,
        rural_speed_kph=SPEED_KPH,
        max_access_min=60.0,
        source=Citation(basis="test"),
    )
    matrix = road_matrix(towns.rename(columns={"code": "id"}), facilities, road, settings, cutoff_min=120.0)
    allocation = pd.DataFrame(
        {
            "facility_id": ["F1", "F2"],
            "ambulances": [2, 0],
            "is_subcentre": [True, False],
            "beds": [100, 10],
            "physicians": [40, 4],
        }
    )
    return towns, allocation, matrix


def _summaries(line: Line) -> dict[str, StandardCoverage]:
    towns, allocation, matrix = line
    analysis = analyse_coverage(towns, allocation, matrix, NATIONAL_STANDARDS)
    return {s.standard.id: s for s in analysis.summaries}


def test_road_minutes_on_the_line_equal_road_km(line: Line) -> None:
    _, _, matrix = line
    assert matrix.source == "road_network"
    assert matrix.minutes[:, 0] == pytest.approx(list(TOWNS_KM.values()), abs=1e-6)
    assert matrix.straight_km[:, 0] == pytest.approx(list(TOWNS_KM.values()), rel=1e-4)


@pytest.mark.parametrize(
    ("standard", "within", "beyond", "population_within", "population_beyond"),
    [
        # urban towns A (0 km) and B (4 km) are within 5 km of the ambulance base in A
        ("emergency_urban_5km", ("A", "B"), (), 3000.0, 0.0),
        # rural towns: C at 8 km within the preferred 10 km, D at 16 km only within the hard 20 km
        ("emergency_rural_10km", ("C",), ("D",), 3000.0, 4000.0),
        ("emergency_rural_20km", ("C", "D"), (), 7000.0, 0.0),
        # every town: D is 16 road minutes from its nearest facility (F1; F2 is 24 minutes away)
        ("medical_circle_15min", ("A", "B", "C"), ("D",), 6000.0, 4000.0),
        ("emergency_response_15min", ("A", "B", "C"), ("D",), 6000.0, 4000.0),
        ("rural_health_circle_30min", ("C", "D"), (), 7000.0, 0.0),
        ("subcentre_radius", ("A", "B", "C", "D"), (), 10_000.0, 0.0),
    ],
)
def test_population_within_and_beyond_each_standard(
    line: Line,
    standard: str,
    within: tuple[str, ...],
    beyond: tuple[str, ...],
    population_within: float,
    population_beyond: float,
) -> None:
    towns, _, _ = line
    names = dict(zip(towns["code"], towns["name"], strict=True))
    summary = _summaries(line)[standard]
    assert summary.skipped is None
    assert tuple(names[c] for c in summary.towns_within) == within
    assert tuple(names[c] for c in summary.towns_beyond) == beyond
    assert summary.population_within == pytest.approx(population_within)
    assert summary.population_beyond == pytest.approx(population_beyond)


def test_time_standards_name_the_road_network_and_radii_the_straight_line(
    line: Line,
) -> None:
    summaries = _summaries(line)
    assert summaries["medical_circle_15min"].basis == "road-network minutes"
    assert summaries["emergency_urban_5km"].basis.startswith("straight-line km")


def test_childcare_circle_is_skipped_without_childcare_sites(
    line: Line,
) -> None:
    towns, allocation, matrix = line
    analysis = analyse_coverage(towns, allocation, matrix, NATIONAL_STANDARDS)
    childcare = {s.standard.id: s for s in analysis.summaries}["childcare_circle_15min"]
    assert childcare.skipped is not None and "childcare" in childcare.skipped
    assert childcare.towns_within == () and childcare.towns_beyond == ()
    assert analysis.towns["within_childcare_circle_15min"].isna().all()
    # With childcare places at F1 the circle is evaluated like the medical circle.
    with_places = allocation.assign(childcare_places=[50, 0])
    analysis = analyse_coverage(towns, with_places, matrix, NATIONAL_STANDARDS)
    evaluated = {s.standard.id: s for s in analysis.summaries}
    assert evaluated["childcare_circle_15min"].skipped is None
    assert evaluated["childcare_circle_15min"].population_beyond == pytest.approx(4000.0)


def test_not_applicable_towns_have_no_flag(line: Line) -> None:
    towns, allocation, matrix = line
    table = analyse_coverage(towns, allocation, matrix, NATIONAL_STANDARDS).towns.set_index("name")
    assert table.loc[["A", "B"], "within_emergency_rural_20km"].isna().all()
    assert table.loc[["C", "D"], "within_emergency_urban_5km"].isna().all()
    assert table.loc["D", "within_medical_circle_15min"] == 0.0
    assert table.loc["D", "minutes_to_facility"] == pytest.approx(16.0, abs=1e-6)


def test_boundaries_are_inclusive_and_unrounded() -> None:
    standard = next(s for s in NATIONAL_STANDARDS if s.id == "medical_circle_15min")
    nearest = np.array([15.0, np.nextafter(15.0, np.inf), 14.999_999, 15.000_001, np.inf])
    codes = np.array(["t1", "t2", "t3", "t4", "t5"])
    classes = np.array(["rural"] * 5)
    flags, summary = evaluate_standard(standard, codes, np.ones(5), classes, nearest, basis="test")
    assert flags.tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert summary.towns_within == ("t1", "t3")
    assert summary.towns_beyond == ("t2", "t4", "t5")


def test_radius_boundary_exactly_at_the_limit_is_within() -> None:
    standard = Standard("r", "半径", "radius", 5.0, "km", "ambulance_base", "urban", False, "test")
    codes, population = np.array(["u1", "u2", "r1"]), np.array([10.0, 20.0, 40.0])
    classes, nearest_km = np.array(["urban", "urban", "rural"]), np.array([5.0, 5.0 + 1e-9, 0.0])
    flags, summary = evaluate_standard(standard, codes, population, classes, nearest_km, basis="test")
    assert flags[:2].tolist() == [1.0, 0.0]
    assert np.isnan(flags[2])  # rural town: the urban standard does not apply
    assert (summary.population_within, summary.population_beyond) == (10.0, 20.0)


def test_scenario_limits_replace_national_values() -> None:
    scenario = load_scenario(LU_SCENARIO)
    limits = {s.id: s.limit for s in standards_for(scenario)}
    assert limits["emergency_urban_5km"] == scenario.ambulances.urban_radius_km  # type: ignore[union-attr]
    assert limits["subcentre_radius"] == scenario.subcentres.radius_km  # type: ignore[union-attr]
    assert limits["medical_circle_15min"] == 15.0  # not declared by the scenario: the national value
    assert scenario.ambulances is not None
    tighter = scenario.model_copy(
        update={"ambulances": scenario.ambulances.model_copy(update={"urban_radius_km": 3.0})}
    )
    assert {s.id: s.limit for s in standards_for(tighter)}["emergency_urban_5km"] == 3.0
    assert {s.id: s for s in NATIONAL_STANDARDS}["emergency_urban_5km"].limit == 5.0  # data left unchanged


def test_fallback_minutes_are_flagged_as_estimates(line: Line) -> None:
    towns, allocation, matrix = line
    fallback = replace(matrix, source="euclidean_fallback")
    analysis = analyse_coverage(towns, allocation, fallback, NATIONAL_STANDARDS)
    summaries = {s.standard.id: s for s in analysis.summaries}
    assert "estimated fallback" in summaries["medical_circle_15min"].basis
