"""URLs as remit shows them: never with credentials, a query or a fragment.

A platform's URL may carry a secret (``http://user:password@host/x?key=K``). Wherever remit shows
one (a command's ``last_error`` in the API and the console's live view, a log line, a CLI
message) it goes through :func:`redact_urls`, which keeps the scheme, host, port and path and
drops the rest: ``http://host/x?…``. One function, so that no way of showing a URL forgets.
Imports nothing of remit's.
"""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["has_credentials", "redact_urls", "shown_url"]

#: A URL inside free text: a scheme, ``://`` and everything up to a blank or a quote.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
#: Punctuation that ends a sentence rather than a URL ("… at http://host/x.").
_TRAILING = ".,;:!)]}"


def shown_url(url: str) -> str:
    """``url`` with no user name or password, and its query and fragment shown as ``?…`` and
    ``#…``: what remit may print of it."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    authority, tail = rest[:end], rest[end:]
    host = authority.rpartition("@")[2]
    path, query, fragment = tail, "", ""
    if "#" in path:
        path, fragment = path.split("#", 1)[0], "#…"
    if "?" in path:
        path, query = path.split("?", 1)[0], "?…"
    return f"{scheme}://{host}{path}{query}{fragment}"


def redact_urls(text: str) -> str:
    """``text`` with every URL in it as :func:`shown_url` shows it."""

    def one(found: re.Match[str]) -> str:
        url = found.group(0)
        kept = len(url.rstrip(_TRAILING))
        return shown_url(url[:kept]) + url[kept:]

    return _URL.sub(one, text)


def has_credentials(url: str) -> bool:
    """Whether ``url`` names a user or a password (``user:password@host``)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "@" in url.partition("://")[2].split("/", 1)[0]
    return parts.username is not None or parts.password is not None
