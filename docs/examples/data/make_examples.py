"""Write the binary example files of docs/data.md: a census .xlsx and a population GeoTIFF for Lu County.

Run from the repository root: `.venv/bin/python docs/examples/data/make_examples.py`. The township codes
and names are Lu County's (510521, data/population/townships.csv); every VALUE is illustrative, made up
for the example, and is not a statistic. The text examples (CSV, GeoJSON) beside this script are
written by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import rasterio
from affine import Affine

HERE = Path(__file__).resolve().parent
TOWNSHIPS = (
    ("510521001000", "玉蟾街道", 70_000),
    ("510521100000", "福集镇", 45_000),
    ("510521101000", "嘉明镇", 32_000),
    ("510521102000", "喻寺镇", 34_000),
)
"""Codes as the statistics bureau prints them (12 digits); populations illustrative, not real."""


def write_census_xlsx(path: Path) -> None:
    """A bureau-style sheet: a title row and a note above the Chinese header, then one row per township."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "表1"
    sheet.append(["泸县各乡镇（街道）常住人口（示例：数值为虚构，非真实统计）"])
    sheet.append(["单位：人"])
    sheet.append(["统计用区划代码", "乡镇（街道）", "常住人口"])
    for code, name, population in TOWNSHIPS:
        sheet.append([code, name, population])
    book.save(path)


def write_population_tif(path: Path) -> None:
    """A 10 × 10 grid of 0.01° pixels (about 1 km) over central Lu County, persons per pixel, -99 = nodata."""
    values = np.full((10, 10), 200.0, dtype="float32")
    values[4:6, 4:6] = 2_000.0  # a denser centre, so the weights are visibly uneven
    values[0, 0] = -99.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.01, 0.0, 105.33, 0.0, -0.01, 29.20),
        nodata=-99.0,
    ) as out:
        out.write(values, 1)


if __name__ == "__main__":
    write_census_xlsx(HERE / "census_table.xlsx")
    write_population_tif(HERE / "population_raster.tif")
