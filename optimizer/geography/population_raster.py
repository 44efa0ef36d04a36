"""Persons per demand cell from a population raster (`data.population_raster`, e.g. WorldPop).

A gridded population (GeoTIFF, persons per pixel) says where inside a township its residents live, so
the demand-point builder can weight its cells by it instead of the estimated spread (decision A40).
Only the window covering the cells is read; each pixel counts for the cell that contains its centre,
so a pixel is never split or counted twice, and pixels outside every cell (beyond the area) are dropped.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.io import DatasetReader
from rasterio.windows import Window

from optimizer.errors import DataError
from optimizer.inputs.settlement_points import check_population_raster


def raster_population(path: Path, cells: gpd.GeoDataFrame) -> pd.Series:
    """The raster's persons summed over each polygon of `cells` (index = cell id), 0 where none falls.

    `cells` may be in any CRS (it must have one); the raster may be in any CRS too: the cells are
    reprojected to it. Nodata and NaN pixels count as 0 persons.

    Raises
    ------
    DataError
        The file is not a readable raster, has no CRS, or does not overlap the cells.
    """
    if cells.empty:
        return pd.Series(dtype=float, name="population")
    check_population_raster(path)
    try:
        with rasterio.open(path) as source:
            shapes = cells.to_crs(source.crs)
            window = _window(source, shapes.total_bounds)
            if window is None:
                raise DataError.single(
                    path,
                    "(extent)",
                    "the raster does not overlap the area; give the raster of the area's country or province",
                )
            pixels = source.read(1, window=window, masked=True).astype(float)
            # the window's own transform, composed with `@` (affine 3 deprecates `*`, which window_transform uses)
            transform = source.transform @ Affine.translation(window.col_off, window.row_off)
    except RasterioError as exc:
        reason = " ".join(str(exc).split())[:200]
        raise DataError.single(
            path, "(file)", f"cannot be read as a raster ({reason}); give a GeoTIFF of persons per pixel"
        ) from None
    values = np.nan_to_num(pixels.filled(0.0), nan=0.0)
    # Cell k burns label k + 1 into each pixel whose centre it contains (all_touched=False); 0 = no cell.
    burns = [(shape, k + 1) for k, shape in enumerate(shapes.geometry) if shape is not None and not shape.is_empty]
    if not burns:
        return pd.Series(0.0, index=cells.index, name="population")
    labels = rasterize(
        burns,
        out_shape=values.shape,
        transform=transform,
        fill=0,
        all_touched=False,
        dtype="int32",
    )
    sums = np.bincount(labels.ravel(), weights=values.ravel(), minlength=len(cells) + 1)[1:]
    return pd.Series(sums, index=cells.index, dtype=float, name="population")


def _window(source: DatasetReader, bounds: np.ndarray) -> Window | None:
    """The pixel window of `source` covering `bounds` (minx, miny, maxx, maxy in its CRS), or None if outside."""
    inverse = ~source.transform
    corners = [inverse @ (x, y) for x in (bounds[0], bounds[2]) for y in (bounds[1], bounds[3])]
    cols = [c for c, _ in corners]
    rows = [r for _, r in corners]
    col0, row0 = max(math.floor(min(cols)), 0), max(math.floor(min(rows)), 0)
    col1, row1 = min(math.ceil(max(cols)), source.width), min(math.ceil(max(rows)), source.height)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)
