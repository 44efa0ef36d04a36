"""`optimizer audit`: what must change in a plan's own bed table for the plan to meet every hard rule.

Read and check the table (`bed_table`), solve it as it stands and find the smallest change (`solves`,
with the deviation rows of models/planner/deviation.py), and tabulate the answer facility by facility
(`result`). A layer after `whatif`: it imports the pipeline and the layers before it; the files are
written by optimizer/outputs/audit_report.py.
"""

from optimizer.audit.bed_table import BedTable, read_bed_table, table_path
from optimizer.audit.result import AuditResult, run_audit

__all__ = ["AuditResult", "BedTable", "read_bed_table", "run_audit", "table_path"]
