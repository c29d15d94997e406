"""The LiveKit connector: tokens only for admitted participants, the roster from LiveKit's signed
webhooks (reconciled with LiveKit's rooms, for webhooks that were lost), and removals through
LiveKit's RoomService. See docs/connectors/livekit.md."""

from remit.connectors.livekit._connector import NOTICE_TOPIC, LiveKitConnector
from remit.connectors.livekit._endpoints import ENDPOINTS
from remit.connectors.livekit._seal import ATTRIBUTE, Sealed, seal, unseal

__all__ = ["ATTRIBUTE", "ENDPOINTS", "NOTICE_TOPIC", "LiveKitConnector", "Sealed", "seal", "unseal"]
