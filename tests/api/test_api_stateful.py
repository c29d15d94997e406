"""Schemathesis' stateful tests over the published OpenAPI document: sequences of calls that
follow its links (an order created, then read, reviewed, decided; a session reported, then
moved and ended; an appeal filed, then decided), each answer with no 5xx and matching the spec.
Bounded: a few dozen sequences of a few steps, well under a minute."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from fuzzing import authorize
from remit.api import Enforcement, Node, create_app, create_user
from remit.connectors import load_connectors, load_endpoints
from remit.enforcement._memory import MemoryEnforcementStore
from remit.location import IptoccSource, Locator, StaticSource
from remit.store import MemoryStore

_store = MemoryStore()
_node = Node(
    _store,
    Locator(ip_sources=[StaticSource({"127.0.0.10": "CN"}), IptoccSource()]),
    enforcement=Enforcement(MemoryEnforcementStore(), load_connectors()),
)
_TOKEN = create_user(_store, "fuzzer", ["admin"], now=datetime.now(UTC))
_node.resync()
app = create_app(_node, endpoints=load_endpoints())
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
authorize(schema, _TOKEN)

#: Every answer of the run, by operation and status: what the test reads back at the end.
SEEN: Counter[tuple[str, int]] = Counter()


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    def before_call(self, case: schemathesis.Case[Any]) -> None:
        # Stateful cases are not given the schema's auth: the admin's token on every call that
        # carries none, so that sequences reach past authentication (a case made to test a bad
        # token keeps its own).
        headers = dict(case.headers or {})
        if not any(name.lower() == "authorization" for name in headers):
            case.headers = {**headers, "Authorization": f"Bearer {_TOKEN}"}

    def after_call(self, response: Any, case: schemathesis.Case[Any]) -> None:
        SEEN[(f"{case.method} {case.path}", response.status_code)] += 1

    def validate_response(self, response: Any, case: schemathesis.Case[Any], **kwargs: Any) -> None:
        # As in test_api_schemathesis: schema-valid data may name a jurisdiction that does not
        # exist, refused with a 422 naming the field. Bad tokens are test_api_schemathesis'
        # (here the admin's token is added to the calls made without one). Every other check.
        case.validate_response(
            response,
            excluded_checks=[
                schemathesis.checks.positive_data_acceptance,
                schemathesis.checks.ignored_auth,
            ],
            transport_kwargs=kwargs,
        )


def test_the_document_links_what_an_operation_creates_to_what_acts_on_it() -> None:
    document = schema.raw_schema
    links = document["paths"]["/v1/orders"]["post"]["responses"]["201"]["links"]
    assert links["get_v1_orders_id"]["parameters"] == {"id": "$response.body#/id"}
    assert set(document["paths"]["/v1/sessions"]["post"]["responses"]["201"]["links"]) == {
        "patch_v1_sessions_id",
        "delete_v1_sessions_id",
    }
    assert (
        "post_v1_appeals_id_decide"
        in (document["paths"]["/v1/appeals"]["post"]["responses"]["201"]["links"])
    )


def test_sequences_of_linked_calls_keep_the_contract() -> None:
    Workflow.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    assert not [key for key in SEEN if key[1] >= 500], SEEN
    assert SEEN, "no call was made"
