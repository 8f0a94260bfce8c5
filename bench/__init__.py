"""Benchmarks: each script prints one JSON line of figures."""
