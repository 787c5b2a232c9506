"""Benchmarks that print ratios (issue 7): `make bench`, or `make bench-smoke` for tiny sizes."""
