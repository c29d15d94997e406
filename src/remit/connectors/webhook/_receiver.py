"""The settings of a connector whose platform half receives remit's commands as signed webhooks:
the receiver's ``url`` and the ``secret`` it checks signatures with (Prosody's ``mod_remit``,
``remit-mumble``)."""

from __future__ import annotations

from remit.connectors.webhook._connector import SECRET_PREFIX, new_secret
from remit.errors import InvalidConfiguration

SETTINGS = ("url", "secret")


def receiver_settings(
    connector: str, receiver: str, example: str, options: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """``connector``'s settings from the operator's options: ``url``, where ``receiver`` listens
    (such as ``example``), and an optional ``secret``. A new secret is made when none is given,
    and returned as the value to show the operator once."""
    unknown = sorted(set(options) - set(SETTINGS))
    if unknown:
        raise InvalidConfiguration(
            f"{unknown[0]}: not a setting of the {connector} connector (url, secret)",
            field=unknown[0],
        )
    url = options.get("url")
    if not url:
        raise InvalidConfiguration(
            f"url: the {connector} connector needs {receiver}'s URL, such as {example}",
            field="url",
        )
    if not url.startswith(("http://", "https://")):
        raise InvalidConfiguration(f"url: {url!r} is not an http(s) URL", field="url")
    secret = options.get("secret") or new_secret()
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidConfiguration("secret: must start with whsec_", field="secret")
    shown = {} if "secret" in options else {"secret": secret}
    return {"url": url, "secret": secret}, shown
