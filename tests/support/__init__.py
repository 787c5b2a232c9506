"""Helpers the tests and the benchmarks (bench/) share: one implementation of each.

bench/ runs without the test requirements, so no module here imports pytest at its top; a helper
that gives up raises a plain exception (an AssertionError), which pytest reports as a failure.
Only `services.require` and `services.skip_or_fail` import pytest, when they are called.
"""
