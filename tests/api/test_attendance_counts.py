"""Attendance as counts (issue 15, item 2): when sessions end, the impact preview's recent
attendance is kept as counts and no person-level row stays, except a removal's; on SQLite and
PostgreSQL, through the API."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from api_helpers import Api

from remit.store._sql_engine import create, parse_url

# (participant, address, meeting): the static table places .10/.11 in CN, .20 HK, .50 US.
PEOPLE = [
    ("ann", "127.0.0.10", "june4-a"), ("bo", "127.0.0.11", "june4-a"),
    ("chen", "127.0.0.20", "june4-a"), ("dai", "127.0.0.50", "june4-b"),
    ("eli", "127.0.0.10", "book-club"),
]  # fmt: skip


def _join(api: Api, who: str, ip: str, meeting: str) -> str:
    host = "someone" if meeting == "book-club" else "host-us-1"  # a meeting not targeted
    body = {
        "resource": {"type": "meeting", "id": meeting, "host": host},
        "participant": {"id": f"person-{who}", "ip": ip, "language": "zh-Hans"},
    }
    joined = api.call("POST", "/v1/sessions", "platform", json=body)
    assert joined.status_code == 201, joined.text
    return str(joined.json()["id"])


def _impact(api: Api, order_id: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/orders/{order_id}/impact", "reviewer")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return {k: found[k] for k in ("as_asked", "planned", "outside_scope", "planned_by_source")}


def _rows(database_url: str, query: str) -> list[Any]:
    engine = create(parse_url(database_url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(query)))
    finally:
        engine.dispose()


def test_the_preview_counts_the_same_once_sessions_end_and_no_one_stays_on_record(
    api: Api, database_url: str
) -> None:
    sessions = {who: _join(api, who, ip, meeting) for who, ip, meeting in PEOPLE}
    order_id = api.record()
    live = _impact(api, order_id)
    assert live["as_asked"]["participants"] == 4  # june4-a and june4-b (hosted by host-us-1)
    assert live["as_asked"]["by_country"] == {"CN": 2, "HK": 1, "US": 1}
    assert live["planned"]["participants"] == 2  # the mainland ones

    api.clock.advance(hours=2)
    for sid in sessions.values():
        left = api.call("DELETE", f"/v1/sessions/{sid}", "platform")
        assert left.status_code == 200, left.text
    api.clock.advance(days=3)

    assert _impact(api, order_id) == live
    # No ended session that is not a removal keeps a person-level row ...
    assert _rows(database_url, "SELECT id FROM sessions") == []
    for sid in sessions.values():
        assert api.call("GET", f"/v1/sessions/{sid}", "platform").status_code in (404, 405)
    # ... and the counts name no one: resource, day, place and how many.
    counts = _rows(
        database_url,
        "SELECT resource_id, day, country, subdivision, count FROM attendance",
    )
    counts.sort(key=lambda row: (row[0], row[2], row[3] or ""))
    day = api.clock().date().isoformat()
    assert day > counts[0][1]
    assert [tuple(row) for row in counts] == [
        ("book-club", counts[0][1], "CN", None, 1),
        ("june4-a", counts[0][1], "CN", None, 1),
        ("june4-a", counts[0][1], "CN", "CN-BJ", 1),
        ("june4-a", counts[0][1], "HK", None, 1),
        ("june4-b", counts[0][1], "US", None, 1),
    ]
    everything = " ".join(str(v) for row in _rows(database_url, "SELECT * FROM attendance")
                          for v in row)  # fmt: skip
    assert "person-" not in everything

    # Past the preview's 30 days they are no longer counted.
    api.clock.advance(days=31)
    later = _impact(api, order_id)
    assert later["as_asked"]["participants"] == 0


def test_a_removal_keeps_its_row_until_the_retention_limit(api: Api, database_url: str) -> None:
    ann = _join(api, "ann", "127.0.0.10", "june4-a")
    chen = _join(api, "chen", "127.0.0.20", "june4-a")
    order_id = api.record()
    approved = api.call(
        "POST", f"/v1/orders/{order_id}/approve", "reviewer", json={"justification": "ok"}
    )
    assert approved.status_code == 200, approved.text
    for sid in (ann, chen):  # ann is removed (she leaves as told), chen leaves on his own
        assert api.call("DELETE", f"/v1/sessions/{sid}", "platform").status_code == 200
    kept = _rows(database_url, "SELECT id, participant FROM sessions")
    assert [tuple(row) for row in kept] == [(ann, "person-ann")]  # what an appeal needs
    removal = _rows(
        database_url, f"SELECT data FROM commands WHERE session_id = '{ann}'"
    )  # the order and the notice stay with the removal
    assert len(removal) == 1
    assert "notice" in str(removal[0][0])

    assert api.node.enforcer is not None
    api.clock.advance(days=31)
    api.node.enforcer.purge()
    assert _rows(database_url, "SELECT id FROM sessions") == []
    assert sum(row[0] for row in _rows(database_url, "SELECT count FROM attendance")) == 2
