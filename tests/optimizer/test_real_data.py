"""Real data in place of the estimates: census table, facility registry, settlement points, population raster.

Each test writes its own small files (values illustrative, not statistics) and loads them through the
Lu County scenario, so the estimated flags, the sources and `estimated_fields()` are checked as a run
would see them; the raster sums are checked against hand sums on a known grid.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from optimizer.errors import DataError
from optimizer.geography.population_raster import raster_population
from optimizer.inputs.census_table import read_census_table
from optimizer.inputs.datasets import Datasets, load_datasets
from optimizer.inputs.facility_registry import read_facility_registry
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.inputs.settlement_points import read_settlement_points
from tests.support import LU_SCENARIO, ROOT, lu_variant

LU = "510521"
MOVED = "510521107-GH1"
"""泸县第二人民医院, bundled at the 玄滩镇 seat (105.571930, 29.206984)."""
EXAMPLES = ROOT / "docs" / "examples" / "data"
"""The example files of docs/data.md."""


def _load(tmp_path: Path, **files: Path) -> Datasets:
    """Lu County's datasets with the given `[data]` real-data keys set to absolute paths."""
    lines = "".join(f'{key} = "{path.as_posix()}"\n' for key, path in files.items())
    scenario = lu_variant(tmp_path / "project", ("village_counts = ", f"{lines}village_counts = "))
    return load_datasets(load_scenario(scenario), scenario)


@pytest.fixture(scope="module")
def lu() -> Datasets:
    """The bundled Lu County datasets (no real data)."""
    return load_datasets(load_scenario(LU_SCENARIO), LU_SCENARIO)


def _census(lu: Datasets) -> pd.DataFrame:
    """Illustrative census populations for Lu's townships: 1 500, then 30 000 + 1 000 × position."""
    towns = lu.townships[["code", "name"]].copy()
    towns["population"] = 30_000 + 1_000 * np.arange(len(towns))
    towns.loc[towns.index[0], "population"] = 1_500  # 16.7 % of it is 250.5: the half-up case
    return towns


def _error_text(read: Callable[..., object], *args: object) -> str:
    """The message of the DataError that `read(*args)` must raise."""
    with pytest.raises(DataError) as caught:
        read(*args)
    return str(caught.value)


def test_census_csv_replaces_populations_and_flags(tmp_path: Path, lu: Datasets) -> None:
    census = _census(lu)
    path = tmp_path / "census.csv"
    census.to_csv(path, index=False)
    data = _load(tmp_path, census_table=path)
    towns = data.townships.set_index("code")
    expected = census.set_index("code")["population"]
    assert towns["population"].to_dict() == pytest.approx(expected.astype(float).to_dict())
    assert not towns["population_estimated"].any()
    assert set(towns["population_source"]) == {"census_table:census.csv"}
    # Age groups follow the county shares (16.7 % and 21.94 % for Lu) of the new populations, rounded half up
    # (1 500 × 16.7 % = 250.5 → 251); still estimated.
    assert towns["children_0_14"].to_dict() == np.floor(expected * 167 / 1000 + 0.5).to_dict()
    assert towns["aged_65_plus"].to_dict() == np.floor(expected * 2194 / 10000 + 0.5).to_dict()
    assert towns.loc[census["code"].iloc[0], "children_0_14"] == 251
    assert towns["age_estimated"].all()
    assert data.total_population == pytest.approx(float(expected.sum()))


def test_census_xlsx_with_title_rows_chinese_headers_and_12_digit_codes(tmp_path: Path, lu: Datasets) -> None:
    census = _census(lu)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["泸县第七次全国人口普查乡镇街道常住人口（示例数值，非真实统计）"])
    sheet.append([])
    sheet.append(["统计用区划代码", "乡镇（街道）", "常住人口"])
    sheet.append(["", "合计", f"{int(census['population'].sum()):,}"])
    for n, (code, name, population) in enumerate(census.itertuples(index=False)):
        if n == 0:  # by name only
            sheet.append(["", name, population])
        else:
            sheet.append([f"{code}000", name, f"{population:,}" if n % 2 else population])
    sheet.append(["510522100000", "其他县某镇", 12_345])  # another county: ignored
    path = tmp_path / "census.xlsx"
    book.save(path)
    table = read_census_table(path, lu.townships)
    assert table.set_index("code")["population"].to_dict() == census.set_index("code")["population"].to_dict()


def test_census_row_that_matches_nothing_is_an_error_naming_the_row(tmp_path: Path, lu: Datasets) -> None:
    path = tmp_path / "census.csv"
    path.write_text("代码,名称,人口\n510521001,玉蟾街道,67000\n,不存在镇,1000\n510521999,,500\n", encoding="utf-8")
    text = _error_text(read_census_table, path, lu.townships)
    assert "row 3, name: '不存在镇': it matches no township" in text
    assert "row 4, code: 510521999 is not a township of the area" in text


