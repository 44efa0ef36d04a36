"""Solving: the one solver adapter (`solve`: HiGHS or CBC, outcome classified, optimal only within a fixed
gap), the LP-rounded MIP start (`plan_start`) and the reading of a solved model into planner tables
(`results`).
"""
