"""Workloads for tests and benchmarks, not part of the installed planner: OR-Library loaders (data folder
passed in), seeded synthetic provinces and plans, and the planner solver bound to the exact p-median solver.
"""
