"""Field paths of the workbench form: `budget.budget_cny.value`, `targets[beds_per_1000].value`.

A path is dot-separated keys; a key written `name[id]` is the element of the array of tables `name`
whose `id` is `id`. The form, the check's error names and the saved-file edits all use these paths, so
an error lands on the field that caused it and never on a list position (`targets.4.value`); the check's
locations are put in this form by `optimizer.inputs.field_paths.by_id`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_KEY = re.compile(r"^([a-z_][a-z0-9_]*)(?:\[([a-z0-9_]+)\])?$")


class FieldPathError(ValueError):
    """A field path the form does not have."""


@dataclass(frozen=True)
class Key:
    """One step of a path: a table key, and the `id` of an array element when given."""

    name: str
    element_id: str | None = None


def parse(path: str) -> tuple[Key, ...]:
    """The steps of a field path.

    Raises
    ------
    FieldPathError
        For an empty or malformed path.
    """
    keys = []
    for part in path.split("."):
        match = _KEY.match(part)
        if match is None:
            raise FieldPathError(f"'{path}' is not a field path (e.g. targets[beds_per_1000].value)")
        keys.append(Key(match.group(1), match.group(2)))
    return tuple(keys)


def read(document: Mapping[str, Any], path: str) -> Any:
    """The value at `path` in a scenario as a dict (`Scenario.model_dump()` or parsed TOML); None when absent."""
    node: Any = document
    for key in parse(path):
        if not isinstance(node, Mapping) or key.name not in node:
            return None
        node = node[key.name]
        if key.element_id is not None:
            node = next((e for e in node or () if isinstance(e, Mapping) and e.get("id") == key.element_id), None)
    return node
