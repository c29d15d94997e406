"""The settings of a connector whose platform half receives remit's commands as signed webhooks:
the receiver's ``url`` and the ``secret`` it checks signatures with (Prosody's ``mod_remit``,
``remit-mumble``)."""

from __future__ import annotations

from remit.connectors._settings import Setting, checked_settings, http_url, webhook_secret
from remit.connectors.webhook._connector import new_secret


def receiver_settings(
    connector: str, receiver: str, example: str, options: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """``connector``'s settings from the operator's options: ``url``, where ``receiver`` listens
    (such as ``example``), and an optional ``secret``. A new secret is made when none is given,
    and returned as the value to show the operator once."""
    settings = (
        Setting("url", needs=f"{receiver}'s URL, such as {example}", check=http_url),
        Setting("secret", check=webhook_secret, make=new_secret, show_made=True),
    )
    return checked_settings(connector, options, settings)
