"""Ember's benchmarks: the same workloads on Ember, PyTorch and NumPy, timed in one run.

python -m tools.bench [--filter NAME] [--repeat N] [--json out.json]
"""
