"""A connector's settings, checked one way for every connector.

A connector lists its settings as :class:`Setting` values and its ``configure()`` returns
``checked_settings(name, options, SETTINGS)``: every connector then refuses the same mistakes
with the same one-line message naming the setting (``InvalidConfiguration`` with ``field``), as
``remit platform add`` prints it:

- an option that is not one of its settings: ``colour: not a setting of the janus connector
  (url, room_secret, …)``;
- a required setting missing or blank: ``url: the janus connector needs Janus's HTTP API URL…``;
- a value its check refuses: ``url: 'ftp://x' is not an http(s) URL``.

A setting absent (or blank) is stored only when it has a ``make``: a value made then, such as a
new secret, which is shown to the operator once when ``show_made``. The checks below
(:func:`http_url`, :func:`webhook_secret`, :func:`whole_number`) are the ones several connectors
share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from remit._checks import ascii_digits
from remit._urls import has_credentials, shown_url
from remit.errors import InvalidConfiguration


def _as_given(value: str) -> str:
    return value


@dataclass(frozen=True)
class Setting:
    """One setting of a connector (``remit platform add --setting NAME=VALUE``)."""

    name: str
    #: For a required setting: what the connector needs, for the message when it is missing
    #: ("Janus's HTTP API URL, such as http://127.0.0.1:8088/janus"). None: optional.
    needs: str | None = None
    #: The value to store from the one given (stripped of surrounding blanks); raises
    #: ``ValueError`` saying why a value cannot be used.
    check: Callable[[str], str] = _as_given
    #: Makes the value when none is given (a new secret); None: absent stays absent.
    make: Callable[[], str] | None = None
    #: Whether a made value is shown to the operator once (a secret the platform must know).
    show_made: bool = False


def checked_settings(
    connector: str, options: Mapping[str, str], settings: Sequence[Setting]
) -> tuple[dict[str, str], dict[str, str]]:
    """The settings to store from the operator's ``options``, and the values to show once."""
    names = [s.name for s in settings]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise InvalidConfiguration(
            f"{unknown[0]}: not a setting of the {connector} connector ({', '.join(names)})",
            field=unknown[0],
        )
    stored: dict[str, str] = {}
    shown: dict[str, str] = {}
    for setting in settings:
        value = options.get(setting.name, "").strip()
        if not value:
            if setting.needs is not None:
                raise InvalidConfiguration(
                    f"{setting.name}: the {connector} connector needs {setting.needs}",
                    field=setting.name,
                )
            if setting.make is None:
                continue
            stored[setting.name] = setting.make()
            if setting.show_made:
                shown[setting.name] = stored[setting.name]
            continue
        try:
            stored[setting.name] = setting.check(value)
        except ValueError as exc:
            raise InvalidConfiguration(f"{setting.name}: {exc}", field=setting.name) from exc
    return stored, shown


def http_url(value: str) -> str:
    """An absolute http(s) URL, as given, without credentials in it: a URL is shown (in
    errors, logs, the console), its secrets would be too. The refusal never repeats them."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{shown_url(value)!r} is not an http(s) URL")
    if has_credentials(value):
        raise ValueError(
            f"{shown_url(value)!r} has a user name or password in it (user:password@), which "
            "remit refuses: a URL is shown in errors and logs, and its secrets would be too"
        )
    return value


#: What a Standard Webhooks signing secret starts with.
SECRET_PREFIX = "whsec_"


def webhook_secret(value: str) -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and base64."""
    if not value.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX}")
    return value


def whole_number(low: int, high: int, *, what: str = "a whole number") -> Callable[[str], str]:
    """A check of a whole number from ``low`` to ``high``, stored as its digits."""

    def check(value: str) -> str:
        if not ascii_digits(value) or not low <= int(value) <= high:
            raise ValueError(f"{what} from {low} to {high}")
        return str(int(value))

    return check
