"""Analysis of a plan: the independent verifier (`verify`, reporting `violations`), every rule at single facilities
met or missed (`facility_checks`), the feature and network rules recounted (`feature_checks`, `network_checks`),
every statement of the plan with its status (`plan_entry_status`), the explanation of an infeasible plan
(`diagnose`), the service standards (`service_standards`), coverage of a plan by standard (`coverage_check`) and
accessibility and equity (`accessibility`).
"""
