"""Build the bundled ``data/`` tables for the five plan areas from the public raw data.

Usage::

    python scripts/build_data.py [--raw PATH] [--seeds PATH] [--plan-targets FILE] [--out PATH]

``--raw`` defaults to ``$SHARED_DATA_RAW`` or ``../shared/data-raw`` (relative to the repository root),
``--seeds`` to ``$SHARED_SEEDS`` or ``../shared/seeds``, ``--plan-targets`` to ``$SHARED_PLAN_TARGETS`` or
``../shared/plan-targets/targets.yaml``, ``--out`` to the repository's ``data/``.
The steps live in the ``data_build`` package beside this script, one module per step. The build is
deterministic: rows are sorted, lon/lat have 6 decimals, people are integers, and every file is written
to a temporary file in its folder and then moved into place with ``os.replace``.

Methods (also stated in the generated PROVENANCE.md files)
---------------------------------------------------------
Township frame
    The 259 NBS 2023 township-level units of the 13 study counties (``nbs-township-codes-modood``,
    ``in_study_area``). The non-administrative unit 510704400 (劳动教育管理所, type 其他) is kept.

Names
    Matching is by name *within a county* on a stem: the suffix 街道办事处/街道办/办事处/街道/镇/乡 is
    removed, then an ethnic qualifier (彝族, 羌族, 藏族, 回族, 土家族苗族) is removed, and the alias
    四川省科学城春雷 → 春雷 is applied (the 2016 name of that street is 春雷街道办).

Locations
    1. Vonng/adcode 2016 township point (GCJ-02) of the same-named 2016 unit, converted to WGS-84 with
       ``prcoords.gcj_wgs_bored`` (iterative inverse): ``adcode2016_gcj02_converted``, not estimated.
    2. GeoNames (WGS-84) place in the same county whose Chinese alternate name equals the township name
       or its stem: ``geonames_wgs84``, not estimated.
    3. 街道 without a point of their own: the county seat point (the county row of vonng-adcode-2016,
       converted): ``county_seat_approximate``, estimated.
    4. Otherwise no point: ``missing``. No point is ever invented. (``predecessor_town_point`` is part of
       the vocabulary but unused: no merger notice is held in data-raw.)

Population
    Xiushan (500241): 2020 census values per township from the county bulletin (real), except 清溪场街道 and
    龙凤坝镇, which share 51,816 and are split by their 2016 village-unit counts (estimated).
    Other counties: the county 2020 census total (leiii/census, real) is allocated to townships
    (estimated). Every 2016 village-level unit (vonng-adcode-2016) is assigned to a current township:
    by the name of its 2016 parent township; units of 2016 townships that no longer exist go to the
    current township whose *real* point (rule 1 or 2 above) is nearest, by great-circle distance, to the
    2016 township point; units of a 2016 township with neither a name match nor a point cannot be
    placed and are left out. Units coded 1xx (城镇) share the county's 2020 urban population equally,
    units coded 2xx or uncoded (乡村) share the rural population equally. A township that receives no
    unit gets the county mean per unit (one unit's worth) and the urban and rural pools shrink by the
    same proportion. Values are rounded by largest remainder (ties by code) so that each county sums
    exactly to its census total.

Age
    children_0_14 and aged_65_plus = population × the county's 2020 shares, rounded half up.

Settlement class
    街道 → urban; in a county without 街道, the township whose real point is nearest the county seat →
    urban (county-seat town); otherwise urban if urban_unit_share_2016 ≥ 0.5, else rural (rural when
    the township has no 2016 unit).

Facilities
    County-level hospitals and named THCs/CHCs come from the seed plans, each with its seed line (the
    line is checked against the seed text at build time). They are entered by hand in
    ``data_build/specs/*.csv`` (see its README.md); Lu County's list is its Table 2. Every 镇/乡 without
    a named facility gets one rule-based government THC and every 街道 one CHC, named
    ``<county short name><township>卫生院`` or ``…社区卫生服务中心``. Facilities sit at their township point,
    county-level hospitals at the county seat point unless their published address (data-raw fever-clinic
    list, 泸县) names another township of the county; all locations are approximate. ``base_grade`` is the
    2020 grade a plan states (``specs/base_grades.csv``), else the default of the level.

Base-year stock (facility_stock.csv)
    A value a plan gives for a facility (``specs/facility_seed_values.csv``) is kept; otherwise the area's
    2020 total (``specs/base_year_totals.csv``, the scenarios' ``baseline_modelled``) is shared over the
    facilities that can hold the resource, in proportion to a grade weight (prior size × township
    population factor for beds, staff per bed or per physician for staff), inside the grade's bands and
    minimums, exactly (fractions) and rounded by largest remainder; totals the bands cannot hold leave a
    residual that PROVENANCE.md reports. No area total, no rows (ambulances, paediatric beds …).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from data_build.build import build

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_path(env: str, relative: str) -> Path:
    """``$env`` if set, else ``relative`` resolved against the repository root."""
    return Path(os.environ.get(env) or (REPO_ROOT / relative)).resolve()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, configure logging (the only place that does) and run the build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--raw", type=Path, default=default_path("SHARED_DATA_RAW", "../shared/data-raw"))
    parser.add_argument("--seeds", type=Path, default=default_path("SHARED_SEEDS", "../shared/seeds"))
    parser.add_argument(
        "--plan-targets",
        type=Path,
        default=default_path("SHARED_PLAN_TARGETS", "../shared/plan-targets/targets.yaml"),
        help="the plan entries extracted from the seeds (targets.yaml)",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.raw, args.seeds, args.plan_targets, args.out)


if __name__ == "__main__":
    main()
