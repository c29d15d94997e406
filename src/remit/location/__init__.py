"""Where a participant is: signals (IP address, dial-in number) resolved to a :class:`Location`.

The :class:`Locator` is the entry point::

    locator = Locator()  # IP location from the RIR data shipped in iptocc
    locator.locate_ip("1.2.4.8")  # Location(country='CN', subdivision=None, source='iptocc')
    locator.locate(ip=None, phone="+85221234567")  # Location('HK', None, 'phone')

IP location comes from :class:`IPSource` objects asked in order: :class:`IptoccSource` (the
default, no data to download), :class:`MaxMindSource` (a GeoIP2/GeoLite2 Country or City
database) and :class:`StaticSource` (the operator's own table, the only source that may place the
reserved networks of :data:`RESERVED_NETWORKS`). An unknown location is never inside any scope.
"""

from remit.location._address import RESERVED_NETWORKS, IPAddress, is_reserved, parse_address
from remit.location._edge import TrustedProxies
from remit.location._locator import SIGNALS, SOURCE_NAMES, Locator
from remit.location._maxmind import MaxMindSource
from remit.location._model import UNKNOWN, Location
from remit.location._phone import locate_phone
from remit.location._sources import IPSource, IptoccSource, Place
from remit.location._static import StaticSource

__all__ = [
    "RESERVED_NETWORKS",
    "SIGNALS",
    "SOURCE_NAMES",
    "UNKNOWN",
    "IPAddress",
    "IPSource",
    "IptoccSource",
    "Location",
    "Locator",
    "MaxMindSource",
    "Place",
    "StaticSource",
    "TrustedProxies",
    "is_reserved",
    "locate_phone",
    "parse_address",
]
