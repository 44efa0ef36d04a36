"""The rows of targets.csv: one per rule the model enforces, met or missed, with the gap a planner counts.

A row is one plan target or one rule aggregated over the facilities or towns it covers (a size band
over 20 hospitals is one row: how many meet it, and the beds short or over in all). Every row has the
columns `COLUMNS`: the original ones (`id` … `source`), then `rule_kind` (`target`, `facility_limit`,
`ambulance_radius` …), `gap_units` with `gap_unit` (the gap in headcount, beds, vehicles, towns,
minutes or CNY; a per-1,000 target's gap converted through its population), `seed_line` (the seed
file and line, or the standard cited) and `detail` (which facilities or towns miss it).

Rule kinds are registered in `optimizer.solving.rule_kinds.RULE_KINDS`: a kind is a name and a builder,
a function of the `RuleContext` that returns `rule_row`s. The ratio targets are built by
`optimizer.solving.results.target_table` itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from models.tolerances import FEASIBILITY_TOL, ROUNDING_GUARD
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema_types import Citation

COLUMNS = (
    "id",
    "rule_kind",
    "indicator",
    "unit",
    "bound",
    "baseline",
    "target",
    "achieved",
    "met",
    "gap",
    "gap_units",
    "gap_unit",
    "binding",
    "hard",
    "source",
    "seed_line",
    "detail",
)
Row = dict[str, object]
KIND_ZH = {
    "target": "规划指标",
    "facility_limit": "机构规模限制",
    "grade_standard": "等级标准",
    "staff_per_bed": "床人比",
    "plan_size": "规划规模",
    "stock_floor": "保留基期存量",
    "named_station": "指定急救站点",
    "subcentre_beds": "次中心床位",
    "bed_category": "专科床位",
    "ambulance_fleet": "救护车配置",
    "ambulance_radius": "急救服务半径",
    "ambulance_response_mean": "平均急救反应时间",
    "subcentre_count": "次中心数量",
    "subcentre_named": "点名次中心",
    "budget": "投资预算",
    "feature_target": "机构功能建设",
}
"""The Chinese name of each rule kind, for indicators and the report."""
DETAIL_ITEMS = 5
"""How many missed facilities or towns a row's `detail` names before it says how many more."""


@dataclass(frozen=True)
class RuleContext:
    """What a rule builder reads: the plan's tables, the scenario and the data.

    `towns` (coverage per town), `facility_rules` (every rule at every facility,
    `optimizer.analysis.facility_checks`) and `features` (the solved feature table, features.csv) are None
    when the caller has not computed them; the rows that need them are then left out.
    """

    allocation: pd.DataFrame
    scenario: Scenario
    data: Datasets
    cost_cny: Mapping[str, float]
    towns: pd.DataFrame | None = None
    facility_rules: pd.DataFrame | None = None
    features: pd.DataFrame | None = None


RuleRowBuilder = Callable[[RuleContext], list[Row]]


@dataclass(frozen=True)
class RuleKind:
    """A registered rule kind: its name (for the reader) and the builder of its rows."""

    name: str
    rows: RuleRowBuilder


def is_met(value: float, target: float, bound: str) -> bool:
    """Whether an achieved value meets a target, with a relative tolerance for rounding."""
    tolerance = FEASIBILITY_TOL * max(1.0, abs(target))
    if bound == ">=":
        return value >= target - tolerance
    if bound == "<=":
        return value <= target + tolerance
    return abs(value - target) <= tolerance


def gap_of(achieved: float, target: float, bound: str) -> float:
    """How far `achieved` is from meeting `target` (0 when met), in the target's own unit."""
    if bound == ">=":
        return max(target - achieved, 0.0)
    if bound == "<=":
        return max(achieved - target, 0.0)
    return abs(achieved - target)


def below_one_unit(units: float) -> bool:
    """A shortfall or excess of less than one bed, person or vehicle: not a miss a planner can act on
    (decision A42). `units` is the gap converted to whole things, before rounding up."""
    return math.isfinite(units) and units < 1.0 - ROUNDING_GUARD


def whole_units(amount: float) -> float:
    """A shortfall of whole things (beds, staff, vehicles): the next whole number (0 stays 0)."""
    return float(math.ceil(amount - ROUNDING_GUARD)) if amount > ROUNDING_GUARD else 0.0


def seed_line(citation: Citation | None) -> str:
    """`seed:Lline` for a plan quote, the basis of a rule cited from elsewhere, '' for an estimate."""
    if citation is None:
        return ""
    if citation.seed is not None:
        return f"{citation.seed}:L{citation.line}"
    return "" if citation.estimated else str(citation.basis or "")


def rule_row(
    *,
    rule_id: str,
    indicator: str,
    unit: str,
    bound: str,
    target: float,
    achieved: float,
    hard: bool,
    rule_kind: str | None = None,
    gap_unit: str | None = None,
    cited: Citation | None = None,
    source: str = "",
    seed: str = "",
    gap_units: float | None = None,
    met: bool | None = None,
    baseline: float | None = None,
    binding: bool = False,
    detail: str = "",
) -> Row:
    """One row of targets.csv; `met` and `gap` follow from `achieved` against `target` unless given.

    `rule_kind` defaults to the id (a rule of its own kind), `gap_unit` to `unit` and `gap_units` to the
    gap itself (a rule already stated in planner units); `cited` gives `source` and `seed_line` at once.
    """
    gap = gap_of(achieved, target, bound)
    if cited is not None:
        source, seed = cited.label(), seed_line(cited)
    return {
        "id": rule_id,
        "rule_kind": rule_kind or rule_id,
        "indicator": indicator,
        "unit": unit,
        "bound": bound,
        "baseline": baseline,
        "target": target,
        "achieved": round(achieved, 6),
        "met": is_met(achieved, target, bound) if met is None else met,
        "gap": round(gap, 6),
        "gap_units": round(gap if gap_units is None else gap_units, 6),
        "gap_unit": gap_unit or unit,
        "binding": binding,
        "hard": hard,
        "source": source,
        "seed_line": seed,
        "detail": detail,
    }


def listed(items: list[str]) -> str:
    """The first `DETAIL_ITEMS` items joined, and how many more."""
    shown = "; ".join(items[:DETAIL_ITEMS])
    more = len(items) - DETAIL_ITEMS
    return f"{shown}; … and {more} more" if more > 0 else shown


def rule_table(target_rows: list[Row], kinds: tuple[RuleKind, ...], context: RuleContext) -> pd.DataFrame:
    """The targets table: the ratio-target rows, then each kind's rows in order; ids made unique.

    A rule id that repeats an earlier row's id (a facility limit named like a target) gets its kind
    appended, so `id` stays a key of the table.
    """
    rows = list(target_rows)
    for kind in kinds:
        rows += kind.rows(context)
    seen: set[str] = set()
    for row in rows:
        rule_id = str(row["id"])
        if rule_id in seen:
            rule_id = f"{rule_id}__{row['rule_kind']}"
            row["id"] = rule_id
        seen.add(rule_id)
    return pd.DataFrame(rows, columns=list(COLUMNS))
