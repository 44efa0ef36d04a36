"""The seed plans as sources.

Reads them, checks a spec's citation against its line, and parses Lu County's Table 2 (seed 003),
whose rows are both the Lu facility list and the plan's bed table.
"""

from __future__ import annotations

import re
from pathlib import Path

from data_build.config import LU, LU_TABLE2_ROWS, LU_TABLE2_TOTAL, SEED_LU
from data_build.records import FacilitySpec, Township
from data_build.specs import TownRole

TableRow = tuple[str, int, int]
"""(facility name, plan beds, seed line) of Lu County's Table 2."""


def read_seed(seeds: Path, seed: str) -> list[str]:
    """Lines of a seed plan; index 0 is line 1."""
    return (seeds / seed).read_text(encoding="utf-8").splitlines()


def check_citation(lines: list[str], line: int, needle: str, seed: str) -> None:
    """Fail unless ``needle`` starts on ``line`` (it may wrap onto the next non-empty line)."""
    following = next((text for text in lines[line:] if text.strip()), "")
    joined = re.sub(r"\s+", "", lines[line - 1] + following)
    if needle not in joined or needle[:2] not in re.sub(r"\s+", "", lines[line - 1]):
        raise ValueError(f"{seed}:L{line} does not contain {needle!r}; fix the citation")


def parse_lu_table2(lines: list[str]) -> list[TableRow]:
    """Rows (name, beds, line) of Table 2 in seed 003 (L379–L460); checks the printed total."""
    start = next(i for i, text in enumerate(lines) if text.strip().startswith("表2"))
    rows: list[TableRow] = []
    pending: tuple[str, int] | None = None
    for index in range(start, len(lines)):
        text = lines[index].strip()
        if not text:
            continue
        if text.isdigit() and pending is not None:
            name, line = pending
            if name == "合计":
                if int(text) != sum(beds for _, beds, _ in rows):
                    raise ValueError(f"Table 2 total {text} != sum of rows")
                break
            rows.append((name, int(text), line))
            pending = None
        else:
            pending = (text, index + 1)
    total = sum(beds for _, beds, _ in rows)
    if len(rows) != LU_TABLE2_ROWS or total != LU_TABLE2_TOTAL:
        raise ValueError(
            f"Lu Table 2: expected {LU_TABLE2_ROWS} rows / {LU_TABLE2_TOTAL} beds, got {len(rows)} / {total}"
        )
    return rows


def lu_specs(
    lines: list[str],
    towns: list[Township],
    hospitals: dict[str, tuple[str, str]],
    roles: dict[str, TownRole],
) -> tuple[list[FacilitySpec], list[TableRow]]:
    """Facility specs for every Table-2 row of seed 003, and the table rows themselves.

    ``hospitals`` gives level and role of the county-level rows; every other row is a town's THC/CHC,
    whose level follows from its name and whose role comes from ``roles`` by town stem. A spec row
    that matches no Table-2 row is an error, so the spec files cannot drift from the seed.
    """
    rows = parse_lu_table2(lines)
    by_stem = {t.stem: t for t in towns}
    specs = []
    used_stems: set[str] = set()
    for name, _, line in rows:
        if name in hospitals:
            level, plan_role = hospitals[name]
            specs.append(FacilitySpec(LU, name, level, SEED_LU, line, name, plan_role=plan_role))
            continue
        stem = re.sub(r"(街道社区卫生服务中心|中心卫生院|镇卫生院)$", "", name.removeprefix("泸县"))
        town = by_stem[stem]
        level = "central_thc" if name.endswith("中心卫生院") else "chc" if name.endswith("服务中心") else "thc"
        role = roles.get(stem, TownRole())
        used_stems.add(stem)
        specs.append(
            FacilitySpec(
                LU, name, level, SEED_LU, line, name, plan_role=role.plan_role, town_code=town.code,
                named_subcentre=role.named_subcentre, named_emergency_station=role.named_emergency_station,
            )
        )  # fmt: skip
    unused = sorted(set(hospitals) - {name for name, _, _ in rows}) + sorted(set(roles) - used_stems)
    if unused:
        raise ValueError(f"specs for Lu County match no row of Table 2 ({SEED_LU}): {', '.join(unused)}")
    return specs, rows
