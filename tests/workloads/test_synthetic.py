"""The synthetic province generator is seeded, sized as asked and clustered."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.workloads.synthetic import generate_province, road_km
from tests.support import TOL


def test_same_seed_same_province_and_other_seed_differs() -> None:
    a, b, c = (
        generate_province(3, n_towns=300, n_demand=3000),
        generate_province(3, n_towns=300, n_demand=3000),
        generate_province(4, n_towns=300, n_demand=3000),
    )
    assert np.array_equal(a.demand_xy, b.demand_xy)
    assert np.array_equal(a.town_population, b.town_population)
    assert not np.array_equal(a.town_xy, c.town_xy)


def test_sizes_populations_and_clustering() -> None:
    prov = generate_province(5, n_towns=600, n_demand=6000, n_counties=6)
    assert prov.town_xy.shape == (600, 2)
    assert len(prov.demand_xy) == 6000
    assert int(prov.town_is_seat.sum()) == 6
    per_town = np.bincount(prov.demand_town, weights=prov.demand_population, minlength=600)
    assert per_town == pytest.approx(prov.town_population, rel=TOL)
    # heavy tail: the biggest 1 % of towns hold far more than 1 % of the people
    top = np.sort(prov.town_population)[::-1][:6].sum() / prov.town_population.sum()
    assert top > 0.05
    # clustered: the mean nearest-town distance is well below that of uniform points at the same density
    d = road_km(prov.town_xy, prov.town_xy, detour=1.0, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    uniform_mean = 0.5 * prov.extent_km / np.sqrt(600)
    assert d.min(axis=1).mean() < 0.8 * uniform_mean


def test_road_km_rounds_and_applies_the_detour() -> None:
    origins = np.array([[0.0, 0.0]])
    destinations = np.array([[3.0, 4.0], [0.0, 1.0]])
    assert road_km(origins, destinations, dtype=np.float64)[0].tolist() == pytest.approx([6.5, 1.3])
    assert road_km(origins, destinations, round_to_km=0.5, dtype=np.float64)[0].tolist() == [6.5, 1.5]
