"""Village or settlement points (`data.settlement_points`): where a township's residents really live.

Without them, the demand-point builder spreads each township's residents over an estimated grid
(optimizer/geography/demand.py, decision A40). With them, the points of a township are its demand
points (`location_estimated = false`), weighted by their populations when the file gives them for every
point of the township, else evenly. The file is a CSV (`lon`, `lat` in WGS-84 degrees, `town_code`;
optional `id`, `name`, `population` in persons) or GeoJSON/GeoPackage points with those properties.

The other file that says where residents live, the population raster, is only checked to open here
(`check_population_raster`); it is summed per demand cell by optimizer/geography/population_raster.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.errors import RasterioError

from optimizer.errors import DataError, Problem
from optimizer.inputs.facility_registry import check_points, read_point_file, unknown_ids
from optimizer.inputs.tables import as_number

logger = logging.getLogger(__name__)

SETTLEMENT_COLUMNS = ("id", "town_code", "name", "lon", "lat", "population")
"""Columns of the checked settlement points (`population` in persons, NaN where the file gives none)."""


def read_settlement_points(path: Path, townships: pd.DataFrame, boundary: gpd.GeoDataFrame) -> pd.DataFrame:
    """The settlement points of the area's `townships` (columns `SETTLEMENT_COLUMNS`, in file order).

    `id` is the file's, or `<town_code>-S<n>` numbered per township in file order. Points of townships
    whose county is outside the area are dropped (logged); townships of the area without a point keep
    the estimated spread (logged).

    Raises
    ------
    DataError
        An unreadable file or a missing column, a town code that is not a township of the area, a point
        outside its township's county, a population that is not a number ≥ 0, a township with
        populations on some points only, or an id given twice.
    """
    table = read_point_file(path, ("lon", "lat", "town_code"), ("id", "town_code", "name"))
    problems: list[Problem] = []
    county_of = dict(zip(townships["code"], townships["county_code"], strict=True))
    codes = table["town_code"]
    other = codes.str.fullmatch(r"\d{9}") & ~codes.str[:6].isin(set(county_of.values()))
    if other.any():
        logger.info("%s: %d points of townships outside the area dropped", path.name, int(other.sum()))
    table = table[~other].reset_index(drop=True)
    fix = "is not a township of the area (data.townships); give the 9-digit township code"
    known = unknown_ids(table, "town_code", county_of, path, fix, problems)
    table = table[known].reset_index(drop=True)
    check_points(table, [county_of[c] for c in table["town_code"]], boundary, path, problems)
    table["population"] = _populations(table, path, problems)
    _check_towns_all_or_none(table, path, problems)
    table["id"] = _ids(table)
    for point_id in sorted(set(table.loc[table["id"].duplicated(), "id"])):
        problems.append(Problem(path, "id", f"point id {point_id} is given more than once; keep ids unique"))
    if problems:
        raise DataError(problems)
    if "name" not in table.columns:
        table["name"] = ""
    without = sorted(set(county_of) - set(table["town_code"]))
    if without:
        logger.info(
            "%s: %d townships have no settlement point; their residents use the estimated spread: %s",
            path.name,
            len(without),
            ", ".join(without),
        )
    points = table[list(SETTLEMENT_COLUMNS)].astype({"lon": float, "lat": float, "population": float})
    return points.reset_index(drop=True)


def _populations(table: pd.DataFrame, path: Path, problems: list[Problem]) -> pd.Series:
    """Each point's population (persons, float), NaN where the cell is empty or the column absent."""
    if "population" not in table.columns:
        return pd.Series(np.nan, index=table.index, dtype=float)
    values = []
    for where, cell in zip(table["where"], table["population"], strict=True):
        if pd.isna(cell) or not str(cell).strip():
            values.append(np.nan)
            continue
        number = as_number(cell)
        if number is None or number < 0:
            problems.append(
                Problem(path, f"{where}, population", f"'{cell}' must be a number of persons ≥ 0, or left empty")
            )
            number = np.nan
        values.append(number)
    return pd.Series(values, index=table.index, dtype=float)


def _check_towns_all_or_none(table: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
    """A township's points all carry a population or none does (a partial list cannot be scaled)."""
    given = table["population"].notna().groupby(table["town_code"]).agg(["any", "all"])
    for code in given.index[given["any"] & ~given["all"]]:
        problems.append(
            Problem(
                path,
                f"town_code {code}, population",
                "some points of this township have a population and some not; give population for all points "
                "of a town or none",
            )
        )


def _ids(table: pd.DataFrame) -> pd.Series:
    """The file's ids, with `<town_code>-S<n>` (n counted per township in file order) where none is given."""
    generated = table["town_code"] + "-S" + (table.groupby("town_code").cumcount() + 1).astype(str)
    if "id" not in table.columns:
        return generated
    return table["id"].where(table["id"] != "", generated)


def check_population_raster(path: Path) -> None:
    """The population raster (`data.population_raster`) opens with GDAL and has a CRS.

    Raises
    ------
    DataError
        The file is not a readable raster or has no CRS, with the fix.
    """
    try:
        with rasterio.open(path) as source:
            crs = source.crs
    except RasterioError as exc:
        reason = " ".join(str(exc).split())[:200]
        raise DataError.single(
            path, "(file)", f"cannot be read as a raster ({reason}); give a GeoTIFF of persons per pixel"
        ) from None
    if crs is None:
        raise DataError.single(path, "crs", "the raster has no CRS; give a GeoTIFF with its coordinate system")
