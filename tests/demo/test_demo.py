"""``remit demo`` as a person runs it: the story end to end, and one clear line for a bad file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from remit.demo import DemoPlatform, load_scenario
from remit.errors import InvalidConfiguration

STORY = Path(__file__).resolve().parents[2] / "src" / "remit" / "demo" / "story-2020.toml"


def remit(*args: str, timeout: float = 55) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "remit", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def test_the_story_runs_end_to_end_and_every_invariant_holds() -> None:
    done = remit("demo")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "remit demo: June 4th, 2020: four online commemorations" in out
    assert "-> 403 /problems/four-eyes" in out
    assert "status active, enforced scope CN, approved by sam (recorded by lin)" in out
    impact = out.split("impact preview", 1)[1]
    # The demand asked two things, recorded as two.
    assert re.search(r"host accounts  3 \(delete_meeting and delete_account\)  +0", impact)
    assert re.search(r"participants   40  +11", impact)
    removals = out.split("Removals, live", 1)[1].split("\n\n", 1)[0]
    assert "11 participant.remove webhooks" in removals
    assert "0 failed verification" in removals
    rejoin = out.split("try to rejoin", 1)[1].split("\n\n", 1)[0]
    assert rejoin.count(" 451 ") == 11
    assert "Ministry of Public Security (CN)" in rejoin
    assert "中国大陆" in rejoin
    for line in (
        "[ok] every removed participant was located in CN",
        "[ok] every participant outside CN is still in their meeting",
        "[ok] each participant in CN got exactly one removal",
        "[ok] no account was touched",
        "[ok] every removal carried a notice naming the authority",
        "[ok] every webhook verified (Standard Webhooks signature)",
    ):
        assert line in out
    assert "FAILED" not in out
    assert out.rstrip().endswith("checks hold")


def _story() -> dict[str, Any]:
    return tomllib.loads(STORY.read_text("utf-8"))


def test_a_scenario_of_ones_own_in_json(tmp_path: Path) -> None:
    story = _story()
    story["demand"]["received_at"] = "2020-06-01T09:00:00+08:00"
    story["roster"]["participants"] = story["roster"]["participants"][:10]  # june4-a only
    story["roster"].pop("late")
    story["approval"]["scope"] = ["CN-BJ"]
    story["places"]["127.0.1.12/32"] = "CN-BJ"
    path = tmp_path / "beijing.json"
    path.write_text(json.dumps(story))
    done = remit("demo", str(path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "enforced scope CN-BJ" in done.stdout
    assert "[ok] every removed participant was located in CN-BJ" in done.stdout
    assert "1 participant.remove webhooks" in done.stdout  # ling only: wei and hao stay


def test_a_broken_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(
        STORY.read_text("utf-8").replace('meeting = "june4-c"', 'meeting = "june4-z"', 1)
    )
    done = remit("demo", str(path), timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0
    assert "roster.participants[20].meeting: 'june4-z' is not one of the meetings" in done.stderr


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('approver = "sam"', 'approver = "lin"'), "people.approver: must be another person"),
        (('"127.0.7.0/24" = "GB"', '"127.0.7.0/24" = "EU"'), "places: "),
        (('ip = "127.0.1.11"', 'ip = "127.0.1.999"'), "roster.participants[1].ip: "),
        (('phone = "+86 138 0013 8000"', 'phone = "86"'), "roster.participants[3].phone: "),
        (('jurisdiction = "CN"', 'jurisdiction = "XX"'), "demand: authority.jurisdiction"),
        (('"delete_account"]', '"nuke"]'), "demand.request.actions[1]: "),
        (("[approval]", '[approval]\nscope = ["HK"]'), "approval.scope: "),
        (('host = "host-us-2"', 'host = "host-zz"'), "meetings[1].host: 'host-zz'"),
        (("title = ", "titel = "), ": unknown key"),
        (("[people]", "[people"), "is not valid TOML"),
    ],
)
def test_every_problem_names_its_place(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = STORY.read_text("utf-8")
    assert change[0] in text
    path = _write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(InvalidConfiguration) as caught:
        load_scenario(path)
    assert caught.value.message.startswith(f"scenario {path}: ")
    assert message in caught.value.message


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfiguration, match="cannot read it"):
        load_scenario(tmp_path / "nowhere.toml")


def test_the_shipped_story_reads() -> None:
    story = load_scenario()
    assert story.scope == ("CN",)
    assert len(story.meetings) == 4
    assert len({h.id for h in story.hosts}) == 3
    assert {h.country for h in story.hosts} == {"US", "HK"}
    assert len(story.participants) == 40
    assert sum(p.phone is not None for p in story.participants) >= 8
    assert story.recorder != story.approver


def _signed(platform: DemoPlatform, key: str, body: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": key,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(platform.secret).sign(key, now, body),
    }


def _removal_body() -> str:
    removal = {
        "session_id": "ses_1",
        "resource": {"type": "meeting", "id": "june4-a", "host": "host-us-1"},
        "participant": {"id": "wei"},
        "order_id": "o",
        "notice": {
            "kind": "removed", "language": "en", "direction": "ltr", "title": "Unavailable",
            "body": "Removed on a demand.", "order_id": "o", "appeal_url": "https://x.example/",
            "meeting_id": None,
        },
        "place": "CN",
    }  # fmt: skip
    return json.dumps(
        {"type": "participant.remove", "timestamp": "2020-06-04T00:00:00+00:00", "data": removal}
    )


def test_the_demo_platform_refuses_forged_webhooks_and_ignores_repeats() -> None:
    platform = DemoPlatform(secret="whsec_" + "A" * 43 + "=")
    platform.seat("june4-a", "ses_1", "wei")
    body = _removal_body()
    headers = _signed(platform, "remove/o/ses_1", body)
    forged = dict(headers, **{"webhook-signature": "v1,AAAA"})
    assert platform.take(body.encode(), forged) == 401
    assert platform.present("june4-a")[0].participant == "wei"
    assert platform.take(body.encode(), headers) == 204
    assert platform.take(body.encode(), headers) == 204
    assert platform.present("june4-a") == []
    assert (platform.bad_signatures, platform.repeats, len(platform.received)) == (1, 1, 1)
    assert platform.removals()[0][1].notice.title == "Unavailable"


def test_the_demo_platform_refuses_a_command_it_cannot_read() -> None:
    platform = DemoPlatform(secret="whsec_" + "A" * 43 + "=")
    platform.accounts["host-us-1"] = "active"
    wide = json.dumps(
        {"type": "account.suspend", "timestamp": "2020-06-04T00:00:00+00:00",
         "data": {"host": {"id": "host-us-1"}}}
    )  # fmt: skip
    assert platform.take(wide.encode(), _signed(platform, "account/o/host-us-1", wide)) == 400
    assert platform.accounts == {"host-us-1": "active"}
    assert len(platform.unreadable) == 1
    assert platform.received == []
