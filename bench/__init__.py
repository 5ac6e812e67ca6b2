"""Benchmarks: our matcher against the baselines a clinic would otherwise use, side by side."""
