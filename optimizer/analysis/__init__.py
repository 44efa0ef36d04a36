"""Analysis of a plan: the independent verifier (`verify`), the explanation of an infeasible plan (`diagnose`),
coverage by service standard (`coverage`) and accessibility and equity (`accessibility`).
"""
