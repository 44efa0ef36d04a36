"""A scenario's [hierarchy] block as the rules of `models.planner.hierarchy`: nodes are facilities of the data.

The top tier (county hospital / county emergency centre) and the existing middle tier (central
township health centres) are always open; the sub-centre candidates join the middle tier when the
model opens them. Distances for the town rules are straight-line km (the plans state radii in km);
the referral limit is in travel minutes from the middle node's town to the top facility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.planner.hierarchy import HierarchyInputs, Node, reach_from_distance
from models.planner.plan import PlanHierarchy
from optimizer.errors import DataError
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.network_schema import HierarchySettings

TOP = "top"
MIDDLE = "middle"
HIERARCHY_TARGET_ID = "hierarchy"


@dataclass(frozen=True)
class HierarchyNodes:
    """The facilities of each tier, and which middle nodes exist already."""

    nodes: tuple[Node, ...]
    existing: frozenset[Node]


def hierarchy_nodes(settings: HierarchySettings, data: Datasets, candidates: tuple[str, ...]) -> HierarchyNodes:
    """Top facilities, existing middle facilities and the sub-centre candidates that are neither."""
    facilities = data.facilities
    ids = facilities["facility_id"].astype(str)
    top = sorted(ids[facilities["level"].isin(settings.top_levels)])
    middle = sorted(ids[facilities["level"].isin(settings.middle_levels)])
    opened = sorted(set(candidates) - set(middle) - set(top))
    nodes = tuple([(TOP, f) for f in top] + [(MIDDLE, f) for f in sorted({*middle, *opened})])
    existing = frozenset([(TOP, f) for f in top] + [(MIDDLE, f) for f in middle])
    return HierarchyNodes(nodes, existing)


def hierarchy_rules(
    settings: HierarchySettings,
    data: Datasets,
    matrix: TravelMatrix,
    candidates: tuple[str, ...],
) -> PlanHierarchy:
    """Build the assignment, network and referral rules of `settings` on the data's facilities.

    Raises
    ------
    DataError
        When no facility has a top level, or a middle facility's town is not a town of the data.
    """
    tiers = hierarchy_nodes(settings, data, candidates)
    if not any(level == TOP for level, _ in tiers.nodes):
        raise DataError.single(
            data.paths["facilities"],
            "level",
            f"no facility has a level in hierarchy.top_levels {settings.top_levels}; add the county hospital "
            "or emergency centre, or change hierarchy.top_levels in the scenario",
        )
    column = {f: j for j, f in enumerate(matrix.destinations)}
    km = matrix.straight_km[:, np.array([column[str(f)] for _, f in tiers.nodes], dtype=np.int64)]
    towns = matrix.origins
    assignment = {}
    if settings.assignment_radius_km is not None:
        assignment = reach_from_distance(towns, tiers.nodes, km, settings.assignment_radius_km.value)
    cover = {}
    if settings.network_radius_km is not None:
        classes = dict(zip(data.townships["code"], data.townships["settlement_class"], strict=True))
        rows = [r for r, t in enumerate(towns) if settings.network_applies_to == "all" or classes[t] == "rural"]
        cover["network"] = reach_from_distance(
            [towns[r] for r in rows], tiers.nodes, km[rows], settings.network_radius_km.value
        )
    parents: dict[Node, tuple[Node, ...]] = {}
    if settings.referral_limit_min is not None:
        parents = _referral_parents(tiers.nodes, data, matrix, settings.referral_limit_min.value)
    rules = HierarchyInputs(towns=towns, assignment=assignment, cover=cover, parents=parents)
    return PlanHierarchy(rules, tiers.existing, HIERARCHY_TARGET_ID)


def _referral_parents(
    nodes: tuple[Node, ...], data: Datasets, matrix: TravelMatrix, limit_min: float
) -> dict[Node, tuple[Node, ...]]:
    """Middle node → top nodes within `limit_min` travel minutes of the middle node's town."""
    town_of = dict(
        zip(data.facilities["facility_id"].astype(str), data.facilities["town_code"].astype(str), strict=True)
    )
    row = {t: i for i, t in enumerate(matrix.origins)}
    column = {f: j for j, f in enumerate(matrix.destinations)}
    tops = [n for n in nodes if n[0] == TOP]
    top_columns = np.array([column[str(f)] for _, f in tops], dtype=np.int64)
    parents: dict[Node, tuple[Node, ...]] = {}
    for node in nodes:
        if node[0] != MIDDLE:
            continue
        town = town_of[str(node[1])]
        if town not in row:
            raise DataError.single(
                data.paths["facilities"],
                f"{node[1]}: town_code",
                f"town {town} is not a town of the population table, so the referral time of this middle-tier "
                "facility is unknown; fix its town_code",
            )
        minutes = matrix.minutes[row[town], top_columns]
        parents[node] = tuple(tops[c] for c in np.flatnonzero(minutes <= limit_min).tolist())
    return parents
