"""Benchmarks: run each as ``python -m bench.<name> [--quick]`` from the repository root."""
