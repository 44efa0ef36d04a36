"""Writing a planner's variant of a scenario as a TOML file a person can still read and edit by hand.

The variant is the source file itself — comments, citations and layout kept (tomlkit) — with the
changed values set in place, so `diff` against the source shows only what the planner changed.

Why not `extends = "<bundled scenario>"` plus the changed fields: `load_scenario` follows one
`extends` (a defaults file, not a chain), arrays such as `[[targets]]` replace the defaults' arrays
whole, optional blocks (`[ambulances]`) are taken from the defaults only when the scenario declares
them, and data paths resolve against the extending file. A short file would therefore lose the
national rules, every target but the changed one and its data. So the copy is whole, and its paths
are made absolute (valid from the workspace): `extends`, every `[data]` file (with
`allow_outside_project = true`, since the data stay in the project's `data/`) and a standards file.

Each changed number keeps a trace of where it now comes from: the budget's citation becomes the
planner's choice (naming the old value and its basis), a target's and a network block's `decision`
note records the change, and a header comment lists every change with the date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, cast

import tomlkit
from tomlkit.items import AoT, InlineTable, Table

from optimizer.inputs.scenario_loading import resolve
from optimizer.workbench import fields

Node = tomlkit.TOMLDocument | Table | InlineTable


def variant_text(source: Path, changes: Mapping[str, tuple[Any, Any]], *, note: str, today: date) -> str:
    """The source scenario with `changes` (path → (old value, new value)) applied, paths made absolute.

    Raises
    ------
    FieldPathError
        When a path names an array element (`targets[x]`) the file does not hold.
    """
    document = tomlkit.parse(Path(source).read_bytes().decode("utf-8-sig"))
    _absolute_paths(document, Path(source))
    for path, (old, new) in changes.items():
        _set(document, path, new)
        _record(document, path, old, new, note, today)
    header = [
        f"# Saved by the workbench (optimizer serve) on {today.isoformat()} from {Path(source).resolve()}.",
        "# Data paths are absolute so the file loads from the workspace; the changed values:",
        *(f"#   {path}: {_shown(old)} → {_shown(new)}" for path, (old, new) in changes.items()),
    ]
    if note.strip():
        header.append(f"# Planner's note: {' '.join(note.split())}")
    return "\n".join(header) + "\n\n" + tomlkit.dumps(document)


def _shown(value: Any) -> str:
    """A value as the TOML file writes it (`true`, not `True`; lists joined)."""
    if isinstance(value, bool):
        return str(value).lower()
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)


def _absolute_paths(document: tomlkit.TOMLDocument, source: Path) -> None:
    """`extends`, `[data]` files and `[facility_standards] file` as absolute paths of the same files."""
    if isinstance(document.get("extends"), str):
        document["extends"] = resolve(source, Path(str(document["extends"]))).as_posix()
    data = document.get("data")
    if isinstance(data, Table):
        for key, value in list(data.items()):
            if isinstance(value, str) and key != "missing_location":
                data[key] = resolve(source, Path(value)).as_posix()
        _put(data, "allow_outside_project", True)
    standards = document.get("facility_standards")
    if isinstance(standards, Table) and isinstance(standards.get("file"), str):
        standards["file"] = resolve(source, Path(str(standards["file"]))).as_posix()


def _set(document: tomlkit.TOMLDocument, path: str, value: Any) -> None:
    """Set the value at a field path; tables the file does not have yet (a default it now overrides) are added."""
    keys = fields.parse(path)
    node: Node = document
    for key in keys[:-1]:
        if key.element_id is not None:
            node = _element(node, key)
            continue
        child = node.get(key.name)
        if not isinstance(child, Table | InlineTable):
            child = tomlkit.table()
            node[key.name] = child
            child = node[key.name]
        node = child
    _put(node, keys[-1].name, value)


def _element(node: Node, key: fields.Key) -> Table:
    array = node.get(key.name)
    if isinstance(array, AoT):
        for table in array:
            if table.get("id") == key.element_id:
                return cast(Table, table)
    raise fields.FieldPathError(f"{key.name}[{key.element_id}]: the scenario file has no such entry")


def _put(node: Node, key: str, value: Any) -> None:
    """Replace `key`, or add it after the table's last value (before the comments that lead the next block).

    tomlkit's public `table[key] = v` appends after a table's trailing comments, which would put the new
    line under the next block's heading comment; its container's `_insert_after` keeps it in its block.
    """
    if key in node or isinstance(node, InlineTable) or not list(node.keys()):
        node[key] = value
        return
    container = node.value if isinstance(node, Table) else node
    container._insert_after(list(node.keys())[-1], key, value)


def _record(document: tomlkit.TOMLDocument, path: str, old: Any, new: Any, note: str, today: date) -> None:
    """Trace the change where the scenario keeps the number's origin (citation or decision note)."""
    why = f": {' '.join(note.split())}" if note.strip() else ""
    keys = fields.parse(path)
    if path == "budget.budget_cny.value":
        source = fields.read(document, "budget.budget_cny.source") or {}
        before = source.get("basis") or f"{source.get('seed')}:L{source.get('line')}"
        citation = tomlkit.inline_table()
        citation.update(
            {
                "basis": f"the planner's choice in the workbench on {today.isoformat()}{why}; the scenario's "
                f"value was {_shown(old)} CNY ({before})",
                "estimated": False,
            }
        )
        _set(document, "budget.budget_cny.source", citation)
        return
    if keys[0].element_id is not None:
        owner = f"{keys[0].name}[{keys[0].element_id}]"
    elif keys[0].name in ("ambulances", "subcentres", "hierarchy"):
        owner = keys[0].name
    else:
        return  # [travel] has no decision note: the header comment records the change
    current = fields.read(document, f"{owner}.decision")
    change = f"{keys[-1].name} changed by the planner from {_shown(old)} to {_shown(new)}"
    line = f"workbench {today.isoformat()}: {change}{why}"
    _set(document, f"{owner}.decision", f"{current}; {line}" if current else line)
