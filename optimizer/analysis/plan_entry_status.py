"""Every statement of the plan with its status in this run: encoded (met or missed), out of scope (why),
or not referenced — the table behind `plan_entries.csv` and the report's "计划条目对照".

An encoded entry is met when every rule that encodes it has a met row in the run's targets table (rows
are keyed by rule id); an entry encoded only by a definition (a baseline stock, a feature's cost, a
resource's eligibility) has no met/missed of its own and says so.
"""

from __future__ import annotations

import pandas as pd

from optimizer.inputs.plan_entries import EntryReference, PlanEntry, scenario_references
from optimizer.inputs.scenario import Scenario

ENCODED = "encoded"
OUT_OF_SCOPE = "out_of_scope"
NOT_REFERENCED = "not_referenced"
STATUS_ZH = {ENCODED: "已编码", OUT_OF_SCOPE: "不纳入模型", NOT_REFERENCED: "未引用"}
PLAN_ENTRY_STATUS_COLUMNS = (
    "entry_id",
    "category",
    "seed_line",
    "indicator",
    "status",
    "rules",
    "met",
    "reason",
    "quote",
)


NETWORK_KINDS = {
    "ambulances": ("ambulance_fleet", "ambulance_radius", "ambulance_response_mean", "named_station"),
    "subcentres": ("subcentre_count", "subcentre_named", "subcentre_beds"),
}
"""The rule kinds of targets.csv that check a network block (`[ambulances]`, `[subcentres]`)."""


def plan_entry_table(
    entries: tuple[PlanEntry, ...],
    scenario: Scenario,
    targets: pd.DataFrame,
    facility_rules: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per plan entry, in line order: its status, the blocks that encode it and whether they are met.

    A block's verdict is read from the run's tables: its own row in `targets` (rule id = block id), the
    rows of the kinds that check a network block, the rows of the targets over a feature, and for a
    grade or a stated size the rows of `facility_rules` at that facility."""
    references = scenario_references(scenario, frozenset(e.entry_id for e in entries))
    by_entry: dict[str, list[EntryReference]] = {}
    for reference in references:
        by_entry.setdefault(reference.entry_id, []).append(reference)
    met_by_rule = dict(zip(targets["id"].astype(str), targets["met"].astype(bool), strict=True))
    kinds = targets["rule_kind"].astype(str) if "rule_kind" in targets.columns else targets["id"].astype(str)
    rows = []
    for entry in entries:
        refs = by_entry.get(entry.entry_id, [])
        encoding = [r for r in refs if not r.out_of_scope]
        if encoding:
            status = ENCODED
            verdicts = [
                met
                for r in encoding
                for met in _verdicts(r.element, scenario, targets, kinds, met_by_rule, facility_rules)
            ]
            met: bool | None = all(verdicts) if verdicts else None
            reason = "" if verdicts else "encoded as a definition (stock, eligibility, cost): no met/missed row"
        elif refs:
            status, met, reason = OUT_OF_SCOPE, None, "; ".join(sorted({r.reason or "" for r in refs}))
        else:
            status, met = NOT_REFERENCED, None
            reason = "" if entry.required else f"a {entry.category} statement: read, not a planning rule"
        rows.append(
            {
                "entry_id": entry.entry_id,
                "category": entry.category,
                "seed_line": entry.label(),
                "indicator": entry.indicator_zh,
                "status": status,
                "rules": "; ".join(r.element for r in refs),
                "met": met,
                "reason": reason,
                "quote": entry.quote,
            }
        )
    return pd.DataFrame(rows, columns=list(PLAN_ENTRY_STATUS_COLUMNS))


def _verdicts(
    element: str,
    scenario: Scenario,
    targets: pd.DataFrame,
    kinds: pd.Series,
    met_by_rule: dict[str, bool],
    facility_rules: pd.DataFrame | None,
) -> list[bool]:
    """The met flags of the rows that check the block at `element` (none for a definition)."""
    block, _, key = element.partition(".")
    if block in NETWORK_KINDS:
        return [bool(m) for m in targets.loc[kinds.isin(NETWORK_KINDS[block]).to_numpy(), "met"]]
    if block == "features":
        return [met_by_rule[t.id] for t in scenario.feature_targets if t.feature == key and t.id in met_by_rule]
    if block in {"facility_grades", "facility_sizes"} and facility_rules is not None:
        if block == "facility_grades":
            grade = next(g.grade for g in scenario.facility_grades if g.facility_id == key)
            rows = facility_rules[
                (facility_rules["facility_id"] == key) & facility_rules["rule_id"].astype(str).str.startswith(grade)
            ]
        else:
            rows = facility_rules[facility_rules["rule_id"] == key]
        return [bool(m) for m in rows["met"]]
    rule = element.rsplit(".", 1)[-1]
    return [met_by_rule[rule]] if rule in met_by_rule else []
