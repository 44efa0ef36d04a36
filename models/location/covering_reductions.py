"""Exact reductions of covering models, applied by the builders before a row is made (issue #18).

Each reduction keeps at least one optimal solution of the original model, so a proven optimum of the
reduced model is a proven optimum of the original (Toregas & ReVelle 1973, "Binary logic solutions to a
class of location problem", Geographical Analysis 5(2); Daskin 1995, *Network and Discrete Location*,
§4.2):

* row aggregation — demand points with the same set of sites in reach form one row, weight summed;
* redundant rows (set covering only) — a row whose sites contain another row's sites is implied by it;
* essential sites (set covering only) — a row with a single site in reach forces that site open, and
  every row that site covers is then met;
* dominated sites — a site whose covered rows are a subset of another site's, at no lower cost, can be
  replaced by that site in any solution (for the maximal covering model the count Σ y = p is kept by
  padding with any other site, so at least p sites must stay; weights ≥ 0);
* components — sites linked through shared rows; with no row in two components a set covering model
  separates into one model per component.

Rows are tuples of site ids (sorted, as `location_common.invert` gives them). Pure Python: subset tests
are bit masks over Python integers, and each site or row is tested only against the sites or rows that
share its rarest element.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import models.location.location_common as common

Reach = tuple[common.Key, ...]
"""The sites within reach of one row (sorted)."""

MAX_ROUNDS = 10
"""Rounds of (essential sites, redundant rows, dominated sites) before the set covering reduction stops;
the province LSCP (`benchmarks/province.py`) settles in 7."""


@dataclass(frozen=True)
class CoverRows:
    """Demand points grouped by their reach set: one row per distinct set of sites in reach."""

    reach: tuple[Reach, ...]
    members: tuple[tuple[common.Key, ...], ...]
    """The demand ids of each row, sorted; a row is named after its first member."""
    weight: tuple[float, ...]
    """Summed demand of each row's members (0 when no weights are given)."""


def aggregate_rows(reach: Mapping[common.Key, Sequence[common.Key]], weight: Mapping[common.Key, float]) -> CoverRows:
    """Group demand → sites (`location_common.invert`) by equal reach sets, in first-seen order of the demand."""
    groups: dict[Reach, list[common.Key]] = {}
    for demand, near in reach.items():
        groups.setdefault(tuple(near), []).append(demand)
    members = tuple(tuple(m) for m in groups.values())
    return CoverRows(tuple(groups), members, tuple(float(sum(weight.get(d, 0.0) for d in m)) for m in members))


def redundant_rows(reach: Sequence[Reach]) -> set[int]:
    """Rows whose site set contains another row's (of two equal sets the later one): covering the smaller
    row covers them. Empty rows are never redundant and imply nothing."""
    by_site: dict[common.Key, list[int]] = {}
    for i, near in enumerate(reach):
        for site in near:
            by_site.setdefault(site, []).append(i)
    position = {site: k for k, site in enumerate(by_site)}
    masks = [_mask(near, position) for near in reach]
    redundant: set[int] = set()
    for k, near in enumerate(reach):
        if not near:
            continue
        rarest = min(near, key=lambda s: len(by_site[s]))
        for i in by_site[rarest]:
            if i != k and masks[k] & masks[i] == masks[k] and (masks[i] != masks[k] or i > k):
                redundant.add(i)
    return redundant


def dominated_sites(
    reach: Sequence[Reach], cost: Mapping[common.Key, float], protected: Iterable[common.Key] = ()
) -> list[common.Key]:
    """Sites j (not `protected`) for which another site k covers every row j covers at no higher cost.

    k dominates j when rows(j) ⊆ rows(k), c_k ≤ c_j, and the two differ in rows or in (cost, order): a
    strict partial order, so every dominated site has an undominated dominator that stays. Sites in
    `cost` that cover no row are dominated too. Returned in sorted id order.
    """
    rows_of: dict[common.Key, list[int]] = {s: [] for s in cost}
    for i, near in enumerate(reach):
        for site in near:
            if site in rows_of:
                rows_of[site].append(i)
    order = {s: k for k, s in enumerate(common.sorted_ids(cost))}
    masks = {s: _mask(rows, {r: r for r in rows}) for s, rows in rows_of.items()}
    keep = set(protected)
    found = []
    for j in common.sorted_ids(cost):
        if j in keep:
            continue
        if not rows_of[j]:
            found.append(j)
            continue
        rarest = min(rows_of[j], key=lambda r: len(reach[r]))
        rank_j = (cost[j], order[j])
        for k in reach[rarest]:
            if k == j or k not in masks or masks[j] & masks[k] != masks[j] or cost[k] > cost[j]:
                continue
            if masks[j] != masks[k] or (cost[k], order[k]) < rank_j:
                found.append(j)
                break
    return found


