"""Platforms' settings as remit reads them in tests: opened with the tests' secrets key (the
``REMIT_SECRETS_KEY`` tests/conftest.py gives every test; no key file is read)."""

from __future__ import annotations

from pathlib import Path

from remit.store import open_enforcement_store, open_sealer


def platform_settings(database_url: str, name: str) -> dict[str, str]:
    sealer = open_sealer(database_url, Path("remit-secrets.key"), create=False)
    store = open_enforcement_store(database_url, sealer=sealer)
    try:
        return store.get_platform(name).settings
    finally:
        store.close()
