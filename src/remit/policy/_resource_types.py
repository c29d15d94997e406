"""The resource types an operator declares: what joins, sessions and orders' targets may name.

A platform's resources are meetings first, and recordings, channels or anything else it serves;
which of these exist is the operator's to say (``remit serve --resource-types``), not remit's to
guess. A type nobody declared is refused where it enters, naming the field and the known types,
so that a typo (``meetng``) never makes an order that can match nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from remit.errors import InvalidConfiguration, InvalidInput
from remit.policy._model import ACCOUNT_TYPES, HOST, _check_type

#: The types a deployment knows unless its operator says otherwise.
DEFAULT_RESOURCE_TYPES = ("meeting", "recording", "channel")

_SETTING = "resource-types"


@dataclass(frozen=True, slots=True)
class ResourceTypes:
    """The declared resource types, in the operator's order. Each is a type name (lower-case
    letters, digits, ``-``, ``_``); ``host`` names a target, and ``account``/``user`` would act
    on an account (invariant 2 of docs/design.md), so none of these can be declared."""

    names: tuple[str, ...] = DEFAULT_RESOURCE_TYPES

    def __post_init__(self) -> None:
        if not self.names:
            raise InvalidConfiguration(f"{_SETTING}: declare at least one", field=_SETTING)
        for name in self.names:
            try:
                _check_type(name, _SETTING)
            except InvalidInput as exc:
                raise InvalidConfiguration(exc.message, field=_SETTING) from None
            if name == HOST or name in ACCOUNT_TYPES:
                raise InvalidConfiguration(
                    f"{_SETTING}: {name!r} cannot be a resource type", field=_SETTING
                )
        if len(set(self.names)) != len(self.names):
            raise InvalidConfiguration(f"{_SETTING}: a type appears twice", field=_SETTING)

    @classmethod
    def parse(cls, text: str) -> ResourceTypes:
        """The types of a comma-separated list (``meeting,recording,channel``)."""
        return cls(tuple(part.strip() for part in text.split(",") if part.strip()))

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __str__(self) -> str:
        return ", ".join(self.names)

    def check_resource(self, name: str, field: str = "resource.type") -> str:
        """``name`` if it is a declared type, else ``InvalidInput`` naming ``field``."""
        if name not in self.names:
            raise InvalidInput(
                f"{field}: {name!r} is not a resource type here; the known types are {self}",
                field=field,
            )
        return name

    def check_target(self, name: str, field: str = "target.type") -> str:
        """``name`` if an order may target it (a declared type, or ``host``), else
        ``InvalidInput`` naming ``field``."""
        if name != HOST and name not in self.names:
            raise InvalidInput(
                f"{field}: {name!r} is not a resource type here; the known types are {self}, "
                f"and {HOST} (every resource of an account)",
                field=field,
            )
        return name
