"""What-if analysis: re-solve a plan across budgets or another scenario parameter, and what the sweeps
report beside the optimum. One responsibility per module:

* `levels`: the swept parameter and its levels (`SweepSpec`, `--budget` / `--param` / `--steps`
  parsing), the scenario at a level (`scenario_at`, `check_levels`), `LevelOptions` / `LevelOutcome`;
* `level_solve`: one level through `optimizer.pipeline.solve_plan` (violations recorded), with the
  greedy baseline and budget duals, as one table row; `solve_level` is the Dask task;
* `runner`: where levels run: the sequential loop with warm starts, or Dask (local cluster or
  `--scheduler`, connected fail-fast);
* `tables`: `plan_row`, `sweep_table` (finite differences, where the next yuan goes), `compare_sweeps`;
* `sweep`: `run_sweep`, the entry point, and its `SweepResult`;
* `marginal`: marginal values of the budget (finite differences, LP duals, next yuan);
* `greedy`: the greedy siting baseline.
"""
