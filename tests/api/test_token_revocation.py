"""A node caches tokens so that admissions stay off the database, yet a revoked token stops
working on every node as soon as the node looks for revocations (every second in remit serve),
not when its cache entry runs out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remit.api import Node, create_user, hash_token, new_token, utcnow
from remit.location import Locator
from remit.store import SqlStore, open_store


@pytest.fixture
def two_nodes(database_url: str) -> Iterator[tuple[Node, Node, SqlStore]]:
    nodes = [Node(open_store(database_url), Locator(), token_ttl_seconds=3600) for _ in range(2)]
    cli = open_store(database_url)  # as remit user token opens it
    try:
        yield nodes[0], nodes[1], cli
    finally:
        cli.close()
        for node in nodes:
            node.store.close()


def test_a_replaced_token_leaves_every_nodes_cache(two_nodes: tuple[Node, Node, SqlStore]) -> None:
    a, b, cli = two_nodes
    old = create_user(cli, "alice", ["intake"], now=utcnow())
    for node in (a, b):
        node.forget_revoked_tokens()
        assert node.user_for_token(old) is not None  # cached for an hour from here
    new = new_token()
    cli.replace_token("alice", hash_token(new))
    assert a.user_for_token(old) is not None  # still the cached answer: nobody looked yet
    for node in (a, b):
        node.forget_revoked_tokens()
        assert node.user_for_token(old) is None
        found = node.user_for_token(new)
        assert found is not None
        assert found.name == "alice"


def test_a_removed_user_leaves_every_nodes_cache(two_nodes: tuple[Node, Node, SqlStore]) -> None:
    a, b, cli = two_nodes
    token = create_user(cli, "platform-x", ["platform"], now=utcnow())
    a.forget_revoked_tokens()
    assert a.user_for_token(token) is not None
    cli.remove_user("platform-x")
    a.forget_revoked_tokens()
    b.forget_revoked_tokens()
    assert a.user_for_token(token) is None
    assert b.user_for_token(token) is None


def test_nothing_revoked_keeps_the_cache(
    two_nodes: tuple[Node, Node, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _, cli = two_nodes
    token = create_user(cli, "bo", ["reviewer"], now=utcnow())
    create_user(cli, "other", ["intake"], now=utcnow())  # a change, but no revocation
    a.forget_revoked_tokens()
    assert a.user_for_token(token) is not None

    def no_database(token_hash: str) -> None:
        raise AssertionError("the token was looked up again")

    monkeypatch.setattr(a.store, "user_for_token", no_database)
    a.forget_revoked_tokens()
    assert a.user_for_token(token) is not None  # from the cache


def test_a_lookup_racing_a_revocation_is_not_cached(
    two_nodes: tuple[Node, Node, SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _, cli = two_nodes
    old = create_user(cli, "alice", ["intake"], now=utcnow())
    a.forget_revoked_tokens()
    read = a.store.user_for_token

    def read_then_revoked(token_hash: str) -> object:
        found = read(token_hash)  # read before the revocation commits ...
        cli.replace_token("alice", hash_token(new_token()))
        a.forget_revoked_tokens()  # ... and the node learns of it before caching
        return found

    monkeypatch.setattr(a.store, "user_for_token", read_then_revoked)
    assert a.user_for_token(old) is not None  # this one answer was true when it was read
    monkeypatch.setattr(a.store, "user_for_token", read)
    assert a.user_for_token(old) is None  # and it was not kept
