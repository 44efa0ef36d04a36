"""Reading one CSV table and checking its cells, with problems a planner can act on.

`read_table` turns a data file into a frame or records why it cannot: bytes that are not UTF-8 (with
a hint when they are GBK/GB18030), NUL bytes, a column name given twice, required columns missing.
A byte-order mark is accepted, and id and code columns are kept as text. The cell validators
(`read_flags`, `as_number`, `check_point`) and `numbered_rows` (file line numbers for messages) are
shared by every table; which columns a table has is `optimizer.inputs.datasets`, what its rows must
hold and how tables agree is `optimizer.inputs.dataset_checks`.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import cast

import pandas as pd

from optimizer.errors import Problem

TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


def read_table(path: Path, columns: tuple[str, ...], dtypes: dict[str, type], problems: list[Problem]) -> pd.DataFrame:
    """The CSV table at `path` with the required `columns`; on any problem, an empty frame and a `Problem`.

    Columns named in `dtypes` are read as text, stripped, with empty cells as "".
    """
    empty = pd.DataFrame(columns=list(columns))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = " (it looks like GBK/GB18030: save it as UTF-8)" if _is_gbk(path) else ""
        problems.append(
            Problem(
                path,
                "(file)",
                f"cannot be read as UTF-8 CSV (byte {exc.start}: {exc.reason}){hint}; re-export it as UTF-8 CSV",
            )
        )
        return empty
    except OSError as exc:
        problems.append(Problem(path, "(file)", f"cannot be read ({exc.strerror}); check the path and permissions"))
        return empty
    if "\x00" in text:
        problems.append(
            Problem(path, "(file)", "cannot be read as UTF-8 CSV (it contains NUL bytes); re-export it as UTF-8 CSV")
        )
        return empty
    try:
        header = next(csv.reader(io.StringIO(text)), [])
        frame = pd.read_csv(io.StringIO(text), dtype=dtypes, keep_default_na=True)
    except (ValueError, csv.Error, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.append(Problem(path, "(file)", f"cannot be read as UTF-8 CSV ({exc}); re-export it as UTF-8 CSV"))
        return empty
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        problems.append(
            Problem(path, ", ".join(twice), "column name(s) appear more than once; keep one column of each name")
        )
        return empty
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        problems.append(Problem(path, ", ".join(absent), "required column(s) missing; add them (see PROVENANCE.md)"))
        return empty
    for column in dtypes:  # ids and codes as text; an empty cell becomes "" rather than NaN
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    return frame


def _is_gbk(path: Path) -> bool:
    """True when the bytes decode as GB18030, the usual encoding of a CSV saved by Chinese Excel."""
    try:
        path.read_bytes().decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def read_flags(frame: pd.DataFrame, columns: tuple[str, ...], path: Path, problems: list[Problem]) -> pd.DataFrame:
    """Flag columns hold `true` / `false` only; they are returned as booleans."""
    frame = frame.copy()
    for column in columns:
        if column not in frame.columns:
            continue
        words = frame[column].astype(str).str.strip().str.lower()
        bad = ~words.isin(TRUE_WORDS | FALSE_WORDS)
        for row_number, row in numbered_rows(frame[bad]):
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, {column}",
                    f"'{row[column]}' is not a flag; write true or false (not yes/no or 是/否)",
                )
            )
        frame[column] = words.isin(TRUE_WORDS)
    return frame


def check_point(row: pd.Series, path: Path, where: str, problems: list[Problem]) -> None:
    """A row's `lon` / `lat` must be a WGS-84 point in China; `where` names the row in the message."""
    lon, lat = as_number(row["lon"]), as_number(row["lat"])
    if lon is None or lat is None:
        problems.append(
            Problem(path, f"{where}, lon/lat", "location missing; add the WGS-84 point (EPSG:4326) of the seat")
        )
    elif not (73 <= lon <= 136 and 3 <= lat <= 54):
        hint = " (lon and lat look swapped)" if 73 <= lat <= 136 and 3 <= lon <= 54 else ""
        problems.append(
            Problem(
                path,
                f"{where}, lon/lat",
                f"({lon}, {lat}) is outside China{hint}; give WGS-84 longitude and latitude in degrees",
            )
        )


def as_number(value: object) -> float | None:
    """A cell as a finite float, or None for text, an empty cell, NaN or infinity."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def numbered_rows(frame: pd.DataFrame) -> list[tuple[int, pd.Series]]:
    """Rows with their 1-based line number in the file (header is line 1)."""
    # iterrows types a label as Hashable; a table read from a file keeps its 0-based integer row labels
    return [(int(cast(int, index)) + 2, row) for index, row in frame.iterrows()]


def replaced_note(sources: pd.Series, prefix: str, what: str, of: str) -> list[str]:
    """The report's note on the values a real-data file replaced: `sources` are the rows' source columns,
    those starting with `prefix` (e.g. `census_table:`) name the file; none when no file was applied."""
    text = sources.astype(str)
    real = text[text.str.startswith(prefix)].str.removeprefix(prefix)
    kind = prefix.removesuffix(":")
    return [
        f"{what}: from {kind} {name} for {count} of {len(sources)} {of}"
        for name, count in sorted(real.value_counts().items())
    ]
