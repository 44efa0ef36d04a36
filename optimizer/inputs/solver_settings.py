"""The `[solver]` block of a scenario: which solver to run and with what limits, as a pydantic model.

It lives with the schema, not with the adapter (`optimizer.solving.solve`), so reading and checking a
scenario never imports a solver: `optimizer check` and the schema tests run without highspy or PuLP.
The adapter turns these settings into a PuLP solver; the CLI may override them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SolverName = Literal["highs", "cbc"]

MAX_THREADS = 256
"""Upper bound of `solver.threads` in a scenario; above the machine's cores the solve clamps it."""


class SolverSettings(BaseModel):
    """Solver options of a scenario; the CLI may override them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: SolverName = "highs"
    time_limit_s: float = Field(default=300.0, gt=0, allow_inf_nan=False, description="seconds, finite and positive")
    mip_rel_gap: float = Field(default=1e-4, ge=0, le=1, allow_inf_nan=False)
    mip_abs_gap: float = Field(
        default=1e-4,
        ge=0,
        allow_inf_nan=False,
        description="absolute gap in objective units; the planner objective is a sum of normalised shares, "
        "so 1e-4 is a hundredth of a percent of one fully missed target and keeps tiny objectives from "
        "stalling on a relative gap",
    )
    threads: int = Field(
        default=1, ge=1, le=MAX_THREADS, description="solver threads; clamped, with a warning, to the cores available"
    )
    random_seed: int = Field(default=20250101, ge=0)
    fallback: bool = Field(
        default=True, description="use the other solver, with a warning, when this one is not installed"
    )
    highs_presolve: bool = Field(
        default=False,
        description=(
            "HiGHS presolve. Off by default: with the budget row in CNY (coefficients to 3e7) HiGHS 1.13 "
            "and 1.15 presolve returned a dual bound above a verified plan on Lu County; the row is now "
            "scaled (models/planner/plan.py) and the bound is valid either way, but the planner models solve "
            "faster without presolve (Lu: 2–6 s against 8–11 s). See docs/decisions.md."
        ),
    )
    least_cost_presolve: bool = Field(
        default=True,
        description=(
            "HiGHS presolve in the least-cost phase of `spend` (optimizer/solving/spend.py), whatever "
            "`highs_presolve` says: there it is ten times faster on Mianyang (1.3 s against 13.7 s) and "
            "agrees with the unpresolved solve on the five bundled plans and on random small plans "
            "(tests/optimizer/test_presolve.py). The placement phase keeps `highs_presolve`: with the "
            "least-cost plan's shortfalls as bounds, presolved HiGHS 1.13 stopped at once without a bound "
            "on Pingchang and Xiushan."
        ),
    )
