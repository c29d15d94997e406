"""The janus connector: remit as the token broker of a Janus VideoRoom (docs/connectors/janus.md).

remit decides each join and hands out the room's join token; Janus's event handler tells remit
who joined from where; removals revoke the token and kick the publisher.
"""

from remit.connectors.janus._client import JanusAPI
from remit.connectors.janus._connector import JanusConnector
from remit.connectors.janus._tickets import feed_id, read_token, token

__all__ = ["JanusAPI", "JanusConnector", "feed_id", "read_token", "token"]
