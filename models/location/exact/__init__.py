"""Exact p-median at scale (Beasley 1993): greedy + interchange, Lagrangian bound and reduced-cost fixing,
a Lagrangian tree search over the sites, and the radius MIP on what is left. Exact vertex p-center and
LSCP count by covering tests over the distance levels with row generation (Contardo, Iori & Kramer 2019).
Needs only NumPy and PuLP; the caller injects the MIP solve (`MipSolve`), so this package never names a
solver.
"""

from models.location.exact.p_center_solver import (
    CoverCountResult,
    PCenterResult,
    minimum_centres,
    separation_bound,
    solve_p_center,
)
from models.location.exact.p_median_lagrangian import (
    DualResult,
    FixingResult,
    Restriction,
    TreeResult,
    lagrangian_fixing,
    lagrangian_tree_search,
)
from models.location.exact.p_median_solver import (
    MipReport,
    MipSolve,
    PMedianResult,
    greedy_interchange,
    interchange,
    solve_p_median,
)
from models.location.p_center import PCenterInputs
from models.location.p_median import PMedianInputs
from models.outcome import SolveOutcome

__all__ = [
    "CoverCountResult",
    "DualResult",
    "FixingResult",
    "MipReport",
    "MipSolve",
    "PCenterInputs",
    "PCenterResult",
    "PMedianInputs",
    "PMedianResult",
    "Restriction",
    "SolveOutcome",
    "TreeResult",
    "greedy_interchange",
    "interchange",
    "lagrangian_fixing",
    "lagrangian_tree_search",
    "minimum_centres",
    "separation_bound",
    "solve_p_center",
    "solve_p_median",
]
