"""Pure mathematical programs: typed inputs in, a PuLP problem with typed handles out; no I/O.

`models.planner` holds the county planner's blocks (allocation, ambulances, sub-centres, hierarchy,
the joined plan model); `models.location` the classic location-science models and the exact
p-median solver; `models.naming` the constraint names and tags both share. Nothing here imports
anything but the standard library, NumPy and PuLP.
"""
