"""The livekit connector (being written: see issue 6)."""
