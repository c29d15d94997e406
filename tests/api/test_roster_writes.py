"""Joins, leaves and moves from many connections at once: committed together, each answered only
once it is on the roster, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from api_helpers import Api

from remit.enforcement import SessionStatus

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
    for sid in out["joined"]:
        session = store.get_session(sid)
        expected = SessionStatus.LEFT if sid in out["left"] else SessionStatus.LIVE
        assert session.status is expected, sid
    moved = [store.get_session(s) for s in out["joined"][::5]]
    assert {s.location.country for s in moved} >= {"HK"}  # moved to 127.0.0.20
    stats = api.node.enforcer.roster.stats
    writes = len(out["answers"])
    assert stats.latency.count == writes
    assert stats.batches.count < writes  # several writes shared a transaction


def test_a_second_leave_changes_nothing_and_a_move_once_ended_or_of_no_session_is_refused(
    api: Api,
) -> None:
    body = {"resource": MEETING, "participant": {"id": "p1", "ip": "127.0.0.50"}}
    sid = api.call("POST", "/v1/sessions", "platform", json=body).json()["id"]
    assert api.call("DELETE", f"/v1/sessions/{sid}", "platform").json()["status"] == "left"
    again = api.call("DELETE", f"/v1/sessions/{sid}", "platform")
    assert again.status_code == 200
    assert again.json()["status"] == "left"
    moved = api.call("PATCH", f"/v1/sessions/{sid}", "platform", json={"ip": "127.0.0.20"})
    assert moved.status_code == 409
    assert moved.headers["content-type"] == "application/problem+json"
    assert api.call("DELETE", "/v1/sessions/ses_nobody", "platform").status_code == 404
