"""Outputs: the safe, staged, locked output folder every command writes through (`folders`), atomic file
writers (`files`), the report and tables of a run (`report`), coverage layers and maps (`geo_report`; what
the maps show, `maps`; drawn by `map_html` and `map_png`), the comparison and diff tables (`compare`, `diff`),
the trade-off chart (`tradeoff`), and the report's sections on targets, facility rules, features and plan
entries (`targets_report`, `facility_report`, `feature_report`, `plan_entry_report`; tables by `markdown`).
"""