def test_census_in_gbk_says_save_as_utf8(tmp_path: Path, lu: Datasets) -> None:
    path = tmp_path / "census.csv"
    path.write_bytes("代码,名称,人口\n510521001,玉蟾街道,67000\n".encode("gbk"))
    with pytest.raises(DataError, match="save it as UTF-8"):
        read_census_table(path, lu.townships)


def test_census_for_some_townships_keeps_the_others_estimated(tmp_path: Path, lu: Datasets) -> None:
    path = tmp_path / "census.csv"
    _census(lu).head(5).to_csv(path, index=False)
    data = _load(tmp_path, census_table=path)
    assert int(data.townships["population_estimated"].sum()) == len(lu.townships) - 5
    notes = data.estimated_fields()
    assert f"township resident population: from census_table census.csv for 5 of {len(lu.townships)} townships" in (
        notes
    )
    assert f"township resident population: {len(lu.townships) - 5} of {len(lu.townships)} townships estimated" in (
        notes
    )


def test_registry_moves_a_facility_and_clears_its_flag(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(f"facility_id,lon,lat,name\n{MOVED},105.5650,29.2010,泸县第二人民医院\n", encoding="utf-8")
    data = _load(tmp_path, facility_registry=path)
    moved = data.facilities.set_index("facility_id").loc[MOVED]
    assert (moved["lon"], moved["lat"]) == (105.5650, 29.2010)
    assert not moved["location_estimated"]
    assert moved["location_source"] == "facility_registry:registry.csv"
    others = data.facilities[data.facilities["facility_id"] != MOVED]
    assert others["location_estimated"].all()


def test_registry_point_outside_the_county_or_unknown_id_is_an_error(tmp_path: Path, lu: Datasets) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        f"facility_id,lon,lat\n{MOVED},108.99,28.45\n510521001-XX9,105.38,29.15\n{MOVED[:-1]}2,abc,29.1\n",
        encoding="utf-8",
    )
    text = _error_text(read_facility_registry, path, lu.facilities, lu.boundary)
    assert "row 2, lon/lat: (108.99, 28.45) lies outside county 510521" in text
    assert "row 3, facility_id: '510521001-XX9' is not a facility of the area" in text
    assert "row 4, facility_id" in text


def test_registry_as_geojson_in_another_crs(tmp_path: Path, lu: Datasets) -> None:
    points = gpd.GeoDataFrame({"facility_id": [MOVED]}, geometry=gpd.points_from_xy([105.565], [29.201]), crs=4326)
    path = tmp_path / "registry.gpkg"
    points.to_crs(4522).to_file(path)
    table = read_facility_registry(path, lu.facilities, lu.boundary)
    assert table.loc[0, "lon"] == pytest.approx(105.565, abs=1e-7)
    assert table.loc[0, "lat"] == pytest.approx(29.201, abs=1e-7)


def test_settlement_points_csv_are_read_with_ids_and_populations(tmp_path: Path, lu: Datasets) -> None:
    path = tmp_path / "settlements.csv"
    path.write_text(
        "town_code,name,lon,lat,population\n"
        "510521100,村甲,105.355,29.205,1200\n"
        "510521100,村乙,105.365,29.210,800\n"
        "510521101,村丙,105.330,29.258,\n"
        "510521101,村丁,105.335,29.250,\n"
        "510522100,他县村,105.9,29.4,50\n",
        encoding="utf-8",
    )
    points = read_settlement_points(path, lu.townships, lu.boundary)
    assert list(points["id"]) == ["510521100-S1", "510521100-S2", "510521101-S1", "510521101-S2"]
    assert points["population"].iloc[:2].tolist() == [1200.0, 800.0]
    assert points["population"].iloc[2:].isna().all()
    data = _load(tmp_path, settlement_points=path)
    assert data.settlement_points is not None
    assert len(data.settlement_points) == 4
    assert f"settlement_points settlements.csv for 2 of {len(lu.townships)} townships" in " ".join(
        data.estimated_fields()
    )


def test_settlement_points_geojson_checks(tmp_path: Path, lu: Datasets) -> None:
    features = [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": xy}}
        for props, xy in (
            ({"id": "v1", "town_code": "510521100", "population": 100}, [105.355, 29.205]),
            ({"id": "v2", "town_code": "510521100", "population": None}, [105.36, 29.21]),
            ({"id": "v3", "town_code": "510521999", "population": 10}, [105.36, 29.21]),
            ({"id": "v4", "town_code": "510521101", "population": -5}, [108.99, 28.45]),
        )
    ]
    path = tmp_path / "settlements.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    text = _error_text(read_settlement_points, path, lu.townships, lu.boundary)
    assert "feature 3, town_code: '510521999' is not a township of the area" in text
    assert "feature 4, lon/lat: (108.99, 28.45) lies outside county 510521" in text
    assert "feature 4, population: '-5.0' must be a number of persons ≥ 0" in text
    assert "town_code 510521100, population" in text
    assert "give population for all points of a town or none" in text


