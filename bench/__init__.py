"""Benchmarks: run them by hand, record the figures in docs/benchmarks.md. They are not tests."""
