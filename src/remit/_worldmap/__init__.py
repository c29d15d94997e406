"""A world map as inline SVG, drawn on the server: no script, no external file.

The boundaries are Natural Earth's 1:110m admin-0 countries (public domain; see README.md beside
this file and ``countries-110m.json``'s own ``licence``), simplified and projected once by
``tools/worldmap.py``. :func:`world_map` shades the countries an order's scope covers, those its
authority's jurisdiction covers beyond the scope, and the countries of which the scope names only
a part (a province, a region), and puts a dot, sized by the count, on each country with
participants. Places too small for 1:110m (Hong Kong, Macao, ...) are drawn as points.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from remit import jurisdictions
from remit.errors import InvalidInput

__all__ = ["FILLS", "LICENCE", "map_data", "shading", "world_map"]

#: The fill of each kind of country, and of the rest.
FILLS = {
    "scope": "#b3261e",
    "partly": "#e8928a",
    "jurisdiction": "#f2cf9d",
    "other": "#dcdcdc",
}
DOT = "#1f4e79"
LICENCE = "Made with Natural Earth (public domain)"


@cache
def map_data() -> dict[str, Any]:
    """The shipped boundaries: ``countries`` (ISO alpha-2 -> SVG path), ``centres``, ``points``,
    ``width``, ``height``, ``source`` and ``licence``."""
    text = resources.files(__name__).joinpath("countries-110m.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _width(text: str) -> int:
    """About how wide ``text`` is at 10 px: a CJK character is about twice a Latin one."""
    return sum(10 if ord(c) >= 0x2E80 else 6 for c in text)


def _places(codes: Iterable[str]) -> tuple[set[str], set[str]]:
    """The countries ``codes`` cover whole, and those of which they name only a part."""
    whole: set[str] = set()
    part: set[str] = set()
    for code in codes:
        try:
            place = jurisdictions.get(code)
        except InvalidInput:
            continue  # "*" (everywhere, as asked) or a code remit does not know: nothing drawn
        if place.kind == "subdivision":
            part.add(place.code[:2])
        else:
            whole |= {p for p in place.places if len(p) == 2}
    return whole, part - whole


def shading(scope: Iterable[str], jurisdiction: Iterable[str]) -> dict[str, str]:
    """Each country's kind on the map: ``scope``, ``partly`` (the scope names a part of it) or
    ``jurisdiction`` (inside the authority's jurisdiction, outside the scope); others absent."""
    in_scope, partly = _places(scope)
    in_law, law_partly = _places(jurisdiction)
    kinds = dict.fromkeys(in_law | law_partly, "jurisdiction")
    kinds.update(dict.fromkeys(partly, "partly"))
    kinds.update(dict.fromkeys(in_scope, "scope"))
    return kinds


def world_map(
    scope: Iterable[str],
    jurisdiction: Iterable[str],
    participants: Mapping[str, int],
    *,
    title: str,
    legend: Mapping[str, str],
    ident: str,
) -> str:
    """The map as an ``<svg>``: ``scope`` shaded, the rest of ``jurisdiction`` lighter, a dot per
    country of ``participants`` (by country code; ``unknown`` and codes not on the map are left
    out). ``legend`` names ``scope``, ``partly``, ``jurisdiction`` and ``participants`` in the
    page's language; ``ident`` prefixes the SVG's ids."""
    data = map_data()
    kinds = shading(scope, jurisdiction)
    width, height = data["width"], data["height"]
    tid = f"{ident}-title"
    out = [
        f'<svg id="{escape(ident)}" class="worldmap" viewBox="0 0 {width} {height + 24}" '
        f'role="img" aria-labelledby="{escape(tid)}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(tid)}">{escape(title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#f4f8fb"/>',
        '<g stroke="#ffffff" stroke-width="0.4">',
    ]
    for code, d in data["countries"].items():
        kind = kinds.get(code, "other")
        out.append(
            f'<path data-code="{code}" data-kind="{kind}" fill="{FILLS[kind]}" d="{d}">'
            f"<title>{code}</title></path>"
        )
    for code, (x, y) in data["points"].items():
        kind = kinds.get(code, "other")
        out.append(
            f'<circle data-code="{code}" data-kind="{kind}" fill="{FILLS[kind]}" cx="{x}" '
            f'cy="{y}" r="2.2"><title>{code}</title></circle>'
        )
    out.append("</g>")
    centres = {**data["centres"], **data["points"]}
    out.append(f'<g fill="{DOT}" fill-opacity="0.8" stroke="#ffffff" stroke-width="0.8">')
    for code, n in sorted(participants.items()):
        if code not in centres or n <= 0:
            continue
        x, y = centres[code]
        r = min(14.0, 2.5 + 2.0 * math.sqrt(n))
        label = escape(f"{code}: {n} {legend.get('participants', '')}".strip())
        out.append(
            f'<circle class="dot" data-code="{code}" data-count="{n}" cx="{x}" cy="{y}" '
            f'r="{r:.1f}"><title>{label}</title></circle>'
        )
    out.append("</g>")
    x = 6
    out.append('<g font-size="10" font-family="sans-serif" fill="#222222">')
    for kind in ("scope", "partly", "jurisdiction"):
        text = escape(legend.get(kind, kind))
        out.append(
            f'<rect x="{x}" y="{height + 7}" width="10" height="10" fill="{FILLS[kind]}"/>'
            f'<text x="{x + 14}" y="{height + 16}">{text}</text>'
        )
        x += 24 + _width(legend.get(kind, kind))
    out.append(
        f'<circle cx="{x + 5}" cy="{height + 12}" r="4.5" fill="{DOT}"/>'
        f'<text x="{x + 14}" y="{height + 16}">{escape(legend.get("participants", ""))}</text>'
    )
    out.append(
        f'<text x="{width - 6}" y="{height + 16}" text-anchor="end" fill="#555555">'
        f"{escape(LICENCE)}</text>"
    )
    out.append("</g></svg>")
    return "".join(out)
