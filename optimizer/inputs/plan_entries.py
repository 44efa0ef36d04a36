"""The plan's own statements (data/plans/plan_entries.csv) and the scenario blocks that reference them.

A scenario accounts for a statement of its plan by naming the statement's `entry_id`: as the `id` of
the block that encodes it, in a block's `plan_entries` list, or as an `[[out_of_scope]]` entry with its
reason. `scenario_references` walks every block of a loaded scenario (any `PlanReferenced` block,
wherever it stands, so a new block type is covered without being listed here), and
`check_entry_references` refuses a reference to an id the plan does not have. Which statements are
encoded, met or out of scope is worked out after the solve (`optimizer.analysis.plan_entry_status`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from optimizer.errors import Problem
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema_types import PlanReferenced
from optimizer.inputs.tables import read_table

PLAN_ENTRY_COLUMNS = ("seed", "entry_id", "category", "indicator_zh", "value", "unit", "bound", "line", "quote")
REQUIRED_CATEGORIES = frozenset({"ratio", "facility", "ambulance", "radius", "place"})
"""Categories a scenario must account for entry by entry: what sets resources, facilities, vehicles and
distances, and the places the plan names for them (issue #14). Population, budget and other
statements (outcomes such as life expectancy) are listed in the report but need no reference."""


@dataclass(frozen=True)
class PlanEntry:
    """One statement of the plan, as extracted (data/plans/PROVENANCE.md)."""

    seed: str
    entry_id: str
    category: str
    indicator_zh: str
    value: str
    unit: str
    bound: str
    line: int
    quote: str

    @property
    def required(self) -> bool:
        """True when a scenario must reference this entry (its category sets resources or places)."""
        return self.category in REQUIRED_CATEGORIES

    def label(self) -> str:
        """Short citation, as the scenario's citations print: `003_…txt:L204`."""
        return f"{self.seed}:L{self.line}"


@dataclass(frozen=True)
class EntryReference:
    """A scenario block that names a plan entry: where it stands, and whether it is an out-of-scope note."""

    entry_id: str
    element: str
    out_of_scope: bool
    reason: str | None = None


def read_plan_entries(path: Path, seed: str, problems: list[Problem]) -> tuple[PlanEntry, ...]:
    """The entries of `seed` in the plan-entry table at `path`, in line order (problems appended)."""
    frame = read_table(path, PLAN_ENTRY_COLUMNS, dict.fromkeys(PLAN_ENTRY_COLUMNS, str), problems)
    if frame.empty:
        return ()
    rows = frame[frame["seed"] == seed]
    if rows.empty:
        problems.append(
            Problem(path, "seed", f"no entry for the scenario's plan_seed {seed!r}; rebuild data/ or fix plan_seed")
        )
    entries = []
    for row in rows.to_dict("records"):
        try:
            line = int(row["line"])
        except ValueError:
            problems.append(Problem(path, f"{row['entry_id']}.line", f"{row['line']!r} is not a line number"))
            continue
        text = {k: str(row[k]) for k in PLAN_ENTRY_COLUMNS}
        entries.append(
            PlanEntry(
                seed=text["seed"],
                entry_id=text["entry_id"],
                category=text["category"],
                indicator_zh=text["indicator_zh"],
                value=text["value"],
                unit=text["unit"],
                bound=text["bound"],
                line=line,
                quote=text["quote"],
            )
        )
    return tuple(sorted(entries, key=lambda e: (e.line, e.entry_id)))


def scenario_references(scenario: Scenario, entry_ids: frozenset[str]) -> list[EntryReference]:
    """Every reference the scenario makes to a plan entry: a block's `id` that is an entry id, and each id
    in a block's `plan_entries`; blocks under `out_of_scope` carry their reason."""
    references = []
    for element, block in _referenced_blocks(scenario, ""):
        out_of_scope = element.startswith("out_of_scope")
        reason = getattr(block, "reason", None) if out_of_scope else None
        own_id = getattr(block, "id", None)
        named = ([own_id] if isinstance(own_id, str) and own_id in entry_ids else []) + list(block.plan_entries)
        references += [EntryReference(entry_id, element, out_of_scope, reason) for entry_id in dict.fromkeys(named)]
    return references


def check_entry_references(
    scenario: Scenario, entries: tuple[PlanEntry, ...], scenario_path: Path, problems: list[Problem]
) -> None:
    """A `plan_entries` id the plan does not have is a typo: name the block and the fix."""
    known = frozenset(e.entry_id for e in entries)
    for element, block in _referenced_blocks(scenario, ""):
        for entry_id in block.plan_entries:
            if entry_id not in known:
                problems.append(
                    Problem(
                        scenario_path,
                        f"{element}.plan_entries",
                        f"'{entry_id}' is not an entry of {scenario.scenario.plan_seed} in "
                        "data/plans/plan_entries.csv; fix the id",
                    )
                )


def _referenced_blocks(model: BaseModel, prefix: str) -> Iterator[tuple[str, PlanReferenced]]:
    """(dotted element, block) for every `PlanReferenced` block below `model`, in field order."""
    for field_name in type(model).model_fields:
        value = getattr(model, field_name)
        where = f"{prefix}{field_name}"
        items: list[tuple[str, object]]
        if isinstance(value, list):
            items = [(f"{where}.{_block_name(v, i)}", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            items = [(f"{where}.{key}", v) for key, v in value.items()]
        else:
            items = [(where, value)]
        for element, item in items:
            if isinstance(item, PlanReferenced):
                yield element, item
            if isinstance(item, BaseModel):
                yield from _referenced_blocks(item, f"{element}.")


def _block_name(block: object, index: int) -> str:
    """How a list item is named in messages: its `id`, else its facility, else its position."""
    return str(getattr(block, "id", None) or getattr(block, "facility_id", None) or index)
