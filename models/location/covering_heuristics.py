"""Greedy solutions of the covering models (LSCP, MCLP, DSM), which the builders set as MIP starts.

A start gives the solver an incumbent from the first node, so the gap it reports is meaningful even when
the time limit stops it; it never changes what is optimal. All three are vectorised over the covering
pairs (one `np.bincount` per step) and deterministic (ties go to the lowest site in sorted id order):

* set covering — Chvátal (1979, "A greedy heuristic for the set-covering problem", Math Oper Res 4(3)):
  open the site with the least cost per newly covered row, then close sites every row of which is
  covered twice (most expensive first);
* maximal covering — greedy adding (Church & ReVelle 1974), then vertex substitution (Teitz & Bart 1968):
  swap an open site for the closed one that gains the most, while a swap gains; then kicks (iterated local
  search): close a few random sites, re-add greedily, substitute again, keep the result when it is better;
* double standard model — cover every row within r2, then the share α within r1, then add ambulances
  where they cover the most demand a second time (Gendreau, Laporte & Semet 1997 start the same way).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

import models.location.location_common as common
from models.location.covering_reductions import Reach
from models.tolerances import FEASIBILITY_TOL

IntArray = npt.NDArray[np.int64]

SWAP_SECONDS = 5.0
"""Time the maximal covering local search (substitution and kicks) may take."""
KICKS = 50
"""Most kicks of the maximal covering local search (iterated local search, seeded: deterministic when the
time does not run out first)."""
KICK_SIZE = 4
"""Sites closed by one kick."""


@dataclass(frozen=True)
class _Pairs:
    """The covering pairs (row, site column) of some rows, sorted by site, with each site's slice."""

    row: IntArray
    site: IntArray
    start: IntArray
    """Pairs of column c are row[start[c]:start[c + 1]]."""
    n_rows: int

    def rows(self, column: int) -> IntArray:
        """The rows column `column` covers."""
        return self.row[self.start[column] : self.start[column + 1]]

    def per_site(self, row_value: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Σ of `row_value` over the rows each site covers."""
        return np.bincount(self.site, weights=row_value[self.row], minlength=len(self.start) - 1).astype(float)


def _pairs(reach: Sequence[Reach], sites: Sequence[common.Key]) -> _Pairs:
    column = {s: c for c, s in enumerate(sites)}
    rows = [i for i, near in enumerate(reach) for s in near if s in column]
    cols = [column[s] for near in reach for s in near if s in column]
    row, site = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    order = np.argsort(site, kind="stable")
    start = np.searchsorted(site[order], np.arange(len(sites) + 1)).astype(np.int64)
    return _Pairs(row[order], site[order], start, len(reach))


def greedy_set_cover(
    reach: Sequence[Reach], sites: Sequence[common.Key], cost: Sequence[float]
) -> list[common.Key] | None:
    """Sites (sorted) that cover every row, by Chvátal's greedy and redundant-site removal; None when a row
    has no site among `sites`."""
    pairs = _pairs(reach, sites)
    count = np.zeros(pairs.n_rows)
    price = np.asarray(cost, dtype=float)
    chosen: list[int] = []
    while np.any(count == 0):
        new = pairs.per_site((count == 0).astype(float))
        if not np.any(new > 0):
            return None
        ratio = np.where(new > 0, price / np.maximum(new, 1.0), np.inf)
        best = int(np.argmin(ratio))
        chosen.append(best)
        count[pairs.rows(best)] += 1
    for column in sorted(chosen, key=lambda c: (-price[c], -c)):
        rows = pairs.rows(column)
        if np.all(count[rows] >= 2):
            count[rows] -= 1
            chosen.remove(column)
    return common.sorted_ids(sites[c] for c in chosen)


def greedy_max_cover(
    reach: Sequence[Reach],
    weight: Sequence[float],
    sites: Sequence[common.Key],
    p: int,
    fixed: Iterable[common.Key] = (),
    *,
    swap_seconds: float = SWAP_SECONDS,
) -> list[common.Key]:
    """p sites (sorted, the `fixed` ones among them): greedy adding, vertex substitution to a local optimum,
    then up to `KICKS` kicks (close `KICK_SIZE` seeded-random sites, re-add greedily, descend again; kept
    when better) while `swap_seconds` last."""
    pairs = _pairs(reach, sites)
    by_row = np.argsort(pairs.row, kind="stable")
    row_start = np.searchsorted(pairs.row[by_row], np.arange(pairs.n_rows + 1))
    row_site = pairs.site[by_row]
    w = np.asarray(weight, dtype=float)
    column = {s: c for c, s in enumerate(sites)}
    pinned = np.zeros(len(sites), dtype=bool)
    pinned[[column[s] for s in set(fixed)]] = True
    count = np.zeros(pairs.n_rows)
    is_open = np.zeros(len(sites), dtype=bool)

    def toggle(c: int, on: bool) -> None:
        count[pairs.rows(c)] += 1 if on else -1
        is_open[c] = on

    def fill(barred: npt.NDArray[np.bool_]) -> None:
        while is_open.sum() < p:
            gain = np.where(is_open, -np.inf, pairs.per_site(w * (count == 0)))
            if np.any(~is_open & ~barred):  # barred sites only when nothing else is left
                gain[barred] = -np.inf
            toggle(int(np.argmax(gain)), True)

    def descend(deadline: float) -> None:
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            base = pairs.per_site(w * (count == 0))
            for leaving in np.flatnonzero(is_open & ~pinned).tolist():
                rows = pairs.rows(leaving)
                sole = rows[count[rows] == 1]
                lengths = row_start[sole + 1] - row_start[sole]
                columns = np.concatenate([row_site[row_start[r] : row_start[r + 1]] for r in sole.tolist()] or [sole])
                gain = base + np.bincount(columns, weights=np.repeat(w[sole], lengths), minlength=len(sites))
                gain[is_open] = -np.inf
                best = int(np.argmax(gain))
                loss = float(w[sole].sum())
                if gain[best] - loss > FEASIBILITY_TOL * max(1.0, loss):
                    toggle(leaving, False)
                    toggle(best, True)
                    base = pairs.per_site(w * (count == 0))
                    improved = True

    for c in np.flatnonzero(pinned).tolist():
        toggle(c, True)
    fill(np.zeros(len(sites), dtype=bool))
    deadline = time.perf_counter() + swap_seconds
    descend(deadline)
    best_open, best_value = is_open.copy(), float(w @ (count > 0))
    rng = np.random.default_rng(0)
    for _ in range(KICKS):
        if time.perf_counter() >= deadline:
            break
        movable = np.flatnonzero(is_open & ~pinned)
        kicked = rng.choice(movable, size=min(KICK_SIZE, len(movable)), replace=False)
        for c in kicked.tolist():
            toggle(c, False)
        barred = np.zeros(len(sites), dtype=bool)
        barred[kicked] = True
        fill(barred)
        descend(deadline)
        value = float(w @ (count > 0))
        if value > best_value + FEASIBILITY_TOL * max(1.0, best_value):
            best_open, best_value = is_open.copy(), value
        else:  # back to the best
            for c in np.flatnonzero(is_open & ~best_open).tolist():
                toggle(c, False)
            for c in np.flatnonzero(best_open & ~is_open).tolist():
                toggle(c, True)
    return common.sorted_ids(sites[c] for c in np.flatnonzero(best_open).tolist())


def greedy_double_cover(
    reach1: Sequence[Reach],
    reach2: Sequence[Reach],
    weight: Sequence[float],
    sites: Sequence[common.Key],
    capacity: Sequence[int],
    p: int,
    alpha: float,
) -> dict[common.Key, int] | None:
    """Ambulances per site (only sites with some) for the double standard model, or None when the greedy
    needs more than p ambulances to cover every row within r2 and the share α within r1."""
    near1, near2 = _pairs(reach1, sites), _pairs(reach2, sites)
    w = np.asarray(weight, dtype=float)
    room = np.asarray(capacity, dtype=float)
    count1, count2 = np.zeros(len(w)), np.zeros(len(w))
    placed = np.zeros(len(sites), dtype=np.int64)

    def station(scores: Sequence[npt.NDArray[np.float64]]) -> bool:
        """Add one ambulance at the site best by `scores` (lexicographic); False when none is useful."""
        usable = room > placed
        keys = [np.where(usable, s, -np.inf) for s in scores]
        best = int(np.lexsort([np.arange(len(sites))] + [-k for k in reversed(keys)])[0])
        if not usable[best] or keys[0][best] <= 0 or placed.sum() >= p:
            return False
        placed[best] += 1
        count1[near1.rows(best)] += 1
        count2[near2.rows(best)] += 1
        return True

    while np.any(count2 == 0):
        if not station([near2.per_site((count2 == 0).astype(float)), near1.per_site(w * (count1 == 0))]):
            return None
    while float(w @ (count1 > 0)) < alpha * float(w.sum()) - FEASIBILITY_TOL:
        if not station([near1.per_site(w * (count1 == 0))]):
            return None
    while placed.sum() < p:
        twice, once = near1.per_site(w * (count1 == 1)), near1.per_site(w * (count1 == 0))
        if not station([twice + 1.0, once]):  # + 1: any site with room will do once nothing gains
            return None
    return {sites[c]: int(placed[c]) for c in np.flatnonzero(placed).tolist()}
