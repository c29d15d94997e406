"""An enforcer reads a platform's settings again every ``PLATFORM_REFRESH_S``: a rotated secret
reaches the deliveries of every node that shares the database, with no restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import remit.enforcement._enforcer as enforcer_module
from remit.connectors import RecordingConnector
from remit.enforcement import Command, CommandStatus, Enforcer, Platform
from remit.enforcement._memory import MemoryEnforcementStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _command(n: int) -> Command:
    return Command(
        key=f"remove/ord-1/ses-{n}", platform="meet", type="participant.remove", data={},
        order_id="ord-1", session_id=f"ses-{n}", status=CommandStatus.PENDING, created_at=NOW,
        next_attempt_at=NOW, deadline=NOW + timedelta(minutes=15),
    )  # fmt: skip


def test_new_settings_are_used_once_the_refresh_time_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    monkeypatch.setattr(enforcer_module, "monotonic", lambda: now[0])
    store = MemoryEnforcementStore()
    store.add_platform(Platform("meet", "recorder", {"secret": "old"}, NOW))
    recorder = RecordingConnector("recorder")
    enforcer = Enforcer(store, {"recorder": recorder}, clock=lambda: NOW, active_orders=list)
    try:
        store.enqueue([_command(1)])
        enforcer.deliver_due()
        store.save_platform_settings("meet", {"secret": "new"})  # another node rotated it
        store.enqueue([_command(2)])
        enforcer.deliver_due()
        now[0] += enforcer_module.PLATFORM_REFRESH_S + 0.1
        store.enqueue([_command(3)])
        enforcer.deliver_due()
    finally:
        enforcer.stop()
    assert [d.platform.settings["secret"] for d in recorder.attempts] == ["old", "old", "new"]
