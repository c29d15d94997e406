"""MaxMind-format databases the tests write themselves, with mmdb-writer (MIT licence)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def country(code: str) -> dict[str, Any]:
    """The record of a Country database placing a network in ``code``."""
    return {"country": {"iso_code": code}, "registered_country": {"iso_code": "US"}}


def city(subdivision: str) -> dict[str, Any]:
    """The record of a City database placing a network in ``subdivision`` (``US-CA``)."""
    code, local = subdivision.split("-", 1)
    return {**country(code), "subdivisions": [{"iso_code": local}]}


def write_mmdb(
    path: Path,
    networks: Mapping[str, Mapping[str, Any]],
    *,
    database_type: str = "GeoLite2-Country",
) -> Path:
    """Write a database placing each CIDR of ``networks`` by its record, IPv4 in IPv6."""
    writer = MMDBWriter(ip_version=6, database_type=database_type, ipv4_compatible=True)
    for cidr, record in networks.items():
        writer.insert_network(IPSet([cidr]), dict(record))
    writer.to_db_file(str(path))
    return path


def replace_file(path: Path, write: Any) -> None:
    """Replace ``path`` as geoipupdate does: write a new file beside it, rename it over."""
    fresh = path.with_name(path.name + ".new")
    write(fresh)
    os.replace(fresh, path)
