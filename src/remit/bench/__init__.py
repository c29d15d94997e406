"""Benchmarks behind ``remit bench …``: each returns a result whose figures the README quotes."""

from remit.bench._admissions import AdmissionsResult, run_admissions
from remit.bench._decide import DecideResult, run_decide

__all__ = ["AdmissionsResult", "DecideResult", "run_admissions", "run_decide"]
