"""The janus connector (being written: see issue 6)."""
