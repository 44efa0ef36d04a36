"""Benchmark harness (not installed): scripts, and the workloads they and the tests share."""
