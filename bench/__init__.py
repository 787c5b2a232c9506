"""Benchmarks that print ratios: `make bench`, or `make bench-smoke` for tiny sizes."""
