"""County health-resource planner: scenario files in, verified optimal allocations out."""

__version__ = "0.1.0"
