"""The numerical tolerances of the project, each defined once with what it is for.

`models/` and `optimizer/` import these names instead of writing `1e-6` or `1e-9`, so a tolerance is
changed in one place and its purpose is read at every use. Values are absolute unless noted; a
"relative" tolerance is multiplied by `max(1, |value|)` (or a similar scale) at the use.
"""

from __future__ import annotations

FEASIBILITY_TOL = 1e-6
"""A solved value meets a bound (target, limit, budget, radius, coverage share) within this; solvers
report rows feasible to about 1e-7 after scaling. Also the relative agreement of a recomputed cost."""

INTEGRALITY_TOL = 1e-6
"""A solver's value (or a bound on integer costs) within this of an integer is that integer: used to
check integrality, and in floor/ceil when rounding an LP solution to integers."""

ROUNDING_GUARD = 1e-9
"""Subtracted before `ceil` of a requirement computed in floating point (e.g. population / 3,000 per
vehicle), so a product that is an integer up to float noise is not rounded up to the next unit."""

DIVISION_FLOOR = 1e-9
"""Smallest magnitude a denominator is given (relative gaps, per-scale weights), to avoid dividing by 0."""

COMPARISON_TOL = 1e-9
"""Two float64 results (objective values, bounds, loads, report cells) this close, relatively where
scaled, are equal: a strict improvement or excess must exceed it."""

SUBGRADIENT_MIN_GAP = 1e-6
"""Relative floor on the gap the Lagrangian subgradient step aims at, so the step never vanishes."""
