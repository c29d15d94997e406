"""Where a participant is: signals (IP address, dial-in number) resolved to a :class:`Location`.

The :class:`Locator` is the entry point::

    locator = Locator()  # DB-IP's and the registries' data, which must agree
    locator.locate_ip("1.2.4.8")  # Location(country='CN', subdivision=None, source='agree', …)
    locator.locate(ip=None, phone="+85221234567")  # Location('HK', None, 'phone')

IP location comes from :class:`IPSource` objects: :class:`DbipSource` (DB-IP's geolocation data)
and :class:`IptoccSource` (the registries' allocation data), both shipped with remit;
:class:`MaxMindSource` (any number of MaxMind-format databases, each with a name, reloaded when
replaced on disk) and :class:`StaticSource` (the operator's own table, an override, and the only
source that may place the reserved networks of :data:`RESERVED_NETWORKS`). Under the rule
``agree`` (the default) a participant is placed only where every independent source that answers
agrees; under ``first`` the first answer wins. Each Location carries every source's
:class:`Answer` as evidence. An unknown location is never inside any scope.
"""

from remit.location._address import RESERVED_NETWORKS, IPAddress, is_reserved, parse_address
from remit.location._agreement import RULES
from remit.location._dbip import DbipSource
from remit.location._edge import TrustedProxies
from remit.location._health import DEFAULT_MAX_AGE_DAYS, SourceStatus
from remit.location._locator import SIGNALS, Locator
from remit.location._maxmind import MaxMindSource
from remit.location._model import UNKNOWN, Answer, Location
from remit.location._phone import locate_phone
from remit.location._settings import SOURCE_NAMES
from remit.location._sources import IPSource, IptoccSource, Place
from remit.location._static import StaticSource
from remit.location._transition import WELL_KNOWN_NAT64

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "RESERVED_NETWORKS",
    "RULES",
    "SIGNALS",
    "SOURCE_NAMES",
    "UNKNOWN",
    "WELL_KNOWN_NAT64",
    "Answer",
    "DbipSource",
    "IPAddress",
    "IPSource",
    "IptoccSource",
    "Location",
    "Locator",
    "MaxMindSource",
    "Place",
    "SourceStatus",
    "StaticSource",
    "TrustedProxies",
    "is_reserved",
    "locate_phone",
    "parse_address",
]
