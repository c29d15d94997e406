"""Joins, leaves and moves from many connections at once: committed together, each answered only
once it is on the roster, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from api_helpers import Api

MEETING = {"type": "meeting", "id": "june4-a", "host": "host-us-1"}
WORKERS = 8
JOINS = 25


def _work(api: Api, worker: int, out: dict[str, list[Any]]) -> None:
    try:
        for n in range(JOINS):
            body = {
                "resource": MEETING,
                "participant": {"id": f"p{worker}-{n}", "ip": "127.0.0.50"},
            }
            joined = api.call("POST", "/v1/sessions", "platform", json=body)
            out["answers"].append(joined.status_code)
            if joined.status_code != 201:
                continue
            sid = joined.json()["id"]
            out["joined"].append(sid)
            if n % 5 == 0:
                moved = api.call(
                    "PATCH", f"/v1/sessions/{sid}", "platform", json={"ip": "127.0.0.20"}
                )
                out["answers"].append(moved.status_code)
            if n % 2 == 0:
                left = api.call("DELETE", f"/v1/sessions/{sid}", "platform")
                out["answers"].append(left.status_code)
                if left.status_code == 200 and left.json()["status"] == "left":
                    out["left"].append(sid)
    except Exception as exc:  # the test fails on it
        out["errors"].append(repr(exc))


def test_concurrent_joins_and_leaves_are_all_on_the_roster_as_acknowledged(api: Api) -> None:
    out: dict[str, list[Any]] = {"answers": [], "joined": [], "left": [], "errors": []}
    threads = [threading.Thread(target=_work, args=(api, w, out)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert out["errors"] == []
    assert set(out["answers"]) <= {200, 201}, sorted(set(out["answers"]))
    assert len(out["joined"]) == WORKERS * JOINS
    assert api.node.enforcer is not None
    store = api.node.enforcer.store
    live = {s.id: s for s in store.live_sessions()}
    # Each one left is counted and gone from the roster; each other one is live.
    assert set(live) == set(out["joined"]) - set(out["left"])
    counted = store.attendance_of(["june4-a"], [], api.clock())
    assert sum(a.count for a in counted) == len(out["left"])
    # Moved to 127.0.0.20: the live ones placed there, and the ones that left counted there.
    assert {s.location.country for s in live.values()} >= {"HK"}
    assert {a.location.country for a in counted} == {"HK", "US"}
    stats = api.node.enforcer.roster.stats
    writes = len(out["answers"])
    assert stats.latency.count == writes
    assert stats.batches.count < writes  # several writes shared a transaction


def test_a_second_leave_or_a_move_once_left_or_of_no_session_is_refused(
    api: Api,
) -> None:
    body = {"resource": MEETING, "participant": {"id": "p1", "ip": "127.0.0.50"}}
    sid = api.call("POST", "/v1/sessions", "platform", json=body).json()["id"]
    assert api.call("DELETE", f"/v1/sessions/{sid}", "platform").json()["status"] == "left"
    # It left: counted, and no row of it stays, so a second leave or a move finds nothing.
    again = api.call("DELETE", f"/v1/sessions/{sid}", "platform")
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"
    moved = api.call("PATCH", f"/v1/sessions/{sid}", "platform", json={"ip": "127.0.0.20"})
    assert moved.status_code == 404
    assert moved.headers["content-type"] == "application/problem+json"
    assert api.call("DELETE", "/v1/sessions/ses_nobody", "platform").status_code == 404
