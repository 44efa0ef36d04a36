"""Loaders for the OR-Library p-median benchmarks (pmed1–40) and capacitated p-median (pmedcap01–20).

The instance files are not part of this repository. Every loader takes the data folder as a
parameter; `benchmarks_folder(default)` resolves it from the environment variable `SHARED_BENCHMARKS`,
else the caller's default (the tests and benchmarks pass `../shared/benchmarks` next to the repository
root; see that folder's README.md for origin and format).

Two traps are handled here and nowhere else:

* pmed files list some edges twice; the known optima assume the LAST occurrence overwrites the earlier
  ones (keeping the minimum gives pmed1 = 5718 instead of the published 5819);
* pmedcap optima use Euclidean distances truncated to integers (floor): pmedcap01 is 713 with floor and
  728.26 with exact distances.

The pmed files' `pmedopt.txt` holds p-median optima; the published p-center optima of the same graphs are
`PCENTER_OPTIMA` (Pullan 2008).

`p_median_inputs` and `capacitated_inputs` turn a loaded instance into the inputs of the location models
(vertices 1..n as both demand points and candidate sites), for the benchmarks and the tests alike.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.location.capacitated_p_median import CapacitatedPMedianInputs
from models.location.p_median import Formulation, PMedianInputs
from optimizer.errors import DataError

logger = logging.getLogger(__name__)

ENV_VAR = "SHARED_BENCHMARKS"
PMED_DIR = "orlib-pmed"
PMEDCAP_DIR = "orlib-pmedcap"
PMED_OPTIMA_FILE = "pmedopt.txt"

IntMatrix = npt.NDArray[np.int64]

PCENTER_OPTIMA: dict[str, int] = {
    **{f"pmed{k}": v for k, v in enumerate((127, 98, 93, 74, 48, 84, 64, 55, 37, 20), start=1)},
    **{f"pmed{k}": v for k, v in enumerate((59, 51, 36, 26, 18, 47, 39, 28, 18, 13), start=11)},
    **{f"pmed{k}": v for k, v in enumerate((40, 38, 22, 15, 11, 38, 32, 18, 13, 9), start=21)},
    **{f"pmed{k}": v for k, v in enumerate((30, 29, 15, 11, 30, 27, 15, 29, 23, 13), start=31)},
}
"""Optimal vertex p-center radii of pmed1–40 (every vertex a client and a candidate site, distances as
`load_pmed` computes them), as published by W. Pullan (2008), "A memetic genetic algorithm for the vertex
p-center problem", Evolutionary Computation. Transcribed from the public repository timothy-ch-cheung/k-center,
file src/server/dataset/ORLIB/kcenteropt.txt, which cites that paper as its source; not checked against the
paper itself. `models.location.exact.solve_p_center` proves each of the 40 (benchmarks/README.md, p-center (#18))."""


@dataclass(frozen=True, eq=False)
class PMedianInstance:
    """An uncapacitated p-median instance: every vertex is both a client (weight 1) and a candidate."""

    name: str
    path: Path
    n: int
    p: int
    distance: IntMatrix
    """n × n all-pairs shortest-path lengths (integer)."""
    known_optimum: int | None


@dataclass(frozen=True, eq=False)
class CapacitatedInstance:
    """A capacitated p-median instance (Osman & Christofides 1994): single-source, one capacity for all."""

    name: str
    path: Path
    n: int
    p: int
    capacity: int
    demand: IntMatrix
    """Demand of each point, shape (n,)."""
    coordinates: IntMatrix
    """x, y of each point, shape (n, 2)."""
    distance: IntMatrix
    """n × n Euclidean distances truncated to integers (floor)."""
    known_optimum: int


def benchmarks_folder(default: Path) -> Path:
    """The benchmark folder: `$SHARED_BENCHMARKS` when set, else the caller's `default`."""
    value = os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else default


def _instance_sort_key(path: Path) -> tuple[int, str]:
    digits = re.findall(r"\d+", path.stem)
    return (int(digits[-1]) if digits else 0, path.stem)


def pmed_names(folder: Path) -> list[str]:
    """Names of the pmed instances present (pmed1, pmed2, …), in numeric order; empty if absent."""
    base = folder / PMED_DIR
    files = sorted(base.glob("pmed*.txt"), key=_instance_sort_key) if base.is_dir() else []
    return [f.stem for f in files if f.name != PMED_OPTIMA_FILE]


def pmedcap_names(folder: Path) -> list[str]:
    """Names of the pmedcap instances present (pmedcap01, …), in numeric order; empty if absent."""
    base = folder / PMEDCAP_DIR
    return [f.stem for f in sorted(base.glob("pmedcap*.txt"), key=_instance_sort_key)] if base.is_dir() else []


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DataError.single(
            path,
            "file",
            f"benchmark file not found. Set ${ENV_VAR} (or pass the folder) to the folder holding "
            f"{PMED_DIR}/ and {PMEDCAP_DIR}/.",
        )
    return path.read_text(encoding="utf-8", errors="replace")


def _ints(path: Path, line_no: int, line: str, count: int, field: str) -> list[int]:
    parts = line.split()
    if len(parts) < count:
        raise DataError.single(
            path,
            f"line {line_no}",
            f"{field} needs {count} integers but the line is {line.strip()!r}; restore the file from OR-Library",
        )
    try:
        return [int(x) for x in parts[:count]]
    except ValueError:
        raise DataError.single(
            path,
            f"line {line_no}",
            f"{field} must be integers but the line is {line.strip()!r}; restore the file from OR-Library",
        ) from None


def load_pmed_optima(folder: Path) -> dict[str, int]:
    """Known optima of pmed1–40 from `pmedopt.txt` (header line, then `pmedN value` lines)."""
    path = folder / PMED_DIR / PMED_OPTIMA_FILE
    optima: dict[str, int] = {}
    for line_no, line in enumerate(_read_text(path).splitlines(), start=1):
        parts = line.split()
        if not parts or not parts[0].lower().startswith("pmed"):
            continue
        if len(parts) < 2 or not parts[1].isdigit():
            raise DataError.single(path, f"line {line_no}", f"expected `pmedN value` but got {line.strip()!r}")
        optima[parts[0]] = int(parts[1])
    if not optima:
        raise DataError.single(path, "file", "no `pmedN value` line found; restore pmedopt.txt")
    return optima


def parse_pmed_graph(text: str, path: Path) -> tuple[int, int, dict[tuple[int, int], int]]:
    """Parse `n m p` then m lines `i j cost`; return n, p and the edges with the LAST occurrence kept."""
    lines = [(no, ln) for no, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if not lines:
        raise DataError.single(path, "line 1", "the file is empty; expected `n m p` on the first line")
    n, m, p = _ints(path, lines[0][0], lines[0][1], 3, "the header `n m p`")
    if n < 1 or not 1 <= p <= n:
        raise DataError.single(path, "line 1", f"header says n={n}, p={p}; need n ≥ 1 and 1 ≤ p ≤ n")
    if len(lines) - 1 < m:
        raise DataError.single(
            path,
            "edges",
            f"header announces {m} edges but only {len(lines) - 1} edge lines follow; the file is truncated",
        )
    edges: dict[tuple[int, int], int] = {}
    for line_no, line in lines[1 : m + 1]:
        i, j, cost = _ints(path, line_no, line, 3, "an edge `i j cost`")
        if not (1 <= i <= n and 1 <= j <= n):
            raise DataError.single(path, f"line {line_no}", f"edge ({i}, {j}) names a vertex outside 1..{n}")
        if cost < 0:
            raise DataError.single(path, f"line {line_no}", f"edge ({i}, {j}) has negative cost {cost}")
        if i != j:
            edges[(min(i, j), max(i, j))] = cost  # the last occurrence overwrites: the known optima assume it
    return n, p, edges


def all_pairs_shortest_paths(n: int, edges: dict[tuple[int, int], int], path: Path) -> IntMatrix:
    """Floyd–Warshall in NumPy over 0-based vertices; raises if the graph is disconnected."""
    big = np.iinfo(np.int64).max // 4
    dist = np.full((n, n), big, dtype=np.int64)
    np.fill_diagonal(dist, 0)
    for (i, j), cost in edges.items():
        dist[i - 1, j - 1] = cost
        dist[j - 1, i - 1] = cost
    for k in range(n):
        np.minimum(dist, dist[:, k : k + 1] + dist[k : k + 1, :], out=dist)
    unreachable = np.argwhere(dist >= big)
    if len(unreachable):
        i, j = unreachable[0]
        raise DataError.single(
            path,
            "edges",
            f"the graph is disconnected (no path from vertex {i + 1} to {j + 1}); restore the file from OR-Library",
        )
    return dist


def load_pmed(name: str, folder: Path) -> PMedianInstance:
    """Load `pmedN` (graph → all-pairs shortest paths) with its known optimum from pmedopt.txt."""
    base = folder
    path = base / PMED_DIR / f"{name}.txt"
    n, p, edges = parse_pmed_graph(_read_text(path), path)
    distance = all_pairs_shortest_paths(n, edges, path)
    optima_path = base / PMED_DIR / PMED_OPTIMA_FILE
    optimum = load_pmed_optima(base).get(name) if optima_path.is_file() else None
    logger.debug("loaded %s: n=%d, p=%d, %d distinct edges", name, n, p, len(edges))
    return PMedianInstance(name=name, path=path, n=n, p=p, distance=distance, known_optimum=optimum)


def parse_pmedcap(text: str, path: Path) -> tuple[int, int, int, int, IntMatrix, IntMatrix]:
    """Parse a pmedcap file; return optimum, n, p, capacity, demand (n,) and coordinates (n, 2)."""
    lines = [(no, ln) for no, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if len(lines) < 2:
        raise DataError.single(path, "line 1", "expected `problem optimum` then `n p capacity`; the file is short")
    _, optimum = _ints(path, lines[0][0], lines[0][1], 2, "the first line `problem_number optimum`")
    n, p, capacity = _ints(path, lines[1][0], lines[1][1], 3, "the second line `n p capacity`")
    if n < 1 or not 1 <= p <= n or capacity <= 0:
        raise DataError.single(path, "line 2", f"n={n}, p={p}, capacity={capacity}; need 1 ≤ p ≤ n and capacity > 0")
    if len(lines) - 2 < n:
        raise DataError.single(path, "points", f"header announces {n} points but {len(lines) - 2} follow")
    coordinates = np.zeros((n, 2), dtype=np.int64)
    demand = np.zeros(n, dtype=np.int64)
    for row, (line_no, line) in enumerate(lines[2 : n + 2]):
        _, x, y, q = _ints(path, line_no, line, 4, "a point `id x y demand`")
        if q < 0:
            raise DataError.single(path, f"line {line_no}", f"demand {q} is negative")
        coordinates[row] = (x, y)
        demand[row] = q
    return optimum, n, p, capacity, demand, coordinates


def floor_euclidean(coordinates: IntMatrix) -> IntMatrix:
    """Euclidean distances truncated to integers, exactly (integer square root of integer squares)."""
    diff = coordinates[:, None, :] - coordinates[None, :, :]
    squared = (diff**2).sum(axis=2)
    isqrt = np.vectorize(math.isqrt, otypes=[np.int64])
    return np.asarray(isqrt(squared), dtype=np.int64)


def load_pmedcap(name: str, folder: Path) -> CapacitatedInstance:
    """Load `pmedcapNN` with floor-Euclidean distances and the optimum from its first line."""
    path = folder / PMEDCAP_DIR / f"{name}.txt"
    optimum, n, p, capacity, demand, coordinates = parse_pmedcap(_read_text(path), path)
    if int(demand.sum()) > p * capacity:
        raise DataError.single(
            path,
            "demand",
            f"total demand {int(demand.sum())} exceeds p × capacity = {p * capacity}; "
            "the instance is infeasible as written",
        )
    return CapacitatedInstance(
        name=name,
        path=path,
        n=n,
        p=p,
        capacity=capacity,
        demand=demand,
        coordinates=coordinates,
        distance=floor_euclidean(coordinates),
        known_optimum=optimum,
    )


def p_median_inputs(instance: PMedianInstance, formulation: Formulation = "auto") -> PMedianInputs:
    """The instance as p-median inputs: vertices 1..n are the demand points (weight 1) and the sites."""
    ids = tuple(range(1, instance.n + 1))
    return PMedianInputs(
        ids, ids, np.ones(instance.n), instance.distance.astype(float), instance.p, formulation=formulation
    )


def capacitated_inputs(instance: CapacitatedInstance) -> CapacitatedPMedianInputs:
    """The instance as capacitated p-median inputs: vertices 1..n are the demand points and the sites."""
    ids = tuple(range(1, instance.n + 1))
    return CapacitatedPMedianInputs(
        ids,
        ids,
        instance.distance.astype(float),
        instance.demand.astype(float),
        np.full(instance.n, float(instance.capacity)),
        instance.p,
    )
