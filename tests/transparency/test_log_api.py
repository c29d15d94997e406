"""The public log and report over HTTP: no token, proofs that verify, bad input named."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from log_builders import ORIGIN, SECRET, SIGNER, approved, demand, story
from starlette.testclient import TestClient

from remit.api import Node, create_app
from remit.location import Locator, StaticSource
from remit.store import MemoryStore, log_store_for, open_store
from remit.transparency import (
    TransparencyLog,
    leaf_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)


@dataclass
class Public:
    client: TestClient
    node: Node
    log: TransparencyLog

    def get(self, path: str, **params: object) -> object:
        return self.client.get(path, params=params)


@pytest.fixture
def public(database_url: str) -> Iterator[Public]:
    store = open_store(database_url)
    log = TransparencyLog(log_store_for(store), SIGNER, origin=ORIGIN, secret=SECRET).open()
    node = Node(
        store,
        Locator(ip_sources=[StaticSource({})]),
        clock=lambda: datetime(2020, 12, 31, tzinfo=UTC),
        log=log,
    )
    for order in story():
        store.add_order(order)
    node.start()  # its first resync logs every order
    try:
        with TestClient(create_app(node), raise_server_exceptions=False) as client:
            yield Public(client, node, log)
    finally:
        node.stop()


def test_the_checkpoint_is_public_signed_text(public: Public) -> None:
    response = public.client.get("/v1/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    checkpoint = verify_checkpoint(response.text, SIGNER.verifier_key(), origin=ORIGIN)
    assert checkpoint.size == 11


def test_entries_and_inclusion_proofs(public: Public) -> None:
    checkpoint = verify_checkpoint(
        public.client.get("/v1/log/checkpoint").text, SIGNER.verifier_key()
    )
    body = public.client.get("/v1/log/entries", params={"start": 2, "end": 5}).json()
    assert [e["index"] for e in body["entries"]] == [2, 3, 4]
    for entry in body["entries"]:
        data = base64.b64decode(entry["data"])
        answer = public.client.get(
            "/v1/log/proof/inclusion", params={"index": entry["index"], "size": checkpoint.size}
        ).json()
        assert base64.b64decode(answer["leaf_hash"]) == leaf_hash(data)
        proof = [base64.b64decode(h) for h in answer["proof"]]
        verify_inclusion(
            leaf_hash(data), entry["index"], checkpoint.size, proof, checkpoint.root_hash
        )
    everything = public.client.get("/v1/log/entries").json()["entries"]
    assert len(everything) == 11


def test_consistency_proofs_between_two_checkpoints(public: Public) -> None:
    old = verify_checkpoint(public.client.get("/v1/log/checkpoint").text, SIGNER.verifier_key())
    public.node.store.add_order(approved(demand("ord-0099")))
    public.node.resync()
    new = verify_checkpoint(public.client.get("/v1/log/checkpoint").text, SIGNER.verifier_key())
    assert new.size == old.size + 3
    answer = public.client.get(
        "/v1/log/proof/consistency", params={"first": old.size, "second": new.size}
    ).json()
    proof = [base64.b64decode(h) for h in answer["proof"]]
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)
    default = public.client.get("/v1/log/proof/consistency", params={"first": old.size}).json()
    assert default["second"] == new.size


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/log/entries", {"start": "-1"}, "start"),
        ("/v1/log/entries", {"start": "x"}, "start"),
        ("/v1/log/entries", {"start": "5", "end": "2"}, "end"),
        ("/v1/log/entries", {"limit": "5"}, "limit"),
        ("/v1/log/proof/inclusion", {"size": "3"}, "index"),
        ("/v1/log/proof/inclusion", {"index": "3", "size": "3"}, "index"),
        ("/v1/log/proof/inclusion", {"index": "0", "size": "999"}, "size"),
        ("/v1/log/proof/inclusion", {"index": "0", "size": "0"}, "size"),
        ("/v1/log/proof/inclusion", {"index": "1e3", "size": "5"}, "index"),
        ("/v1/log/proof/consistency", {"second": "3"}, "first"),
        ("/v1/log/proof/consistency", {"first": "0", "second": "3"}, "first"),
        ("/v1/log/proof/consistency", {"first": "4", "second": "3"}, "first"),
        ("/v1/log/proof/consistency", {"first": "1", "second": "99999999999999999999"}, "second"),
        ("/v1/reports/transparency", {"from": "2020-13-01"}, "from"),
        ("/v1/reports/transparency", {"to": "yesterday"}, "to"),
        ("/v1/reports/transparency", {"from": "2021-01-01", "to": "2020-01-01"}, "to"),
        ("/v1/reports/transparency", {"format": "pdf"}, "format"),
    ],
)
def test_bad_query_parameters_are_named(
    public: Public, path: str, params: dict[str, str], field: str
) -> None:
    response = public.client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def test_huge_positions_are_an_empty_page_not_an_error(public: Public) -> None:
    response = public.client.get("/v1/log/entries", params={"start": "99999999999999999999"})
    assert response.status_code == 200
    assert response.json() == {"entries": []}


def test_the_report_in_three_formats(public: Public) -> None:
    period = {"from": "2020-01-01", "to": "2020-12-31"}
    as_json = public.client.get("/v1/reports/transparency", params=period)
    assert as_json.status_code == 200
    report = as_json.json()
    assert report["period_start"] == "2020-01-01"
    assert report["totals"]["demands_received"] == 4  # the fifth came in 2021
    assert report["totals"]["rejected"] == 1
    as_csv = public.client.get("/v1/reports/transparency", params={**period, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {(r["territory_code"], r["requester_kind"]) for r in rows} == {
        ("CN", "ministry"),
        ("UA", "court"),
    }
    as_html = public.client.get("/v1/reports/transparency", params={**period, "format": "html"})
    assert as_html.headers["content-type"].startswith("text/html")
    assert "<svg" in as_html.text
    assert "<script" not in as_html.text


def test_the_report_defaults_to_everything_until_today(public: Public) -> None:
    report = public.client.get("/v1/reports/transparency").json()
    assert report["period_start"] == "2020-06-01"
    assert report["period_end"] == date(2020, 12, 31).isoformat()


def test_a_node_without_a_log_says_so() -> None:
    node = Node(MemoryStore(), Locator(ip_sources=[StaticSource({})]))
    with TestClient(create_app(node)) as client:
        response = client.get("/v1/log/checkpoint")
    assert response.status_code == 503
    assert "no transparency log" in response.json()["detail"]
