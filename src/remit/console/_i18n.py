"""Interface strings in English and Chinese (simplified), and choosing between them.

The message ids are the English strings; :data:`ZH` holds their translations. A test reads every
``_("…")`` in the templates and every :func:`N_` in the code and fails when one has no
translation, so a new string cannot ship in English only. What remit's core says (an error's
detail, a notice) comes in English from the layers below and is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request

from remit.console._en import EN
from remit.console._zh import ZH

LANG_COOKIE = "remit_lang"
#: Language codes the console offers, with the tag for ``<html lang>`` and the name to show.
LANGUAGES: dict[str, tuple[str, str]] = {"en": ("en", "English"), "zh": ("zh-Hans", "中文")}

Translate = Callable[..., str]


def N_(text: str) -> str:
    """Mark ``text`` as an interface string translated where it is shown."""
    return text


#: The reasons remit itself writes in an order's history (the lifecycle's and the appeals'),
#: shown translated; a person's own reason is shown as they wrote it.
SYSTEM_REASONS = (
    N_("recorded as received"),
    N_("review started"),
    N_("effective_from reached"),
    N_("effective_until reached"),
)
_APPEAL_FILED = re.compile(r"appeal (\S+) filed")


def history_reason(reason: str, translate: Translate) -> str:
    """A step's reason in the page's language when remit wrote it, else as written."""
    if reason in SYSTEM_REASONS:
        return translate(reason)
    filed = _APPEAL_FILED.fullmatch(reason)
    if filed:
        return translate(N_("appeal {appeal} filed"), appeal=filed.group(1))
    return reason


#: What remit's core says when it refuses a step, as templates of its English messages: a
#: message that matches one is shown in the page's language with its values filled in; any
#: other is shown as it is.
SYSTEM_ERRORS = (
    N_("{actor} recorded this order and cannot also approve it: a second person must"),
    N_(
        "{field}: {code} lies outside the authority's jurisdiction {jurisdiction}; "
        "a scope can narrow a jurisdiction, never widen it"
    ),
    N_("{field}: a scope names at least one place"),
    N_("{field}: must be a non-empty string of at most {limit} characters"),
    N_("cannot {action} an order that is {status} (only when {allowed})"),
)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts)
    )
    return re.compile(regex)


_ERROR_PATTERNS = tuple((template, _pattern(template)) for template in SYSTEM_ERRORS)


def error_text(message: str, translate: Translate) -> str:
    """A refusal's message in the page's language: an interface string, one of
    :data:`SYSTEM_ERRORS` with its values, or else as remit's core said it."""
    found = translate(message)
    if found != message:
        return found
    for template, pattern in _ERROR_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return translate(template, **match.groupdict())
    return message


def pick(request: Request) -> str:
    """The viewer's language: their choice (a cookie), else their browser's, else English."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def translator(language: str) -> Translate:
    """``_(text, **values)``: ``text`` in ``language``, with ``{name}`` fields filled in."""
    table = ZH if language == "zh" else EN

    def translate(text: str, **values: object) -> str:
        found = table.get(text, text)
        return found.format(**values) if values else found

    return translate