@dataclass(frozen=True)
class SetCoverReduction:
    """What `reduce_set_cover` leaves: the rows still to cover and the sites fixed either way."""

    rows: tuple[int, ...]
    """Indices (into the given rows) of the rows still modelled."""
    reach: tuple[Reach, ...]
    """Those rows' reach sets over the sites still free."""
    forced: frozenset[common.Key]
    """Sites open in the reduced model: the fixed ones and the essential ones."""
    removed: frozenset[common.Key]
    """Sites closed: dominated, or covering no row left."""
    rounds: int


def reduce_set_cover(
    reach: Sequence[Reach], cost: Mapping[common.Key, float], fixed: Iterable[common.Key] = ()
) -> SetCoverReduction:
    """Essential sites, redundant rows and dominated sites of `min Σ c_j y_j, Σ_{j ∈ N_i} y_j ≥ 1 ∀ i`, to a
    fixed point. Every optimum of the reduced model (rows left, free sites, forced sites open) is an
    optimum of the original. Site dominance needs c ≥ 0 and is skipped otherwise; empty rows are kept
    (the model is infeasible, which the reduced model still says).
    """
    forced = set(fixed)
    alive = set(cost) - forced
    live = {i: set(near) for i, near in enumerate(reach)}
    dominance = all(c >= 0 for c in cost.values())
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        before = (len(live), len(alive))
        live = {i: near for i, near in live.items() if not near & forced}
        essential = {next(iter(near)) for near in live.values() if len(near) == 1}
        forced |= essential
        alive -= essential
        live = {i: near for i, near in live.items() if not near & forced}
        ids = list(live)
        sets = [tuple(common.sorted_ids(live[i])) for i in ids]
        for k in redundant_rows(sets):
            del live[ids[k]]
        if dominance:
            sets = [tuple(common.sorted_ids(near)) for near in live.values()]
            gone = set(dominated_sites(sets, {s: cost[s] for s in alive}))
            alive -= gone
            live = {i: near - gone for i, near in live.items()}
        if (len(live), len(alive)) == before and not essential:
            break
    removed = frozenset(set(cost) - alive - forced)
    kept = tuple(sorted(live))
    return SetCoverReduction(
        kept, tuple(tuple(common.sorted_ids(live[i])) for i in kept), frozenset(forced), removed, rounds
    )


def max_cover_dominated(
    reach: Sequence[Reach], weight: Sequence[float], sites: Sequence[common.Key], p: int, fixed: Iterable[common.Key]
) -> list[common.Key]:
    """Sites the maximal covering model may close: dominated on the rows of positive weight, not fixed,
    and only so many that at least p sites stay (any closed site's dominator stays, and the p-th site
    can be any other). Needs weights ≥ 0."""
    rows = [near for near, w in zip(reach, weight, strict=True) if w > 0 and near]
    found = dominated_sites(rows, dict.fromkeys(sites, 0.0), protected=fixed)
    return found[: max(0, len(sites) - p)]


def components(reach: Sequence[Reach]) -> list[tuple[list[int], list[common.Key]]]:
    """Rows and sites split into connected components (sites are linked by a row that holds both), each as
    (row indices, sorted sites), ordered by their first row. Rows with no site are left out."""
    parent: dict[common.Key, common.Key] = {}

    def root(site: common.Key) -> common.Key:
        while parent[site] != site:
            parent[site] = parent[parent[site]]
            site = parent[site]
        return site

    for near in reach:
        for site in near:
            parent.setdefault(site, site)
        for site in near[1:]:
            a, b = root(near[0]), root(site)
            if a != b:
                parent[b] = a
    rows: dict[common.Key, list[int]] = {}
    for i, near in enumerate(reach):
        if near:
            rows.setdefault(root(near[0]), []).append(i)
    members: dict[common.Key, list[common.Key]] = {}
    for site in parent:
        members.setdefault(root(site), []).append(site)
    return [(r, common.sorted_ids(members[key])) for key, r in rows.items()]


def _mask(items: Iterable[common.Key], position: Mapping[common.Key, int]) -> int:
    """A bit mask with the bits of `items` set (positions from `position`)."""
    mask = 0
    for item in items:
        mask |= 1 << position[item]
    return mask
