"""Options shared by several commands. Each setting is an option with an environment variable,
so that ``--help`` (and the CLI reference generated from it) documents every setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from remit.enforcement import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from remit.enforcement import retention as retention_limit
from remit.errors import InvalidConfiguration, InvalidInput
from remit.location import DEFAULT_MAX_AGE_DAYS, Locator
from remit.policy import DEFAULT_RESOURCE_TYPES, ResourceTypes

F = TypeVar("F", bound=Callable[..., Any])


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def db_option(f: F) -> F:
    """``--db URL`` / ``REMIT_DATABASE_URL``."""
    return click.option(
        "--db",
        "db_url",
        envvar="REMIT_DATABASE_URL",
        show_envvar=True,
        default="sqlite:///remit.sqlite3",
        show_default=True,
        metavar="URL",
        help="Database: sqlite:///FILE, or postgresql+psycopg://USER@HOST:PORT/DB.",
    )(f)


class _Days(click.ParamType[int]):
    """Whole days of retention. A bad value is a remit error, so it ends as one line and exit 2
    (click's own errors print the usage too)."""

    name = "days"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            days = value
        else:
            try:
                days = int(str(value).strip())
            except ValueError:
                raise InvalidInput(
                    f"retention-days: {value!r} is not a whole number of days",
                    field="retention-days",
                ) from None
        retention_limit(days)  # InvalidInput outside the limits
        return days


class _ResourceTypes(click.ParamType[ResourceTypes]):
    """A comma-separated list of resource types; a bad one is a remit error (one line, exit 2)."""

    name = "types"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ResourceTypes:
        return value if isinstance(value, ResourceTypes) else ResourceTypes.parse(str(value))


def resource_types_option(f: F) -> F:
    """``--resource-types TYPES`` / ``REMIT_RESOURCE_TYPES``."""
    return click.option(
        "--resource-types",
        envvar="REMIT_RESOURCE_TYPES",
        show_envvar=True,
        type=_ResourceTypes(),
        default=",".join(DEFAULT_RESOURCE_TYPES),
        show_default=True,
        help=(
            "The kinds of resource your platforms serve, comma-separated: what a join, a session "
            "or an order's target may name (or host, for an order). Any other type is refused "
            "with 422 naming the field and these types."
        ),
    )(f)


def retention_option(f: F) -> F:
    """``--retention-days DAYS`` / ``REMIT_RETENTION_DAYS``."""
    return click.option(
        "--retention-days",
        envvar="REMIT_RETENTION_DAYS",
        show_envvar=True,
        type=_Days(),
        default=DEFAULT_RETENTION_DAYS,
        show_default=True,
        help=(
            "How long personal data (participants' ids, addresses, dial-in numbers, languages, "
            "notices) is kept after a session ends or a command is delivered or fails: "
            f"{MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days. The default is the impact "
            "preview's 30 days of attendance; see docs/privacy.md."
        ),
    )(f)


def location_options(f: F) -> F:
    """The settings of IP and phone location."""
    options = [
        click.option(
            "--maxmind",
            "maxmind_path",
            envvar="REMIT_MAXMIND_DB",
            show_envvar=True,
            type=click.Path(dir_okay=False),
            help="A MaxMind-format database of countries or cities (.mmdb), named maxmind.",
        ),
        click.option(
            "--mmdb",
            "databases",
            envvar="REMIT_MMDB",
            show_envvar=True,
            default="",
            metavar="NAME=PATH,...",
            help=(
                "More MaxMind-format databases (GeoIP2/GeoLite2, DB-IP Lite, IPinfo Lite), each "
                "with a name for the evidence. A file renamed over its path is picked up."
            ),
        ),
        click.option(
            "--static-locations",
            "static_table",
            envvar="REMIT_STATIC_LOCATIONS",
            show_envvar=True,
            type=click.Path(dir_okay=False),
            help="The operator's table of CIDR,PLACE lines: an override; it may place private "
            "networks.",
        ),
        click.option(
            "--location-sources",
            envvar="REMIT_LOCATION_SOURCES",
            show_envvar=True,
            default="",
            help=(
                "The IP sources to use, in order: static, maxmind, the --mmdb names, dbip, "
                "iptocc. Empty: every configured one, in that order; a source without its "
                "setting is skipped."
            ),
        ),
        click.option(
            "--location-rule",
            envvar="REMIT_LOCATION_RULE",
            show_envvar=True,
            default="agree",
            show_default=True,
            help=(
                "agree: place a participant only where every IP source that answers agrees "
                "(and a quorum answers); first: the first source that answers."
            ),
        ),
        click.option(
            "--location-quorum",
            envvar="REMIT_LOCATION_QUORUM",
            show_envvar=True,
            default="",
            metavar="N",
            help="Under agree, how many independent sources must answer. Empty: 2, or all "
            "when fewer are configured.",
        ),
        click.option(
            "--nat64-prefix",
            "nat64_prefixes",
            envvar="REMIT_NAT64_PREFIXES",
            show_envvar=True,
            default="",
            help="Comma-separated NAT64 prefixes of your own (RFC 6052); 64:ff9b::/96 is always "
            "read.",
        ),
        click.option(
            "--location-max-age-days",
            envvar="REMIT_LOCATION_MAX_AGE_DAYS",
            show_envvar=True,
            type=click.IntRange(1, 3650),
            default=DEFAULT_MAX_AGE_DAYS,
            show_default=True,
            help="Location data older than this is a warning in the log and in /healthz.",
        ),
        click.option(
            "--precedence",
            envvar="REMIT_LOCATION_PRECEDENCE",
            show_envvar=True,
            default="ip,phone",
            show_default=True,
            help="Which signal wins when both place a participant: ip,phone or phone,ip.",
        ),
        click.option(
            "--trusted-proxy",
            "trusted_proxies",
            envvar="REMIT_TRUSTED_PROXIES",
            show_envvar=True,
            default="",
            help="Comma-separated CIDRs of proxies whose X-Forwarded-For is believed.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def build_locator(
    maxmind_path: str | None,
    databases: str,
    static_table: str | None,
    location_sources: str,
    location_rule: str,
    location_quorum: str,
    nat64_prefixes: str,
    location_max_age_days: int,
    precedence: str,
    trusted_proxies: str,
) -> Locator:
    """The locator the location options describe."""
    order = _csv(location_sources)
    return Locator.from_settings(
        maxmind_path=maxmind_path,
        databases=_databases(databases),
        static_table=static_table,
        order=order or None,
        rule=location_rule,
        quorum=_quorum(location_quorum),
        precedence=_csv(precedence),
        trusted_proxies=_csv(trusted_proxies),
        nat64_prefixes=_csv(nat64_prefixes),
        max_age_days=location_max_age_days,
    )


def _databases(value: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in _csv(value):
        name, sep, path = part.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise InvalidConfiguration(f"mmdb: expected NAME=PATH, got {part!r}", field="mmdb")
        if name.strip() in found:
            raise InvalidConfiguration(f"mmdb: {name.strip()!r} is named twice", field="mmdb")
        found[name.strip()] = path.strip()
    return found


def _quorum(value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidConfiguration(
            f"location-quorum: {value!r} is not a whole number of sources",
            field="location-quorum",
        ) from None
