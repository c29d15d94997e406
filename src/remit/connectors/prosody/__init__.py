"""The prosody connector (being written: see issue 6)."""
