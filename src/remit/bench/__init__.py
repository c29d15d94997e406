"""Benchmarks behind ``remit bench …``: each returns a result whose figures the README quotes."""

from remit.bench._activation import ActivationResult, run_activation
from remit.bench._admissions import AdmissionsResult, run_admissions
from remit.bench._decide import DecideResult, run_decide
from remit.bench._joins import JoinsResult, run_joins
from remit.bench._locate import LocateResult, run_locate
from remit.bench._start import StartResult, run_start

__all__ = [
    "ActivationResult",
    "AdmissionsResult",
    "DecideResult",
    "JoinsResult",
    "LocateResult",
    "StartResult",
    "run_activation",
    "run_admissions",
    "run_decide",
    "run_joins",
    "run_locate",
    "run_start",
]
