"""Options shared by several commands. Each setting is an option with an environment variable,
so that ``--help`` (and the CLI reference generated from it) documents every setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from remit.enforcement import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from remit.enforcement import retention as retention_limit
from remit.errors import InvalidInput
from remit.location import Locator
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
            help="A MaxMind GeoIP2/GeoLite2 Country or City database (.mmdb).",
        ),
        click.option(
            "--static-locations",
            "static_table",
            envvar="REMIT_STATIC_LOCATIONS",
            show_envvar=True,
            type=click.Path(dir_okay=False),
            help="The operator's table of CIDR,PLACE lines; it may place private networks.",
        ),
        click.option(
            "--location-sources",
            envvar="REMIT_LOCATION_SOURCES",
            show_envvar=True,
            default="static,maxmind,iptocc",
            show_default=True,
            help="The order IP sources are asked in; a source without its setting is skipped.",
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
    static_table: str | None,
    location_sources: str,
    precedence: str,
    trusted_proxies: str,
) -> Locator:
    """The locator the location options describe."""
    return Locator.from_settings(
        maxmind_path=maxmind_path,
        static_table=static_table,
        order=_csv(location_sources),
        precedence=_csv(precedence),
        trusted_proxies=_csv(trusted_proxies),
    )
