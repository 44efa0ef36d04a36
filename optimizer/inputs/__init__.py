"""Scenario and data loading: everything a planner types or supplies is validated here, with errors that
name the file, the field and the fix; nothing later re-reads raw files. No module here imports a solver.

* `schema_types`: the bounded number types, level and group names, `Citation` and `Amount`;
* `solver_settings`: the `[solver]` block (`SolverSettings`), kept apart from the solver adapter;
* `scenario`: the pydantic scenario schema, `Scenario` and its blocks;
* `network_schema`: the `[ambulances]`, `[subcentres]` and `[hierarchy]` blocks;
* `facility_schema`: the national grade standards, the grades and sizes a plan names for facilities;
* `feature_schema`: facility features (departments, rooms, centres, grades, projects) and the plan's
  targets over them; `feature_selection`: which facilities each may be at and each target counts;
* `plan_entries`: the plan's own statements (`plan_entries.csv`) and the blocks that reference them;
* `grades`: which grade each facility has and which standards apply to it there;
* `facility_stock`: the base-year stock per facility (`facility_stock.csv`) and the stock outside it;
* `scenario_loading`: reading a scenario file (TOML, `extends`, error messages), `resolve`, `scenario_hash`;
* `tables`: reading one CSV table (encoding, header) and checking its cells;
* `boundaries`: the county polygons and the point-in-area check;
* `datasets`: the checked input tables of a scenario's area (`Datasets`, `load_datasets`);
* `dataset_checks`: the row and code checks of those tables (township, facility, county, plan beds);
* `run_inputs`: the list and hashes of every file a command reads.
"""
