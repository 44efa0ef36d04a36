"""The constraint families of the location models (`family[key]` row names, STYLE rules 3–4).

Location models are not diagnosed, so a family here carries no rule/definitional classification; the
enum keeps the names each builder's docstring numbers in one place. `StrEnum` keeps them plain strings.
"""

from __future__ import annotations

import enum


class LocationFamily(enum.StrEnum):
    """Constraint families of `models.location`."""

    ASSIGN = "assign"  # p-median, capacitated p-median: each demand served once
    LINK = "link"  # serve only from open sites
    LEVEL = "level"  # p-median radius levels
    CAPACITY = "capacity"  # capacitated p-median: load within capacity
    COUNT = "count"  # open exactly p sites / station p ambulances
    FIXED = "fixed"  # coverage: existing facility stays open
    COVER = "cover"  # LSCP: every demand within the radius
    COVERED = "covered"  # MCLP: a point counts as covered only when a site is in reach
    COVER_R2 = "cover_r2"  # DSM: every point within r2
    DOUBLE = "double"  # DSM: once/twice coverage within r1
    ORDER = "order"  # DSM twice ⇒ once; p-center nested radius levels
    SHARE_R1 = "share_r1"  # DSM: share α within r1
    EXPECTED = "expected"  # MEXCLP: k-th coverage needs k ambulances in reach
    RADIUS_DEF = "radius_def"  # p-center: radius = D^0 + steps
    RADIUS = "radius"  # p-center: radius ≥ level k unless a site is nearer
    REACH = "reach"  # p-center: a site within the heuristic radius
