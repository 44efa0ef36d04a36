"""Where in a scenario a problem is, named as a planner reads it: array elements by their `id`.

Pydantic locates an error by list position (`targets.4.value`); a planner knows the target by its id. Every
scenario error (`optimizer check`, `optimizer run`, the workbench page) names it `targets[beds_per_1000].value`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_POSITION = re.compile(r"^([a-z_][a-z0-9_]*)\.(\d+)(?=\.|$)")
_NAMED = re.compile(r"^([a-z_][a-z0-9_]*)\.([a-z0-9_]+)\.([a-z_][a-z0-9_.]*)$")
ARRAYS_WITH_IDS = (
    "targets",
    "facility_limits",
    "staff_per_bed",
    "bed_categories",
    "out_of_scope",
    "features",
    "feature_targets",
    "facility_sizes",
)


def by_id(location: str, raw: Mapping[str, Any]) -> str:
    """A check location with list positions replaced by ids: `targets.4.value` → `targets[beds_per_1000].value`.

    `raw` is the scenario as validated (the merged TOML), so position 4 is the fifth `[[targets]]` there.
    Locations a scenario rule writes by id (`targets.beds_per_1000.value: …`) get the same form.
    """
    position = _POSITION.match(location)
    if position is not None:
        array, index = position.group(1), int(position.group(2))
        elements = raw.get(array)
        if isinstance(elements, list) and index < len(elements) and isinstance(elements[index], Mapping):
            element_id = elements[index].get("id")
            if isinstance(element_id, str):
                return f"{array}[{element_id}]{location[position.end() :]}"
        return location
    named = _NAMED.match(location)
    if named is not None and named.group(1) in ARRAYS_WITH_IDS:
        return f"{named.group(1)}[{named.group(2)}].{named.group(3)}"
    return location
