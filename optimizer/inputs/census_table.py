"""A township census table (`data.census_table`): real resident populations in place of the estimates.

The bundled township populations of most counties are estimates (the county's census total spread by
village units, data/population/PROVENANCE.md). A planner who has the statistics bureau's township table
(第七次全国人口普查 乡镇街道 常住人口) gives it as a UTF-8 CSV or the bureau's `.xlsx`; each township it
names then carries the census population, `population_estimated = false`, and its age groups are
rescaled to the new total by the county shares, as the bundled build does (they stay estimated).

Bureau spreadsheets have title rows above the header, Chinese column names and codes of 12 digits, so
the header is found by scanning the first rows for the column names (`CODE_NAMES`, `NAME_NAMES`,
`POPULATION_NAMES`), and a 12-digit code ending in 000 is cut to the 9-digit township code.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from fractions import Fraction
from pathlib import Path

import pandas as pd

from optimizer.errors import DataError, Problem

logger = logging.getLogger(__name__)

CODE_NAMES = ("code", "town_code", "统计用区划代码", "区划代码", "代码")
"""Accepted names of the township code column (9 digits, or 12 ending in 000), first match wins."""
NAME_NAMES = ("name", "乡镇街道", "乡镇（街道）", "地区", "名称")
"""Accepted names of the township name column (used when a row has no code)."""
POPULATION_NAMES = ("population", "常住人口", "人口", "合计")
"""Accepted names of the resident population column (persons)."""
TOTAL_NAMES = frozenset({"合计", "总计", "全县", "全市", "全区", "总人口"})
"""Names of total rows in bureau tables; such rows without a township code are skipped."""
HEADER_SCAN_ROWS = 10
"""How many rows from the top of a sheet are searched for the header row."""
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})
SOURCE_PREFIX = "census_table:"
"""`population_source` of a township whose population came from a census table (then the file name)."""


def read_census_table(path: Path, townships: pd.DataFrame) -> pd.DataFrame:
    """The census populations of the area's `townships` in the table at `path`: `code`, `population` (persons).

    Rows are matched by township code, else by exact name among the area's townships. Rows whose code
    belongs to a county outside the area are ignored (logged), as are blank rows, rows without a
    population and total rows (合计 …) without a code.

    Raises
    ------
    DataError
        An unreadable file, no header row with a name or code column and a population column, a row
        that matches no township or more than one, a township given twice, or a population that is not
        a positive whole number of persons. Each problem names the spreadsheet row and the fix.
    """
    grid = _read_grid(path)
    found = _find_header(grid)
    if found is None:
        raise DataError.single(
            path,
            "(header)",
            f"no header row in the first {HEADER_SCAN_ROWS} rows of any sheet names a population column "
            f"({' / '.join(POPULATION_NAMES)}) and a code ({' / '.join(CODE_NAMES)}) or name column "
            f"({' / '.join(NAME_NAMES)}); rename the columns (docs/data.md)",
        )
    sheet, header_row, columns = found
    problems: list[Problem] = []
    rows: list[tuple[str, int]] = []
    ignored: set[str] = set()
    area_counties = set(townships["county_code"])
    by_name: dict[str, list[str]] = {}
    for town_code, town_name in zip(townships["code"], townships["name"], strict=True):
        by_name.setdefault(str(town_name), []).append(str(town_code))
    for position in range(header_row + 1, len(sheet)):
        line = position + 1  # the row number a spreadsheet or editor shows
        cells = {role: _cell(sheet.iat[position, column]) for role, column in columns.items()}
        code, name, population = cells.get("code", ""), cells.get("name", ""), cells["population"]
        if not population or (not code and (not name or name in TOTAL_NAMES)):
            continue
        where = f"row {line}"
        matched = _match(code, name, townships, by_name, area_counties, path, where, problems, ignored)
        if matched is None:
            continue
        persons = _persons(population)
        if persons is None:
            problems.append(
                Problem(
                    path,
                    f"{where}, population",
                    f"'{population}' is not a positive whole number of persons; give residents (not 万人 or a share)",
                )
            )
            continue
        rows.append((matched, persons))
    if ignored:
        logger.info("%s: rows of counties outside the area ignored: %s", path.name, ", ".join(sorted(ignored)))
    census = pd.DataFrame(rows, columns=["code", "population"])
    for code in sorted(set(census.loc[census["code"].duplicated(), "code"])):
        problems.append(Problem(path, "code", f"township {code} is given in more than one row; keep one"))
    if problems:
        raise DataError(problems)
    return census.sort_values("code").reset_index(drop=True)


def apply_census(
    townships: pd.DataFrame, census: pd.DataFrame, path: Path, counties: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`townships` with the census populations put in (a copy; flags and sources set, age groups rescaled).

    Age groups become the county shares (`share_0_14_pct`, `share_65_plus_pct` of `counties`) of the
    new population, rounded to persons, as the bundled build computes them; where `counties` lacks the
    shares, the township's own age ratios are kept. They stay `age_estimated`. Townships of the area the
    table does not name keep their values, and a warning names them.
    """
    towns = townships.copy()
    given = dict(zip(census["code"], census["population"], strict=True))
    hit = towns["code"].isin(given)
    new = towns.loc[hit, "code"].map(given).astype(float)
    old = towns.loc[hit, "population"].astype(float)
    shares = _age_shares(towns.loc[hit], counties)
    values = {"population": new}
    for column in ("children_0_14", "aged_65_plus"):
        pct = shares[column] if column in shares else 100.0 * towns.loc[hit, column].astype(float) / old
        values[column] = pd.Series([_half_up(p, q) for p, q in zip(new, pct, strict=True)], index=new.index)
    for column, value in values.items():
        whole = pd.api.types.is_integer_dtype(towns[column])
        towns[column] = towns[column].astype(float)
        towns.loc[hit, column] = value
        if whole:  # persons stay whole numbers in an integer column
            towns[column] = towns[column].astype("int64")
    towns.loc[hit, "population_estimated"] = False
    towns.loc[hit, "population_source"] = f"{SOURCE_PREFIX}{path.name}"
    missing = towns.loc[~hit, "name"] + " (" + towns.loc[~hit, "code"] + ")"
    if len(missing):
        logger.warning(
            "%s: %d townships of the area are not in the census table and keep their estimate: %s",
            path.name,
            len(missing),
            ", ".join(missing),
        )
    return towns


