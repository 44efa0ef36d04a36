"""What-if analysis: re-solve a plan across budgets or another scenario parameter, and what the sweeps
report beside the optimum. One responsibility per module:

* `levels`: the swept parameter and its levels (`SweepSpec`, `--budget` / `--param` / `--steps`
  parsing), the base level (the scenario's own value, `levels_to_solve`), the scenario at a level
  (`scenario_at`, `check_levels`), `LevelOptions` / `LevelOutcome`;
* `level_solve`: one level through `optimizer.pipeline.solve_plan` (violations recorded), with the
  greedy baseline and budget duals, as one table row; `solve_level` is the Dask task;
* `runner`: where levels run: the reuse tasks in turn or on Dask, or (other sweeps, `--strategy independent`)
  the sequential loop with warm starts or one Dask task per level (local cluster or `--scheduler`,
  connected fail-fast);
* `reuse`: budget sweeps at the cost of a few solves: contiguous runs of levels on one model, plans passed as
  starts, and levels above a solved plan's least cost given that plan without a solve (with the proof);
* `level_model`: one built model brought from budget to budget (row `budget` and the cost weight);
* `changes`: each solved level reduced to a compact snapshot as it finishes, and its non-zero changes
  against the scenario's own run per facility, township and target (`changes.csv`);
* `tables`: `plan_row`, `sweep_table` (finite differences, where the next yuan goes), `compare_sweeps`;
* `sweep`: `run_sweep`, the entry point, and its `SweepResult`;
* `marginal`: marginal values of the budget (finite differences, LP duals, next yuan);
* `greedy`: the greedy siting baseline.
"""
