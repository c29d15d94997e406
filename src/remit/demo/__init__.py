"""``remit demo``: the 2020 story of DESIGN.md, played end to end against a real ``remit serve``.

The scenario is a data file (:data:`DEFAULT_SCENARIO` ships with remit; users write their own):
the platform's meetings, hosts and participants, the demand as received and the approval.
:func:`run_demo` plays it with a demo platform that receives remit's webhooks, prints each step
as a table, and returns the invariants it checked.
"""

from remit.demo._harness import Check, DemoFailed, DemoResult
from remit.demo._platform import DemoPlatform
from remit.demo._run import run_demo
from remit.demo._scenario import DEFAULT_SCENARIO, Scenario, load_scenario

__all__ = [
    "DEFAULT_SCENARIO",
    "Check",
    "DemoFailed",
    "DemoPlatform",
    "DemoResult",
    "Scenario",
    "load_scenario",
    "run_demo",
]
