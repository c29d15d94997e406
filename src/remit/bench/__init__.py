"""Benchmarks behind ``remit bench …``: each returns a result whose figures the README quotes."""

from remit.bench._decide import DecideResult, run_decide

__all__ = ["DecideResult", "run_decide"]
