"""Rows of data/population/townships.csv and counties.csv: column order and the formatting of each field."""

from __future__ import annotations

from data_build.population import share_of
from data_build.records import County, Township
from data_build.tabular import fmt_bool, fmt_coord
from data_build.townships import urban_share

TOWNSHIP_COLUMNS = (
    "code", "name", "type", "county_code", "county_name",
    "population", "population_estimated", "population_source",
    "children_0_14", "aged_65_plus", "age_estimated", "age_source",
    "settlement_class", "settlement_class_source", "urban_unit_share_2016", "village_units_2016",
    "lon", "lat", "lon_gcj02", "lat_gcj02", "location_source", "location_estimated",
)  # fmt: skip
COUNTY_COLUMNS = (
    "county_code", "county_name", "prefecture_code", "population_2020", "urban_population_2020",
    "rural_population_2020", "share_0_14_pct", "share_65_plus_pct", "seat_lon", "seat_lat",
    "seat_location_source", "source",
)  # fmt: skip


def township_row(town: Township, county: County) -> list[str]:
    """One townships.csv row."""
    share = urban_share(town)
    point = town.point
    return [
        town.code,
        town.name,
        town.type,
        town.county_code,
        county.name,
        str(town.population),
        fmt_bool(town.population_estimated),
        town.population_source,
        str(share_of(town.population, county.share_0_14)),
        str(share_of(town.population, county.share_65_plus)),
        "true",
        "county_share_2020",
        town.settlement_class,
        town.settlement_class_source,
        "" if share is None else f"{share:.4f}",
        str(town.units),
        fmt_coord(point.lon if point else None),
        fmt_coord(point.lat if point else None),
        fmt_coord(point.lon_gcj02 if point else None),
        fmt_coord(point.lat_gcj02 if point else None),
        town.location_source,
        fmt_bool(town.location_estimated),
    ]


def county_row(county: County) -> list[str]:
    """One counties.csv row."""
    return [
        county.code,
        county.name,
        county.prefecture_code,
        str(county.population),
        str(county.urban),
        str(county.rural),
        county.share_0_14,
        county.share_65_plus,
        fmt_coord(county.seat.lon),
        fmt_coord(county.seat.lat),
        "adcode2016_gcj02_converted",
        "leiii-census-county (census 2020); vonng-adcode-2016 (seat point); nbs-township-codes-modood (name)",
    ]
