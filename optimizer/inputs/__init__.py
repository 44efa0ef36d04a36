"""Scenario and data loading: the pydantic scenario schema (`scenario`), the checked input tables (`datasets`)
and the list and hashes of every file a command reads (`run_inputs`). Everything a planner types or supplies
is validated here, with errors that name the file, the field and the fix; nothing later re-reads raw files.
"""