def _half_up(persons: float, pct: float) -> float:
    """`persons × pct / 100` rounded half up, exactly on the printed share (as scripts/data_build/population.py)."""
    return float(math.floor(Fraction(persons) * Fraction(str(pct)) / 100 + Fraction(1, 2)))


def _age_shares(towns: pd.DataFrame, counties: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Per township row, the county share (%) of each age group, where `counties` holds it."""
    shares: dict[str, pd.Series] = {}
    if counties is None:
        return shares
    table = counties.set_index("county_code")
    for column, share in (("children_0_14", "share_0_14_pct"), ("aged_65_plus", "share_65_plus_pct")):
        if share in table.columns:
            values = towns["county_code"].map(pd.to_numeric(table[share], errors="coerce"))
            if values.notna().all():
                shares[column] = values
    return shares


def _match(
    code: str,
    name: str,
    townships: pd.DataFrame,
    by_name: dict[str, list[str]],
    area_counties: set[str],
    path: Path,
    where: str,
    problems: list[Problem],
    ignored: set[str],
) -> str | None:
    """The area township code a row names, or None (problem recorded, or a row of another county)."""
    if code:
        digits = re.sub(r"\.0+$", "", code)
        if len(digits) == 12 and digits.isdigit() and digits.endswith("000"):
            digits = digits[:9]
        if len(digits) != 9 or not digits.isdigit():
            problems.append(
                Problem(
                    path,
                    f"{where}, code",
                    f"'{code}' is not a 9-digit township code (or 12 digits ending in 000); fix the code",
                )
            )
            return None
        if digits[:6] not in area_counties:
            ignored.add(digits[:6])
            return None
        if digits not in set(townships["code"]):
            problems.append(
                Problem(
                    path,
                    f"{where}, code",
                    f"{digits} is not a township of the area (data.townships); fix the code, or remove the row "
                    "if the township no longer exists",
                )
            )
            return None
        return digits
    codes = by_name.get(name, [])
    if len(codes) == 1:
        return codes[0]
    fix = (
        f"it names {len(codes)} townships of the area ({', '.join(codes)}); add the township code column"
        if codes
        else "it matches no township of the area; write the name as in data.townships, or add the township code"
    )
    problems.append(Problem(path, f"{where}, name", f"'{name}': {fix}"))
    return None


def _persons(text: str) -> int | None:
    """A population cell as whole persons > 0 (thousands separators and spaces removed), else None."""
    cleaned = re.sub(r"[,，\s]", "", text)
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if not number.is_integer() or number <= 0:
        return None
    return int(number)


def _cell(value: object) -> str:
    """A cell as stripped text; an empty or NaN cell as ""."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _header_key(text: str) -> str:
    """A header cell normalised for matching: no spaces, full-width brackets, lower case."""
    return re.sub(r"\s", "", text).replace("(", "（").replace(")", "）").lower()


def _find_header(grid: list[pd.DataFrame]) -> tuple[pd.DataFrame, int, dict[str, int]] | None:
    """The first sheet and row (0-based) whose cells name a population and a code or name column.

    Returns the sheet, the header row and the column position of each role found (`code`, `name`,
    `population`).
    """
    for sheet in grid:
        for row in range(min(HEADER_SCAN_ROWS, len(sheet))):
            keys = [_header_key(_cell(value)) for value in sheet.iloc[row]]
            columns: dict[str, int] = {}
            for role, names in (("code", CODE_NAMES), ("name", NAME_NAMES), ("population", POPULATION_NAMES)):
                for alias in names:
                    if _header_key(alias) in keys:
                        columns[role] = keys.index(_header_key(alias))
                        break
            if "population" in columns and ("code" in columns or "name" in columns):
                return sheet, row, columns
    return None


def _read_grid(path: Path) -> list[pd.DataFrame]:
    """The sheets of the file as frames of text cells without a header (a CSV is one sheet)."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken workbook
            reason = " ".join(str(exc).split())[:200]
            raise DataError.single(
                path, "(file)", f"cannot be read as an .xlsx workbook ({reason}); re-save it from Excel as .xlsx"
            ) from None
        return list(sheets.values())
    if suffix not in CSV_SUFFIXES:
        raise DataError.single(
            path, "(file)", f"'{suffix}' is not a census table format; give a UTF-8 .csv or an .xlsx workbook"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = " (it looks like GBK/GB18030: save it as UTF-8)" if _decodes_as_gbk(raw) else ""
        raise DataError.single(
            path,
            "(file)",
            f"cannot be read as UTF-8 CSV (byte {exc.start}: {exc.reason}){hint}; re-export it as UTF-8 CSV",
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise DataError.single(path, "(file)", f"cannot be read as CSV ({exc}); re-export it as UTF-8 CSV") from None
    width = max((len(row) for row in rows), default=0)
    frame = pd.DataFrame([row + [""] * (width - len(row)) for row in rows])  # title rows are shorter
    return [frame]


def _decodes_as_gbk(raw: bytes) -> bool:
    """True when the bytes decode as GB18030, the usual encoding of a CSV saved by Chinese Excel."""
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True
