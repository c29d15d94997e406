"""The built-in webhook connector: commands as Standard Webhooks signed POST requests."""

from remit.connectors._settings import SECRET_PREFIX
from remit.connectors.webhook._connector import WebhookConnector, new_secret

__all__ = ["SECRET_PREFIX", "WebhookConnector", "new_secret"]
