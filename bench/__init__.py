"""Benchmarks run by hand on PostgreSQL; not part of the test suite. See docs/benchmarks.md."""
