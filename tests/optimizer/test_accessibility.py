"""E2SFCA and the Gini index against answers known from first principles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.analysis.accessibility import (
    accessibility_table,
    e2sfca,
    equity_summary,
    gaussian_weights,
    gini,
    stepped_weights,
    weights_for,
)
from optimizer.geography.travel_times import TravelMatrix

TOL = 1e-9


def _grid(size: int = 4, spacing_km: float = 1.0) -> np.ndarray:
    return np.array([(x * spacing_km, y * spacing_km) for x in range(size) for y in range(size)])


def test_uniform_grid_access_equals_total_supply_over_total_demand() -> None:
    """Every pair inside the first zone (weight 1): each town sees Σ S / Σ P (access's uniform test)."""
    towns = _grid()
    sites = towns[[0, 5, 10, 15]]
    minutes = np.hypot(*(towns[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))  # 1 min per km, ≤ 4.3
    supply = np.array([10.0, 20.0, 30.0, 40.0])
    demand = np.full(len(towns), 1000.0)
    result = e2sfca(supply, demand, stepped_weights(minutes, catchment_min=60.0))
    assert result.access == pytest.approx(np.full(len(towns), supply.sum() / demand.sum()), rel=TOL)
    assert gini(result.access, demand) == pytest.approx(0.0, abs=TOL)
    assert result.unreached_supply == 0.0


def test_gaussian_e2sfca_conserves_supply() -> None:
    """Σ_i P_i A_i = Σ_j S_j for facilities that reach someone (same weights in both steps)."""
    rng = np.random.default_rng(20250101)
    minutes = rng.uniform(0.0, 90.0, size=(12, 5))
    minutes[:, 4] = 120.0  # facility 4 is beyond every town's catchment
    supply = rng.integers(10, 100, size=5).astype(float)
    demand = rng.integers(500, 5000, size=12).astype(float)
    result = e2sfca(supply, demand, gaussian_weights(minutes, catchment_min=60.0))
    assert float(demand @ result.access) == pytest.approx(supply[:4].sum(), rel=TOL)
    assert result.unreached_supply == supply[4]
    assert result.ratio[4] == 0.0


def test_town_beyond_every_catchment_has_zero_access() -> None:
    minutes = np.array([[5.0], [61.0]])
    result = e2sfca(np.array([10.0]), np.array([100.0, 100.0]), stepped_weights(minutes, 60.0))
    assert result.access.tolist() == pytest.approx([0.1, 0.0])


def test_stepped_zone_boundaries_are_inclusive() -> None:
    minutes = np.array([0.0, 20.0, np.nextafter(20.0, 99), 40.0, 40.5, 60.0, np.nextafter(60.0, 99), np.inf])
    assert stepped_weights(minutes, 60.0).tolist() == [1.0, 1.0, 0.68, 0.68, 0.22, 0.22, 0.0, 0.0]


def test_gaussian_weight_is_one_at_zero_and_zero_from_the_catchment() -> None:
    weights = gaussian_weights(np.array([0.0, 30.0, 60.0, 61.0, np.inf]), 60.0)
    assert weights[0] == pytest.approx(1.0)
    assert 0.0 < weights[1] < 1.0
    assert weights[2:].tolist() == pytest.approx([0.0, 0.0, 0.0])


def test_unknown_weight_kind_is_refused_with_the_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"weights was 'linear' but is expected to be in \{'stepped', 'gaussian'\}"):
        weights_for(np.zeros((1, 1)), 60.0, "linear")  # type: ignore[arg-type]


def test_gini_of_equal_access_is_zero_and_of_one_holder_is_a_half() -> None:
    assert gini(np.full(7, 3.2), np.arange(1.0, 8.0)) == pytest.approx(0.0, abs=TOL)
    assert gini(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert gini(np.zeros(3)) == 0.0


def test_gini_weights_count_like_repeated_people() -> None:
    values = np.array([1.0, 4.0, 9.0])
    assert gini(values, np.array([1.0, 2.0, 3.0])) == pytest.approx(
        gini(np.array([1.0, 4.0, 4.0, 9.0, 9.0, 9.0])), rel=TOL
    )


def test_accessibility_table_ranks_the_worst_served_town_first() -> None:
    towns = pd.DataFrame(
        {
            "code": ["1", "2", "3"],
            "name": ["近", "中", "远"],
            "population": [1000.0, 1000.0, 1000.0],
            "settlement_class": ["rural"] * 3,
        }
    )
    minutes = np.array([[5.0, 30.0], [25.0, 25.0], [50.0, 90.0]])
    matrix = TravelMatrix(("1", "2", "3"), ("a", "b"), minutes / 2, minutes, "road_network")
    allocation = pd.DataFrame({"facility_id": ["b", "a"], "beds": [100, 200]})  # not in matrix order
    table = accessibility_table(towns, allocation, matrix, catchment_min=60.0, resources=("beds", "physicians"))
    assert "physicians_access_per_1000" not in table.columns
    assert table["beds_rank"].tolist() == [3, 2, 1]
    assert table.loc[0, "beds_access_per_1000"] > table.loc[2, "beds_access_per_1000"] > 0
    # Every town is in some catchment, so the population-weighted mean is total beds per 1,000.
    summary = equity_summary(table, ["beds"], worst=1)["beds"]
    assert summary["area_per_1000"] == pytest.approx(300 / 3000 * 1000)  # type: ignore[index]
    assert summary["worst_served"][0]["name"] == "远"  # type: ignore[index]
    assert 0.0 < summary["gini"] < 1.0  # type: ignore[index,operator]
