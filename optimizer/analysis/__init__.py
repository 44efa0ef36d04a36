"""Analysis of a plan: the independent verifier (`verify`), every rule at single facilities met or missed
(`facility_checks`), the explanation of an infeasible plan (`diagnose`),
the service standards (`service_standards`), coverage of a plan by standard (`coverage_check`) and
accessibility and equity (`accessibility`).
"""
