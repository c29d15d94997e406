"""Schemathesis over the published OpenAPI document: no 5xx, and every response matches the spec."""

from __future__ import annotations

from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck, settings

from fuzzing import authorize
from remit.api import Enforcement, Node, create_app, create_user
from remit.connectors import load_connectors, load_endpoints
from remit.enforcement._memory import MemoryEnforcementStore
from remit.location import IptoccSource, Locator, StaticSource
from remit.store import MemoryStore
from remit.transparency import MemoryLogStore, Signer, TransparencyLog

_store = MemoryStore()
# With a transparency log, so that its public endpoints are fuzzed too.
_log = TransparencyLog(
    MemoryLogStore(), Signer.generate("fuzz.example/log"), origin="fuzz.example/log", secret=b"s"
).open()
_node = Node(
    _store,
    Locator(ip_sources=[StaticSource({"127.0.0.10": "CN"}), IptoccSource()]),
    log=_log,
    # With live enforcement (roster and outbox in memory), so that sessions are fuzzed too.
    enforcement=Enforcement(MemoryEnforcementStore(), load_connectors()),
)
# An admin may call every operation, so every operation is reached past authentication.
_TOKEN = create_user(_store, "fuzzer", ["admin"], now=datetime.now(UTC))
_node.resync()
# With every connector's own operations (token brokers, event receivers), as remit serve has.
app = create_app(_node, endpoints=load_endpoints())
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
authorize(schema, _TOKEN)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_contract(case: schemathesis.Case) -> None:
    # Every check runs but one: a JSON Schema cannot say which of the strings shaped like
    # jurisdiction codes or phone numbers exist ("ZZ", "+000…"), so schema-valid data may still
    # be refused, with a 422 naming the field. Those answers are checked by the other checks.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
