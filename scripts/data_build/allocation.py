"""Share an integer total over items in proportion to weights, each item kept inside its bounds.

The continuous shares are ``clip(s × weight, low, high)`` with the one scale ``s`` at which they sum to the
total; ``s`` is found exactly (fractions) on the piecewise-linear sum between the items' breakpoints. The
integers are the floors plus one for the largest remainders (ties by key), so they keep the bounds and sum
to the total. When the bounds cannot hold the total, every item sits at the bound and the difference is
returned as the residual (positive: not placed; negative: placed beyond the total by the lower bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from data_build.population import largest_remainder


@dataclass(frozen=True)
class Item:
    """One share: its weight and bounds (``high`` None: unbounded)."""

    weight: Fraction
    low: int = 0
    high: int | None = None

    def at(self, scale: Fraction) -> Fraction:
        """The item's share at ``scale``."""
        value = max(Fraction(self.low), scale * self.weight)
        return value if self.high is None else min(Fraction(self.high), value)


def _scale(total: int, items: list[Item]) -> Fraction:
    """The smallest scale at which the shares sum to ``total``; the shares at 0 must sum below it."""
    points = {Fraction(0)}
    for item in items:
        if item.weight > 0:
            points.add(Fraction(item.low) / item.weight)
            if item.high is not None:
                points.add(Fraction(item.high) / item.weight)
    ordered = sorted(points)
    previous, below = ordered[0], sum(i.at(ordered[0]) for i in items)
    for point in ordered[1:]:
        reached = sum(i.at(point) for i in items)
        if reached >= total:  # linear on [previous, point]
            return previous + Fraction(total - below) * (point - previous) / (reached - below)
        previous, below = point, reached
    slope = sum((i.weight for i in items if i.high is None), Fraction(0))
    return previous + (total - below) / slope


@dataclass(frozen=True)
class Shares:
    """Integer shares, the residual the bounds leave (0 when none), and the items held at a bound."""

    values: dict[str, int]
    residual: int
    capped: frozenset[str]
    floored: frozenset[str]


def share(total: int, items: dict[str, Item]) -> Shares:
    """Integer shares of ``total`` keyed like ``items`` (see the module docstring)."""
    lowest = sum(i.low for i in items.values())
    top = {k: i.low if i.weight == 0 else i.high for k, i in items.items()}
    weighted = frozenset(k for k, i in items.items() if i.weight > 0)
    if total <= lowest:
        floored = frozenset(k for k, i in items.items() if i.low > 0)
        return Shares({k: i.low for k, i in items.items()}, total - lowest, frozenset(), floored)
    if None not in top.values() and total >= sum(v for v in top.values() if v is not None):
        full = {k: v for k, v in top.items() if v is not None}
        return Shares(full, total - sum(full.values()), weighted, frozenset())
    scale = _scale(total, list(items.values()))
    exact = {k: i.at(scale) for k, i in items.items()}
    if sum(exact.values()) != total:
        raise ArithmeticError(f"allocation does not sum to {total}: {sum(exact.values())}")
    rounded = largest_remainder(exact, total)
    for key, value in rounded.items():
        item = items[key]
        if value < item.low or (item.high is not None and value > item.high):
            raise ArithmeticError(f"{key}: {value} outside [{item.low}, {item.high}]")
    capped = frozenset(k for k in weighted if _reaches(scale * items[k].weight, items[k].high))
    floored = frozenset(k for k, i in items.items() if i.low > 0 and scale * i.weight <= i.low)
    return Shares(rounded, 0, capped, floored)


def _reaches(value: Fraction, high: int | None) -> bool:
    return high is not None and value >= high
