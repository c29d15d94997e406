"""Plain-text tables for a terminal: columns aligned by display width (CJK counts double)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """The columns ``text`` takes in a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, most: int) -> str:
    """``text`` on one line, cut to ``most`` columns with an ellipsis."""
    flat = " ".join(text.split())
    if width(flat) <= most:
        return flat
    out, used = [], 0
    for c in flat:
        w = width(c)
        if used + w > most - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[object]], indent: int = 2) -> list[str]:
    """Lines of a table: the header in capitals, then the rows, columns two spaces apart."""
    cells = [[str(h).upper() for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [c + " " * (widths[i] - width(c)) for i, c in enumerate(row)]
        lines.append((" " * indent + "  ".join(parts)).rstrip())
    return lines


#: Punctuation that never starts a line in Chinese or Japanese text.
_CLOSING = frozenset("，。、；：！？）」』”》")


def wrap(text: str, most: int) -> list[str]:
    """``text`` in lines of at most ``most`` columns: Latin text breaks between words, Chinese
    and Japanese text between any two characters (a word longer than a line is cut)."""
    tokens: list[str] = []
    word = ""
    for c in " ".join(text.split()):
        if c == " " or width(c) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(c)
        else:
            word += c
    if word:
        tokens.append(word)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token == " " and not line:
            continue
        fits = width(line) + width(token) <= most or token in _CLOSING
        if not fits and line.strip():
            lines.append(line.rstrip())
            line = "" if token == " " else token
        else:
            line += token
        while width(line) > most + 2:  # one word longer than a line (punctuation may hang)
            lines.append(clip(line, most + 1)[:-1])
            line = line[len(lines[-1]) :]
    if line.strip():
        lines.append(line.rstrip())
    return lines
