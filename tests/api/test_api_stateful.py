"""Schemathesis' stateful tests over the published OpenAPI document: sequences of calls that
follow its links (an order created, then read, reviewed, decided; a session reported, then
moved and ended; an appeal filed, then decided), each answer with no 5xx and matching the spec.
Bounded: a few dozen sequences of a few steps, well under a minute."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import schemathesis
from api_helpers import demand
from hypothesis import HealthCheck, settings

from remit.api import Enforcement, Node, create_app, create_user
from remit.connectors import load_connectors, load_endpoints
from remit.enforcement._memory import MemoryEnforcementStore
from remit.location import Locator, StaticSource
from remit.store import MemoryStore


class _FreshApi:
    """The API under test, made anew for each sequence (an empty store, an admin): a sequence's
    answers then depend on that sequence only, as Hypothesis needs to replay and shrink it."""

    def __init__(self) -> None:
        self.renew()

    def renew(self) -> None:
        store = MemoryStore()
        node = Node(
            store,
            Locator(ip_sources=[StaticSource({"127.0.0.10": "CN"})]),
            enforcement=Enforcement(MemoryEnforcementStore(), load_connectors()),
        )
        self.token = create_user(store, "fuzzer", ["admin"], now=datetime.now(UTC))
        node.resync()
        self.app = create_app(node, endpoints=load_endpoints())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


API = _FreshApi()
schema = schemathesis.openapi.from_asgi("/openapi.json", API)

#: Every answer of the run, by operation and status: what the test reads back at the end.
SEEN: Counter[tuple[str, int]] = Counter()
ORDERS: list[int] = []


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        API.renew()
        ORDERS.clear()

    def before_call(self, case: schemathesis.Case[Any]) -> None:
        # Stateful cases are not given the schema's auth (they carry made-up tokens): the
        # admin's token on every call, so that sequences reach past authentication. Bad tokens
        # are test_api_schemathesis' to try.
        case.headers["Authorization"] = f"Bearer {API.token}"  # case-insensitive: replaced
        # A generated demand is almost never one remit records (its jurisdiction, phone numbers
        # and dates must exist): each JSON object becomes a real demand, so that sequences go on
        # from a created order along the document's links (other bodies stay, for the 4xx).
        if case.method == "POST" and case.path == "/v1/orders" and isinstance(case.body, dict):
            ORDERS.append(len(ORDERS))
            case.body = demand(case_id=f"stateful-{len(ORDERS)}")

    def after_call(self, response: Any, case: schemathesis.Case[Any]) -> None:
        SEEN[(f"{case.method} {case.path}", response.status_code)] += 1

    def validate_response(self, response: Any, case: schemathesis.Case[Any], **kwargs: Any) -> None:
        # As in test_api_schemathesis: schema-valid data may name a jurisdiction that does not
        # exist, refused with a 422 naming the field. Bad tokens are test_api_schemathesis'
        # (here every call carries the admin's token). Every other check runs.
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
            max_examples=40,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    assert not [key for key in SEEN if key[1] >= 500], SEEN
    # An order's own operations answered 2xx only for an id a created order gave: a link followed.
    followed = {key for key in SEEN if "{id}" in key[0] and key[1] < 300}
    assert followed, sorted(SEEN.items())
