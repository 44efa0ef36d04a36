"""The CLI's exit codes, defined once; README.md "Exit codes" lists them for planners and scripts.

0  OK            the plan is proven optimal (gap within solve.OPTIMAL_REL_GAP) and verified
1  INPUT         a scenario, data, option value or output-folder problem (InputError, OutputError, …)
2  USAGE         the command line itself is wrong (typer/click: unknown option, value out of range)
3  FEASIBLE_GAP  a verified plan was written, but not proven optimal (the gap is in the title,
                 report.md and summary.json)
4  INFEASIBLE    the plan's hard rules cannot all hold; the message explains which to relax
5  SOLVER        the solver is missing, crashed, or stopped without any solution
6  VERIFICATION  the solution fails an independent check of the plan rules
"""

from __future__ import annotations

import enum

from optimizer.errors import InfeasiblePlanError, PlannerError, SolverError, VerificationError


class ExitCode(enum.IntEnum):
    """Process exit status of `optimizer` commands."""

    OK = 0
    INPUT = 1
    USAGE = 2
    FEASIBLE_GAP = 3
    INFEASIBLE = 4
    SOLVER = 5
    VERIFICATION = 6


def exit_code_for(error: PlannerError) -> ExitCode:
    """The exit code of a planner-facing error; anything not a solve result is an input problem."""
    if isinstance(error, InfeasiblePlanError):
        return ExitCode.INFEASIBLE
    if isinstance(error, SolverError):
        return ExitCode.SOLVER
    if isinstance(error, VerificationError):
        return ExitCode.VERIFICATION
    return ExitCode.INPUT
