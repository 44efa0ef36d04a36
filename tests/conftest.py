"""Pytest fixtures and hooks only; shared constants and helpers live in `tests/support.py`."""

from __future__ import annotations

import pytest

from tests.support import SOLVERS


@pytest.fixture(params=SOLVERS)
def solver_name(request: pytest.FixtureRequest) -> str:
    """Every solver the project supports; a missing solver fails the test instead of skipping."""
    return str(request.param)
