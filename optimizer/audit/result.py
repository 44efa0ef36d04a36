"""The audit's tables: facility by facility what must change in the bed table, and every target and facility rule.

`run_audit` runs the solves (optimizer/audit/solves.py) and builds:

facilities (`audit.csv`)
    One row per facility that takes beds: `facility_id, name, level, table_beds, compliant_beds,
    change_beds, change_cny, rules_broken`. `change_beds = compliant_beds − table_beds`, `change_cny` is
    that change at the beds unit cost (negative: beds the table plans and need not be built), and
    `rules_broken` the hard rules on the facility's bed count that the table's value breaks there
    (`facility_rule_table` evaluated on the table's beds), `;`-separated. Facilities the table does not
    list have no table value: they are free in every solve and listed as such.
targets, facility_rules (`audit_targets.csv`, `audit_facility_rules.csv`)
    `target_table` and `facility_rule_table` rows with a leading `plan` column: `table` (the table's
    beds) and `compliant` (the nearest compliant plan). When the table is feasible its rows come from the
    as-is solve; when it is not, there is no plan with the table's beds, and its rows are the table's beds
    with every other resource as in the compliant plan (`table_basis` says which).
broken
    The independent verifier (optimizer/analysis/verify.py) run on that same table-beds allocation: every
    hard rule the table's beds break, at facilities and over the whole area (e.g. the base-year bed floor),
    empty when the table is feasible; `MIXING_RULES` are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from optimizer.analysis.facility_checks import facility_rule_table
from optimizer.analysis.verify import check
from optimizer.analysis.violations import Violation
from optimizer.audit.bed_table import BEDS, BedTable
from optimizer.audit.solves import AuditSolves, solve_audit
from optimizer.pipeline import PreparedScenario
from optimizer.solving.results import target_table

FACILITY_COLUMNS = (
    "facility_id",
    "name",
    "level",
    "table_beds",
    "compliant_beds",
    "change_beds",
    "change_cny",
    "rules_broken",
)
TABLE, COMPLIANT = "table", "compliant"
AS_IS_BASIS = "as_is_solve"
MIXED_BASIS = "table_beds_with_compliant_rest"
MIXING_RULES = frozenset({"report", "subset"})
"""Verifier rules left out of `broken`: table consistency, and subsets (paediatric beds among beds) that
only compare the table's beds with the compliant plan's other amounts."""


@dataclass(frozen=True)
class AuditResult:
    """Everything `optimizer audit` reports about one bed table."""

    scenario_id: str
    scenario_name: str
    table: BedTable
    solves: AuditSolves
    facilities: pd.DataFrame
    targets: pd.DataFrame
    facility_rules: pd.DataFrame
    broken: tuple[Violation, ...]
    table_basis: str
    bed_unit_cost_cny: float
    renamed: tuple[tuple[str, str, str], ...] = ()

    @property
    def changed(self) -> pd.DataFrame:
        """The rows of `facilities` whose beds must change."""
        rows = self.facilities
        return rows[rows["change_beds"].fillna(0) != 0]

    @property
    def unlisted(self) -> pd.DataFrame:
        """Facilities that take beds but are not in the table (left free)."""
        return self.facilities[self.facilities["table_beds"].isna()]


def run_audit(prepared: PreparedScenario, table: BedTable) -> AuditResult:
    """Solve the audit of `table` and build its tables (see the module docstring).

    Raises
    ------
    InfeasiblePlanError, SolverError, VerificationError
        As `solve_audit`.
    """
    solves = solve_audit(prepared, table)
    return audit_result(prepared, table, solves)


def audit_result(prepared: PreparedScenario, table: BedTable, solves: AuditSolves) -> AuditResult:
    """The audit's tables from finished solves."""
    scenario, data = prepared.scenario, prepared.data
    compliant = solves.nearest.plan
    if solves.as_is.result is not None:
        as_is, basis = solves.as_is.result, AS_IS_BASIS
    else:
        allocation = compliant.allocation.copy()
        ids, beds = allocation["facility_id"], allocation[BEDS]
        allocation[BEDS] = [table.beds.get(f, b) for f, b in zip(ids, beds, strict=True)]
        rules = facility_rule_table(allocation, scenario, data)
        targets = target_table(allocation, scenario, data, towns=compliant.towns, facility_rules=rules)
        as_is = replace(compliant, allocation=allocation, targets=targets)
        basis = MIXED_BASIS
    table_rules = facility_rule_table(as_is.allocation, scenario, data)
    as_is = replace(as_is, facility_rules=table_rules)
    compliant_rules = facility_rule_table(compliant.allocation, scenario, data)
    broken: tuple[Violation, ...] = ()
    if solves.as_is.result is None:
        found = check(as_is, scenario, data, prepared.matrix)
        broken = tuple(v for v in found if v.rule not in MIXING_RULES)
    unit_cost = scenario.resources[BEDS].unit_cost_cny.value
    return AuditResult(
        scenario_id=scenario.scenario.id,
        scenario_name=scenario.scenario.name_zh,
        table=table,
        solves=solves,
        facilities=facility_changes(
            compliant.allocation,
            table,
            table_rules,
            unit_cost_cny=unit_cost,
            levels=scenario.resources[BEDS].eligible_levels,
        ),
        targets=_stacked({TABLE: as_is.targets, COMPLIANT: compliant.targets}),
        facility_rules=_stacked({TABLE: table_rules, COMPLIANT: compliant_rules}),
        broken=broken,
        table_basis=basis,
        bed_unit_cost_cny=unit_cost,
        renamed=tuple(table.renamed(data)),
    )


def bed_rules_broken(rules: pd.DataFrame) -> dict[str, list[str]]:
    """Facility id → the hard rules on its bed count it misses in `rules` (a `facility_rule_table`)."""
    missed = rules[rules["hard"] & ~rules["met"] & (rules["resource"] == BEDS) & (rules["per_resource"] == "")]
    found: dict[str, list[str]] = {}
    for facility, rule in zip(missed["facility_id"], missed["rule_id"], strict=True):
        found.setdefault(str(facility), [])
        if rule not in found[str(facility)]:
            found[str(facility)].append(str(rule))
    return {f: sorted(ids) for f, ids in found.items()}


def facility_changes(
    allocation: pd.DataFrame,
    table: BedTable,
    table_rules: pd.DataFrame,
    *,
    unit_cost_cny: float,
    levels: Sequence[str],
) -> pd.DataFrame:
    """`audit.csv`: table beds, compliant beds and the change at every facility of `levels` (those taking beds)."""
    takes_beds = allocation["level"].isin(list(levels))
    frame = allocation.loc[takes_beds, ["facility_id", "name", "level", BEDS]].rename(columns={BEDS: "compliant_beds"})
    frame["table_beds"] = pd.array([table.beds.get(f) for f in frame["facility_id"]], dtype="Int64")
    frame["compliant_beds"] = frame["compliant_beds"].astype("Int64")
    frame["change_beds"] = frame["compliant_beds"] - frame["table_beds"]
    frame["change_cny"] = (frame["change_beds"].astype("Float64") * unit_cost_cny).round(0)
    broken = bed_rules_broken(table_rules)
    frame["rules_broken"] = ["; ".join(broken.get(f, [])) for f in frame["facility_id"]]
    return frame[list(FACILITY_COLUMNS)].sort_values("facility_id").reset_index(drop=True)


def _stacked(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The tables one under another, each row labelled with its plan in a leading `plan` column."""
    frames = [frame.assign(plan=plan)[["plan", *frame.columns]] for plan, frame in tables.items()]
    return pd.concat(frames, ignore_index=True)
