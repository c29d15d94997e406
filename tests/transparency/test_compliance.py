"""Compliance as Lumen and Google count it: full only when remit did what was asked, where it was
asked; partial when it did less, with each refused part and its reason."""

from __future__ import annotations

import pytest

from remit.orders import RequestedAction, Status
from remit.transparency.compliance import classify

A = RequestedAction
ACTIVE = Status.ACTIVE


@pytest.mark.parametrize(
    ("actions", "asked", "enforced", "outcome"),
    [
        ([A.REMOVE_PARTICIPANTS], ["CN"], ["CN"], "complied_fully"),
        ([A.BLOCK_ACCESS], ["CN-BJ"], ["CN-BJ"], "complied_fully"),
        ([A.BLOCK_ACCESS], ["CN-BJ", "CN-SH"], ["CN"], "complied_fully"),  # covered by CN
        ([A.REMOVE_PARTICIPANTS], ["CN"], ["CN-BJ"], "complied_partly"),  # narrowed
        ([A.REMOVE_PARTICIPANTS], ["*"], ["CN"], "complied_partly"),  # beyond the jurisdiction
        ([A.REMOVE_PARTICIPANTS], ["CN", "HK"], ["CN"], "complied_partly"),  # HK is not CN's
        ([A.DELETE_ACCOUNT], ["CN"], ["CN"], "complied_partly"),  # accounts: never
        ([A.SUSPEND_ACCOUNT, A.REMOVE_PARTICIPANTS], ["CN"], ["CN"], "complied_partly"),
        ([A.DELETE_MEETING], ["CN"], ["CN"], "complied_partly"),  # unavailable in CN instead
    ],
)
def test_full_only_when_done_as_asked_where_asked(
    actions: list[RequestedAction], asked: list[str], enforced: list[str], outcome: str
) -> None:
    assert classify(ACTIVE, "CN", actions, asked, enforced).outcome == outcome


def test_undecided_and_rejected_demands() -> None:
    assert classify(Status.REJECTED, "CN", [A.DELETE_ACCOUNT], ["*"], None).outcome == "rejected"
    for status in (Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION_REQUESTED):
        assert classify(status, "CN", [A.BLOCK_ACCESS], ["CN"], None).outcome == "pending"


def test_the_2020_demand_says_what_was_refused_and_why() -> None:
    found = classify(ACTIVE, "CN", [A.DELETE_ACCOUNT], ["*"], ["CN"])
    assert found.refused == (
        "delete_account: remit never acts on an account; the account's resources are "
        "unavailable inside the scope only",
        "everywhere: outside the authority's jurisdiction CN; enforced in CN only",
    )
    narrowed = classify(ACTIVE, "UA", [A.BLOCK_ACCESS], ["UA"], ["UA-30"])
    assert narrowed.refused == ("UA: narrowed by a reviewer to UA-30",)
    assert classify(ACTIVE, "CN", [A.BLOCK_ACCESS], ["CN"], ["CN"]).refused == ()
