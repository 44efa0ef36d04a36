"""Pytest fixtures and hooks only; shared constants and helpers live in `tests/support.py`."""

from __future__ import annotations

import pytest

from tests.support import SOLVERS


@pytest.fixture(params=SOLVERS)
def solver_name(request: pytest.FixtureRequest) -> str:
    """Every solver the project supports; a missing solver fails the test instead of skipping."""
    return str(request.param)


@pytest.fixture(autouse=True)
def road_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Road graphs built by a test are cached in a temporary folder, never the user's cache."""
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path_factory.mktemp("road-cache")))
