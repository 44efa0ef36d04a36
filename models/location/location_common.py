"""Helpers shared by the location builders: id checks, sparse coverage sets and fast expressions.

Everything here is pure (standard library, NumPy, PuLP). Coverage sets are built from a distance
matrix with one vectorised comparison per site, so only the (site, demand) pairs within the radius
are ever turned into Python objects.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import pulp

Key: TypeAlias = Hashable
"""A demand or site id (a division code, an integer node number, …)."""

FloatArray: TypeAlias = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class DistanceInputs:
    """What the distance-based models (p-center, capacitated p-median) start from; each adds its own fields.

    Attributes
    ----------
    demand_ids, site_ids
        Rows and columns of `distance`.
    distance
        Demand × site distance (km) or travel time (min).
    """

    demand_ids: tuple[Key, ...]
    site_ids: tuple[Key, ...]
    distance: FloatArray


InputsT = TypeVar("InputsT")


@dataclass(frozen=True, eq=False)
class SiteModel(Generic[InputsT]):
    """What a built siting model holds first: the problem, its inputs and the site variables."""

    problem: pulp.LpProblem
    inputs: InputsT
    open: dict[Key, pulp.LpVariable]
    """y[site] — 1 when the site is opened."""

    def open_sites(self) -> list[Key]:
        """The opened sites, sorted."""
        return opened(self.open)


class LocationInputError(ValueError):
    """All problems found in the inputs of a location builder, reported at once."""

    def __init__(self, model: str, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{model} inputs have {len(self.problems)} problem(s):\n{lines}")


def raise_if(model: str, problems: Sequence[str]) -> None:
    """Raise `LocationInputError` when `problems` is not empty."""
    if problems:
        raise LocationInputError(model, problems)


def sort_key(key: Key) -> tuple[str, str]:
    """Total order over mixed ids: by type name, then by text (integers compare numerically)."""
    if isinstance(key, int | np.integer):
        return ("int", f"{int(key):020d}")
    return (type(key).__name__, str(key))


def sorted_ids(ids: Iterable[Key]) -> list[Key]:
    """Ids in a deterministic order."""
    return sorted(ids, key=sort_key)


def id_problems(label: str, ids: Sequence[Key]) -> list[str]:
    """Problems with an id list: empty or containing duplicates."""
    problems = []
    if len(ids) == 0:
        problems.append(f"{label} is empty; give at least one id")
    if len(set(ids)) != len(ids):
        seen: set[Key] = set()
        dup = sorted_ids({k for k in ids if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
        problems.append(f"{label} has duplicate ids {dup[:5]}; ids must be unique")
    return problems


def matrix_problems(label: str, matrix: FloatArray, shape: tuple[int, int]) -> list[str]:
    """Problems with a distance matrix: wrong shape, NaN or negative entries."""
    if matrix.shape != shape:
        return [f"{label} has shape {matrix.shape} but is expected to be {shape} (demands × sites)"]
    problems = []
    if not np.all(np.isfinite(matrix)):
        problems.append(f"{label} has NaN or infinite entries; use a large finite value for 'unreachable'")
    elif np.any(matrix < 0):
        problems.append(f"{label} has negative entries; distances and times must be ≥ 0")
    return problems


def distance_problems(demand_ids: Sequence[Key], site_ids: Sequence[Key], distance: FloatArray) -> list[str]:
    """Problems with the demand and site ids and with their demand × site `distance` matrix."""
    problems = id_problems("demand_ids", demand_ids) + id_problems("site_ids", site_ids)
    shape = (len(demand_ids), len(site_ids))
    return problems + matrix_problems("distance", np.asarray(distance, dtype=float), shape)


def coverage_problems(
    label: str, coverage: Mapping[Key, Sequence[Key]], demand_ids: Sequence[Key], site_ids: Sequence[Key]
) -> list[str]:
    """Problems with a coverage set (site → demand ids): sites or demand ids it names that do not exist."""
    problems = []
    unknown_sites = sorted_ids(set(coverage) - set(site_ids))
    if unknown_sites:
        problems.append(f"{label} names sites {unknown_sites[:5]} that are not in site_ids")
    unknown_demand = sorted_ids({d for ds in coverage.values() for d in ds} - set(demand_ids))
    if unknown_demand:
        problems.append(f"{label} names demand ids {unknown_demand[:5]} that are not in demand_ids")
    return problems


def coverage_from_distance(
    distance: FloatArray,
    radius: float,
    demand_ids: Sequence[Key],
    site_ids: Sequence[Key],
) -> dict[Key, tuple[Key, ...]]:
    """Site → demand ids within `radius` (inclusive), built with one NumPy comparison per site.

    Parameters
    ----------
    distance
        Demand × site matrix, same unit as `radius`.
    radius
        Coverage radius (km or minutes, as the matrix).
    demand_ids, site_ids
        Row and column ids of `distance`.

    Returns
    -------
    dict
        Every site id (sorted) mapped to the sorted tuple of the demand ids it covers; sites that cover
        nothing map to an empty tuple.
    """
    demand = np.empty(len(demand_ids), dtype=object)
    demand[:] = list(demand_ids)
    position = rank_positions(demand_ids)
    result: dict[Key, tuple[Key, ...]] = {}
    columns = {k: c for c, k in enumerate(site_ids)}
    for site in sorted_ids(site_ids):
        rows = np.flatnonzero(distance[:, columns[site]] <= radius)
        rows = rows[np.argsort(position[rows], kind="stable")]
        result[site] = tuple(demand[rows].tolist())
    return result


def rank_positions(ids: Sequence[Key]) -> npt.NDArray[np.int64]:
    """For each id (in the given order) its position in `sorted_ids(ids)`."""
    order = sorted(range(len(ids)), key=lambda i: sort_key(ids[i]))
    position = np.empty(len(ids), dtype=np.int64)
    position[np.asarray(order, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
    return position


def invert(coverage: Mapping[Key, Sequence[Key]], demand_ids: Iterable[Key]) -> dict[Key, list[Key]]:
    """Site → demands turned into demand → sorted sites (every demand present, maybe empty)."""
    result: dict[Key, list[Key]] = {d: [] for d in sorted_ids(demand_ids)}
    for site in sorted_ids(coverage):
        for demand in coverage[site]:
            if demand in result:
                result[demand].append(site)
    return result


def affine(terms: Iterable[tuple[pulp.LpVariable, float]], constant: float = 0.0) -> pulp.LpAffineExpression:
    """An expression from prebuilt (variable, coefficient) pairs, without operator overhead."""
    return pulp.LpAffineExpression(list(terms), constant=constant)


def constraint(expression: pulp.LpAffineExpression, sense: int, rhs: float) -> pulp.LpConstraint:
    """`expression (sense) rhs` without building intermediate expressions."""
    return pulp.LpConstraint(expression, sense=sense, rhs=rhs)


def opened(site_vars: Mapping[Key, pulp.LpVariable]) -> list[Key]:
    """The sites whose binary variable is on, in the (sorted) order the variables were made."""
    return [site for site, variable in site_vars.items() if is_on(variable)]


def is_on(variable: pulp.LpVariable) -> bool:
    """True when a binary variable's value is (numerically) 1."""
    value = variable.varValue
    return value is not None and value > 0.5
