"""Checks of CLI option values shared by `run`, `whatif` and `compare`; typer names the option in its error."""

from __future__ import annotations

import math

import typer


def check_time_limit(value: float | None) -> float | None:
    """`--time-limit`: a finite number of seconds above zero (rejects -5, 0, nan and inf)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value!r}: give a finite number of seconds above 0, e.g. --time-limit 60")
    return value
