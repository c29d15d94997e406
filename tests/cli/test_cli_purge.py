"""``remit purge``: personal data past the retention limit goes now; --dry-run only counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from remit.cli import cli
from remit.enforcement import (
    REMOVE,
    Command,
    CommandStatus,
    Session,
    SessionStatus,
)
from remit.errors import NotFound
from remit.location import Location
from remit.policy import Resource
from remit.store import SqlEnforcementStore, open_enforcement_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'remit.sqlite3'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    return url


@pytest.fixture
def store(db: str) -> Iterator[SqlEnforcementStore]:
    opened = open_enforcement_store(db)
    yield opened
    opened.close()


def attended(store: SqlEnforcementStore, sid: str, days_ago: float) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    store.add_session(
        Session(
            id=sid,
            platform="meet",
            resource=Resource("meeting", "june4-a", "host-us-1"),
            participant=f"person-{sid}",
            location=Location("CN", None, "iptocc"),
            joined_at=at - timedelta(hours=1),
            language="zh-Hans",
        )
    )
    store.enqueue(
        [
            Command(
                key=f"remove/ord-1/{sid}",
                platform="meet",
                type=REMOVE,
                data={"session_id": sid, "participant": {"id": f"person-{sid}"}, "place": "CN"},
                order_id="ord-1",
                session_id=sid,
                status=CommandStatus.DELIVERED,
                created_at=at,
                next_attempt_at=at,
                deadline=at + timedelta(minutes=15),
                delivered_at=at,
            )
        ]
    )
    store.end_session(sid, SessionStatus.LEFT, at)  # a removal's row: kept to the limit


def test_purge_reports_what_it_removed(db: str, store: SqlEnforcementStore) -> None:
    attended(store, "old", days_ago=40)
    attended(store, "recent", days_ago=3)

    result = CliRunner().invoke(cli, ["purge", "--db", db])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cut-off: ")
    assert lines[0].endswith("(30 days ago)")
    assert lines[1:] == ["sessions purged: 1", "commands purged: 1"]
    with pytest.raises(NotFound):  # counted when it ended; the row is gone
        store.get_session("old")
    assert store.get_command("remove/ord-1/old").data == {"session_id": "old", "place": "CN"}
    assert store.get_session("recent").participant == "person-recent"
    again = CliRunner().invoke(cli, ["purge", "--db", db])
    assert again.stdout.splitlines()[1:] == ["sessions purged: 0", "commands purged: 0"]


def test_a_shorter_limit_from_the_option_or_the_environment(
    db: str, store: SqlEnforcementStore
) -> None:
    attended(store, "a", days_ago=5)
    attended(store, "b", days_ago=3)
    result = CliRunner().invoke(cli, ["purge", "--retention-days", "4", "--db", db])
    assert result.exit_code == 0, result.output
    assert "sessions purged: 1" in result.stdout
    result = CliRunner().invoke(cli, ["purge", "--db", db], env={"REMIT_RETENTION_DAYS": "2"})
    assert result.exit_code == 0, result.output
    assert "(2 days ago)" in result.stdout
    assert "sessions purged: 1" in result.stdout


def test_a_dry_run_counts_and_changes_nothing(db: str, store: SqlEnforcementStore) -> None:
    attended(store, "old", days_ago=40)
    before = (store.get_session("old"), store.get_command("remove/ord-1/old"))

    result = CliRunner().invoke(cli, ["purge", "--dry-run", "--db", db])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "sessions would be purged (dry run): 1",
        "commands would be purged (dry run): 1",
    ]
    assert (store.get_session("old"), store.get_command("remove/ord-1/old")) == before


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--retention-days", "0"], {}),
        (["--retention-days", "-3"], {}),
        (["--retention-days", "thirty"], {}),
        (["--retention-days", "1.5"], {}),
        (["--retention-days", "3651"], {}),
        ([], {"REMIT_RETENTION_DAYS": "forever"}),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    db: str, store: SqlEnforcementStore, args: list[str], env: dict[str, str]
) -> None:
    attended(store, "old", days_ago=40)
    result = CliRunner().invoke(cli, ["purge", *args, "--db", db], env=env)
    assert result.exit_code == 2, result.output
    assert "retention-days" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert store.get_session("old").participant == "person-old"


def test_an_unmigrated_database_exits_2_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["purge", "--db", f"sqlite:///{tmp_path / 'new.sqlite3'}"])
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"sqlite:///{tmp_path / 'new.sqlite3'} does not exist" in result.stderr
    assert "--db" in result.stderr
