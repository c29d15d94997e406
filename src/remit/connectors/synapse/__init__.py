"""The synapse connector (being written: see issue 6)."""
