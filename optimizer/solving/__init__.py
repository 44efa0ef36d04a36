"""Solving: the one solver adapter (`solve`: HiGHS or CBC, outcome classified, optimal only within a fixed
gap), the LP-rounded MIP start (`plan_start`) and the reading of a solved model into planner tables
(`results`; the solved features, `feature_results`), and the rows of targets.csv, one per rule the model
enforces (`rule_rows`, with the kinds registered in `rule_kinds`: `facility_rows`, `network_rows`,
`feature_rows`).
"""
