"""The `audit` command, registered on the main typer app by `optimizer/cli/commands.py`.

    optimizer audit SCENARIO [--table CSV] --out DIR [--solver highs|cbc] [--time-limit SECONDS]

What must change in a plan's own bed table (default: the scenario's `data.plan_reference_beds`) for
the plan to meet every hard rule: the table as it stands, the smallest change, facility by facility
(optimizer/audit). Exit codes as README.md: 0 when every solve is proven optimal (an infeasible table
is an answer, not an error), 3 when one is not, 1 for a bad table, 4 when the scenario itself is
infeasible whatever the beds, 5 / 6 for solver and verification failures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from optimizer.audit import read_bed_table, run_audit, table_path
from optimizer.cli.console import console
from optimizer.cli.options import OutOption, ScenarioArg, SolverOption, TimeLimitOption, exit_not_proven, solver_for
from optimizer.errors import PlannerError
from optimizer.inputs.run_inputs import Inputs, scenario_inputs
from optimizer.outputs.audit_report import write_audit
from optimizer.outputs.folders import output_folder
from optimizer.pipeline import prepare


def register(app: typer.Typer, *, fail: Callable[[PlannerError], typer.Exit]) -> None:
    """Add `audit` to `app`; `fail` turns a PlannerError into the CLI's one-line exit."""

    @app.command()
    def audit(
        scenario: ScenarioArg,
        out: OutOption,
        table: Annotated[
            Path | None,
            typer.Option(
                "--table",
                help="the plan's bed table (county_code, facility_id, plan_beds; default: data.plan_reference_beds)",
            ),
        ] = None,
        solver: SolverOption = None,
        time_limit: TimeLimitOption = None,
    ) -> None:
        """What must change in the plan's bed table: the table as it stands, then the smallest compliant change.

        Writes audit.csv, audit_targets.csv, audit_facility_rules.csv, audit.md and manifest.json to --out.
        Exits 0 when every solve is proven optimal, 3 when one is not (README.md).
        """
        try:
            prepared = prepare(scenario, solver=solver_for(scenario, solver, time_limit))
            path = table_path(scenario, prepared.scenario, table)
            beds = read_bed_table(path, prepared.scenario, prepared.data)
            inputs = scenario_inputs(scenario) | Inputs(files=frozenset({path.resolve()}))
            with output_folder(out, inputs, command="audit") as staging:  # checked and locked before solving
                with console.status(f"auditing {path.name} for {prepared.scenario.scenario.id} …"):
                    result = run_audit(prepared, beds)
                written = write_audit(result, scenario, staging)
        except PlannerError as error:
            raise fail(error) from None
        solves = result.solves
        feasible = "[green]feasible[/green]" if solves.table_feasible else "[red]infeasible[/red]"
        console.print(f"{path}: {len(beds.beds)} facilities; as it stands {feasible} under the hard rules")
        changed = result.changed
        if changed.empty:
            console.print("[green]no change needed[/green]")
        else:
            view = Table(title=f"smallest change: {solves.least_change_beds} beds moved at {len(changed)} facilities")
            for column in ("facility", "table", "compliant", "change", "CNY", "rules broken"):
                numeric = column in ("table", "compliant", "change", "CNY")
                view.add_column(column, justify="right" if numeric else "left", overflow="fold")
            for row in changed.itertuples(index=False):
                view.add_row(
                    f"{row.name} ({row.facility_id})",
                    str(row.table_beds),
                    str(row.compliant_beds),
                    f"{row.change_beds:+d}",
                    f"{row.change_cny:+,.0f}",
                    str(row.rules_broken) or "(area-wide rule)",
                )
            console.print(view)
            console.print(
                f"net change {int(changed['change_beds'].sum()):+d} beds, {changed['change_cny'].sum():+,.0f} CNY"
            )
        if len(result.unlisted):
            console.print(f"{len(result.unlisted)} facilities are not in the table: left free (listed in audit.md)")
        console.print(f"{len(written)} files in {out}")
        not_proven = solves.not_proven()
        if not_proven:
            raise exit_not_proven(f"not proven optimal: {', '.join(not_proven)}")
