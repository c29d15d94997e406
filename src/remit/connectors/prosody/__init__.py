"""The prosody connector: remit on a Prosody MUC component (docs/connectors/prosody.md).

Two halves. In Prosody: ``mod_remit.lua`` (shipped in this package, see :data:`MODULE`) asks
remit at every join, refuses with remit's notice, reports leaves, and serves the HTTP endpoint
remit's commands arrive at. In remit: :class:`ProsodyConnector` delivers those commands as
Standard Webhooks signed POSTs.
"""

from remit.connectors.prosody._connector import MODULE, ProsodyConnector

__all__ = ["MODULE", "ProsodyConnector"]
