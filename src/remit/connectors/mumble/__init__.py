"""The mumble connector: remit on a Murmur server (docs/connectors/mumble.md).

Two halves. Beside Murmur: ``remit-mumble`` (the standalone program :data:`BRIDGE`, run under the
system's Python 3 with Debian's Ice bindings) listens to Murmur's callbacks over its Ice
interface, asks remit when a user enters a channel, moves refused users out (or kicks them) with
remit's notice, and serves the HTTP endpoint remit's commands arrive at. In remit:
:class:`MumbleConnector` delivers those commands as Standard Webhooks signed POSTs.
"""

from remit.connectors.mumble._connector import BRIDGE, MumbleConnector

__all__ = ["BRIDGE", "MumbleConnector"]
