"""Bar charts as plain data for inline SVG: no JavaScript, no external library.

Each bar keeps its number, which the templates print beside it, and every chart is followed by
a table of the same figures, so a screen reader or a text browser loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 520  # the SVG's width in user units; it scales with the page
LABEL = 210  # room for the labels on the left: a place's name and code
BAR = 16  # height of one series' bar
GAP = 12


@dataclass(frozen=True)
class Bar:
    """One bar: its series (a CSS class), its value and where it is drawn."""

    series: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Group:
    """The bars of one label (a country, a jurisdiction)."""

    label: str
    y: float
    middle: float  # where the label's baseline goes
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    """A grouped horizontal bar chart: one group per label, one bar per series."""

    groups: tuple[Group, ...]
    width: int
    height: int
    label_width: int


def grouped(
    labels: Sequence[str], series: Sequence[str], values: Mapping[str, Mapping[str, int]]
) -> Chart:
    """A chart of ``values[series][label]``, every bar scaled to the largest value."""
    biggest = max((v for by in values.values() for v in by.values()), default=0) or 1
    room = WIDTH - LABEL - 40
    bar, row = BAR, BAR * max(len(series), 1)
    groups = []
    for n, label in enumerate(labels):
        top = GAP + n * (row + GAP)
        bars = tuple(
            Bar(
                name,
                int(values.get(name, {}).get(label, 0)),
                LABEL,
                top + k * bar,
                room * int(values.get(name, {}).get(label, 0)) / biggest,
                bar - 2,
            )
            for k, name in enumerate(series)
        )
        groups.append(Group(label, top, top + row / 2 + 4, bars))
    height = GAP + len(labels) * (row + GAP)
    return Chart(tuple(groups), WIDTH, height, LABEL)