def _raster(path: Path, values: np.ndarray, *, crs: str | None = "EPSG:4326", nodata: float = -99.0) -> None:
    """A GeoTIFF of `values` with 0.01° pixels whose top-left corner is (105.30, 29.20)."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(0.01, 0.0, 105.30, 0.0, -0.01, 29.20),
        nodata=nodata,
    ) as out:
        out.write(values.astype("float32"), 1)


def test_raster_sums_match_hand_sums(tmp_path: Path) -> None:
    values = np.arange(1, 17, dtype=float).reshape(4, 4)  # row 0 = north: 1 2 3 4 / 5 6 7 8 / ...
    values[1, 1] = -99.0  # nodata: ignored
    path = tmp_path / "pop.tif"
    _raster(path, values)
    # West cell: the top-left 2 × 2 pixels (1 + 2 + 5 + nodata); east cell: the top-right 2 × 2 (3 + 4 + 7 + 8).
    # The bottom two rows lie in no cell and are dropped.
    cells = gpd.GeoDataFrame(
        geometry=[box(105.30, 29.18, 105.32, 29.20), box(105.32, 29.18, 105.34, 29.20), box(106.0, 30.0, 106.1, 30.1)],
        index=["west", "east", "far"],
        crs="EPSG:4326",
    )
    sums = raster_population(path, cells)
    assert sums.to_dict() == {"west": 8.0, "east": 22.0, "far": 0.0}
    # Cells in a metric CRS are reprojected to the raster's: same pixel centres, same sums.
    assert raster_population(path, cells.to_crs(4522)).to_dict() == pytest.approx(sums.to_dict())


def test_raster_errors_name_the_file_and_fix(tmp_path: Path) -> None:
    cells = gpd.GeoDataFrame(geometry=[box(110.0, 30.0, 110.1, 30.1)], crs="EPSG:4326")
    path = tmp_path / "pop.tif"
    _raster(path, np.ones((2, 2)))
    with pytest.raises(DataError, match="does not overlap the area"):
        raster_population(path, cells)
    bare = tmp_path / "bare.tif"
    _raster(bare, np.ones((2, 2)), crs=None)
    with pytest.raises(DataError, match="has no CRS"):
        raster_population(bare, cells)
    broken = tmp_path / "broken.tif"
    broken.write_text("not a raster", encoding="utf-8")
    with pytest.raises(DataError, match="cannot be read as a raster"):
        raster_population(broken, cells)


def test_estimated_fields_shrink_with_real_data(tmp_path: Path, lu: Datasets) -> None:
    census = tmp_path / "census.csv"
    _census(lu).to_csv(census, index=False)
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "facility_id,lon,lat\n"
        + "".join(f"{f},{x},{y}\n" for f, x, y in lu.facilities[["facility_id", "lon", "lat"]].itertuples(index=False)),
        encoding="utf-8",
    )
    raster = tmp_path / "pop.tif"
    _raster(raster, np.ones((4, 4)))
    before = lu.estimated_fields()
    after = _load(tmp_path, census_table=census, facility_registry=registry, population_raster=raster)
    notes = after.estimated_fields()
    n_towns, n_facilities = len(lu.townships), len(lu.facilities)
    assert f"township resident population: {n_towns} of {n_towns} townships estimated" in before
    assert not any(note.startswith("township resident population: ") and "estimated" in note for note in notes)
    assert not any(note.startswith("facility location: ") and "township seat" in note for note in notes)
    assert f"township resident population: from census_table census.csv for {n_towns} of {n_towns} townships" in notes
    assert (
        f"facility location: from facility_registry registry.csv for {n_facilities} of {n_facilities} facilities"
        in (notes)
    )
    assert after.population_raster == raster.resolve()


def test_documented_example_files_read_against_lu(lu: Datasets) -> None:
    expected = {"510521001": 70_000, "510521100": 45_000, "510521101": 32_000, "510521102": 34_000}
    for name in ("census_table.csv", "census_table.xlsx"):
        assert read_census_table(EXAMPLES / name, lu.townships).set_index("code")["population"].to_dict() == expected
    registry = read_facility_registry(EXAMPLES / "facility_registry.csv", lu.facilities, lu.boundary)
    assert len(registry) == 3
    for name in ("settlement_points.csv", "settlement_points.geojson"):
        points = read_settlement_points(EXAMPLES / name, lu.townships, lu.boundary)
        assert set(points["town_code"]) <= set(lu.townships["code"])
    cells = gpd.GeoDataFrame(geometry=[box(105.33, 29.10, 105.43, 29.20)], index=["all"], crs="EPSG:4326")
    # 99 valid pixels: 95 of 200 persons and 4 of 2 000 (one pixel is nodata).
    assert raster_population(EXAMPLES / "population_raster.tif", cells)["all"] == pytest.approx(95 * 200 + 4 * 2_000)
