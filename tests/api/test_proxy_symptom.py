"""remit notices when a platform gives it a proxy's address for everyone, and says so once.

The real case (Jitsi Meet behind nginx without X-Forwarded-For on /xmpp-websocket) is tested
against real servers in tests/connectors/test_jitsi.py; these are the rule's edges.
"""

from __future__ import annotations

import logging

import pytest

from remit.api._proxied import JOINS, PEOPLE, ProxySymptom
from remit.location import UNKNOWN, Location

HERE = Location("CN", None, "static")


def _joins(symptom: ProxySymptom, ip: str, people: int, joins: int, platform: str = "jitsi") -> int:
    """Feed ``joins`` unplaced joins from ``ip`` by ``people`` participants; how many warned."""
    return sum(
        symptom.observe(platform, ip, UNKNOWN, f"p{n % people}@example.org") for n in range(joins)
    )


def test_joins_of_several_people_from_one_loopback_address_are_named_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    symptom = ProxySymptom()
    with caplog.at_level(logging.WARNING, logger="remit.api"):
        assert _joins(symptom, "127.0.0.1", PEOPLE, JOINS - 1) == 0
        assert _joins(symptom, "127.0.0.1", PEOPLE, 50) == 1
    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith(f"platform jitsi: {JOINS} joins by {PEOPLE} different participants")
    assert "came from 127.0.0.1, a loopback address" in message
    assert "X-Forwarded-For" in message
    assert "trusted_proxies" in message


def test_a_private_network_address_is_named_as_such(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="remit.api"):
        assert _joins(ProxySymptom(), "172.18.0.4", PEOPLE, JOINS) == 1  # a Docker network
    assert "a private address" in caplog.records[0].getMessage()


def test_one_person_rejoining_from_their_own_machine_is_not_a_proxy() -> None:
    assert _joins(ProxySymptom(), "10.0.0.7", PEOPLE - 1, 100) == 0


def test_placed_public_or_absent_addresses_are_not_the_symptom() -> None:
    symptom = ProxySymptom()
    for n in range(100):
        who = f"p{n}@example.org"
        assert not symptom.observe("jitsi", "127.0.0.10", HERE, who)  # the operator's table
        assert not symptom.observe("jitsi", "8.8.8.8", UNKNOWN, who)  # public, just unknown
        assert not symptom.observe("jitsi", None, UNKNOWN, who)  # a dial-in, by number
        assert not symptom.observe("jitsi", "not an address", UNKNOWN, who)


def test_each_platform_and_address_is_named_on_its_own() -> None:
    symptom = ProxySymptom()
    assert _joins(symptom, "127.0.0.1", PEOPLE, JOINS, platform="jitsi") == 1
    assert _joins(symptom, "127.0.0.1", PEOPLE, JOINS, platform="visitors") == 1
    assert _joins(symptom, "::1", PEOPLE, JOINS, platform="jitsi") == 1
    assert _joins(symptom, "127.0.0.1", PEOPLE, JOINS, platform="jitsi") == 0


def test_the_addresses_followed_are_bounded() -> None:
    symptom = ProxySymptom(tracked=8)
    for n in range(1000):
        symptom.observe("jitsi", f"10.0.{n // 250}.{n % 250}", UNKNOWN, "p@example.org")
    assert len(symptom._seen) <= 8
