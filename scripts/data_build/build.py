"""Run the build steps in order, from data-raw, the seed plans and the specs to the twelve files of ``data/``."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from data_build.boundaries import BOUNDARIES_PROVENANCE, boundaries_geojson
from data_build.config import LU, PLAN_AREAS, SEED_LU, STUDY_COUNTIES, XIUSHAN
from data_build.facilities import FACILITY_COLUMNS, facility_rows, place_by_address
from data_build.facility_stock import STOCK_COLUMNS, stock_facilities, stock_rows
from data_build.geo import Point
from data_build.grades import add_grade_columns
from data_build.plan_entries import PLAN_ENTRY_COLUMNS, plan_entries_provenance, plan_entry_rows
from data_build.population import allocate_county, allocate_xiushan, assign_units
from data_build.provenance import facilities_provenance, population_provenance
from data_build.raw import read_adcode, read_counties, read_fever_clinics, read_geonames, read_townships, read_xiushan
from data_build.records import BuildLog, FacilitySpec, Town2016, Township
from data_build.seeds import check_citation, lu_specs, read_seed
from data_build.specs import load_specs
from data_build.stock_specs import check_stock_citations, load_stock_specs
from data_build.tables import COUNTY_COLUMNS, TOWNSHIP_COLUMNS, county_row, township_row
from data_build.tabular import write_atomic, write_csv
from data_build.townships import classify, locate, match_2016, seat_township
from data_build.villages import VILLAGE_COLUMNS, VILLAGE_PROVENANCE, village_count_rows

logger = logging.getLogger(__name__)

BEDS_COLUMNS = ("county_code", "facility_id", "name", "plan_beds", "year", "source")


def build(raw: Path, seeds: Path, plan_targets: Path, out: Path) -> None:
    """Run the whole build from ``raw``, ``seeds``, the extracted plan entries (``plan_targets``:
    targets.yaml) and the spec files in ``specs/`` into ``out``."""
    specs = load_specs()
    stock_specs = load_stock_specs()
    log = BuildLog()
    townships = read_townships(raw)
    geonames = read_geonames(raw)
    seats: dict[str, Point] = {}
    by_county: dict[str, list[Township]] = defaultdict(list)
    for town in townships:
        by_county[town.county_code].append(town)
    towns_2016: dict[str, list[Town2016]] = {}
    for code in sorted(STUDY_COUNTIES):
        seats[code], towns_2016[code] = read_adcode(raw, code)
        matches = match_2016(by_county[code], towns_2016[code], log)
        locate(by_county[code], matches, geonames.get(code, []), seats[code])
        assign_units(by_county[code], towns_2016[code], specs.mergers.get(code, {}), log)
    counties = read_counties(raw, seats)
    bulletin = read_xiushan(raw)
    for code, towns in sorted(by_county.items()):
        if code == XIUSHAN:
            allocate_xiushan(towns, bulletin, log)
        else:
            allocate_county(towns, counties[code], log)
        classify(towns, seats[code])
    seat_towns = {code: seat_township(towns, seats[code]) for code, towns in by_county.items()}

    lu_lines = read_seed(seeds, SEED_LU)
    lu, table2 = lu_specs(lu_lines, by_county[LU], specs.lu_county_hospitals, specs.lu_town_roles)
    specs_by_seed: dict[str, list[FacilitySpec]] = {seed: [] for seed in PLAN_AREAS}
    specs_by_seed[SEED_LU] = lu
    for spec in specs.named_facilities:
        specs_by_seed[spec.seed].append(spec)
    seed_lines = {seed: read_seed(seeds, seed) for seed in PLAN_AREAS}
    for seed, seed_specs in specs_by_seed.items():
        for spec in seed_specs:
            check_citation(seed_lines[seed], spec.line, spec.needle, seed)
    check_stock_citations(stock_specs, seed_lines)
    specs_by_seed, moves = place_by_address(specs_by_seed, read_fever_clinics(raw), townships)
    by_code = {t.code: t for t in townships}
    facilities = facility_rows(specs_by_seed, specs.rule_citations, by_code, counties, seat_towns)
    facilities = add_grade_columns(facilities, stock_specs.grades)
    planned = {(LU, name): (n, f"{SEED_LU}:L{line}") for name, n, line in table2}
    stock, stock_uses = stock_rows(stock_facilities(facilities, by_code, planned), counties, stock_specs)
    entries = plan_entry_rows(plan_targets, seed_lines)
    ids = {row[1]: row[0] for row in facilities if row[2] == LU}
    beds = sorted([LU, ids[name], name, str(n), "2025", f"{SEED_LU}:L{line}"] for name, n, line in table2)

    write_csv(out / "population" / "counties.csv", COUNTY_COLUMNS, [county_row(c) for c in counties.values()])
    write_csv(
        out / "population" / "townships.csv",
        TOWNSHIP_COLUMNS,
        [township_row(t, counties[t.county_code]) for t in townships],
    )
    write_csv(out / "facilities" / "facilities.csv", FACILITY_COLUMNS, facilities)
    write_csv(out / "facilities" / "plan_reference_beds.csv", BEDS_COLUMNS, beds)
    write_csv(out / "facilities" / "facility_stock.csv", STOCK_COLUMNS, stock)
    write_atomic(out / "boundaries" / "counties.geojson", boundaries_geojson(raw))
    villages = village_count_rows(raw, townships)
    write_csv(out / "population" / "village_counts.csv", VILLAGE_COLUMNS, villages)
    write_atomic(out / "population" / "PROVENANCE.md", population_provenance(townships, log) + VILLAGE_PROVENANCE)
    write_atomic(
        out / "facilities" / "PROVENANCE.md", facilities_provenance(facilities, moves, stock, stock_uses, stock_specs)
    )
    write_atomic(out / "boundaries" / "PROVENANCE.md", BOUNDARIES_PROVENANCE)
    write_csv(out / "plans" / "plan_entries.csv", PLAN_ENTRY_COLUMNS, entries)
    write_atomic(out / "plans" / "PROVENANCE.md", plan_entries_provenance(entries))
    logger.info(
        "wrote %d townships, %d facilities, %d bed rows, %d stock rows, %d plan entries to %s",
        len(townships),
        len(facilities),
        len(beds),
        len(stock),
        len(entries),
        out,
    )
