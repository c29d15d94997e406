"""The Synapse module: remit's checks and commands inside a Matrix homeserver.

Configured in ``homeserver.yaml`` (see docs/connectors/synapse.md)::

    modules:
      - module: remit.connectors.synapse.module.RemitModule
        config:
          remit_url: https://remit.example.org
          token: remit_…           # the platform's token, from `remit platform add`
          webhook_secret: whsec_…  # the secret `remit platform add` showed once

It runs inside Synapse's process, so it imports the standard library, Synapse and Twisted only
(remit's package ``__init__`` modules import their contents lazily for this), and it never
blocks Synapse's reactor: every call to remit goes through Synapse's own asynchronous client.

- **Joins** are checked by the ``user_may_join_room`` spam-checker callback: the person's latest
  address from Synapse's record of client IPs, the room as the resource (type ``meeting``) and
  its creator as host. Refused joins answer ``403 M_FORBIDDEN`` whose ``error`` is remit's notice.
  When remit cannot answer, ``on_unreachable`` decides (``allow``, the default, or ``deny``), and
  a join let in that way is reported to remit afterwards, so an order in force still reaches it.
- **Membership changes** (``on_new_event``) are reported: a join that did not pass the check (the
  creator's own, a server admin's, one let in while remit was away) and every leave, kick or ban.
- **Removals** arrive as signed webhooks at :data:`COMMANDS_PATH` (see ``_commands``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from synapse.module_api import NOT_SPAM, EventBase, ModuleApi, StateMap
from synapse.module_api.errors import Codes, ConfigError

from remit.connectors.synapse._commands import CommandsResource
from remit.connectors.synapse._paths import COMMANDS_PATH, JOINS, LEAVES
from remit.connectors.synapse._remit_client import RemitClient, Reports
from remit.connectors.synapse._signature import secret_key

__all__ = ["COMMANDS_PATH", "ModuleConfig", "RemitModule"]

logger = logging.getLogger(__name__)

OPTIONS = ("remit_url", "token", "webhook_secret", "on_unreachable", "timeout", "kick_as")
POLICIES = ("allow", "deny")
#: A join that passed the check is on remit's roster from then on. If Synapse has not let the
#: person in this many seconds later (the room is invite-only, they are banned, …), they are
#: reported gone. A join that completes later (a slow join over federation) is then reported on
#: its own, so a short wait is safe.
FOLLOW_UP_SECONDS = 10.0
UNREACHABLE = (
    "This server could not check this join against the legal orders in force. Try again later."
)


@dataclass(frozen=True)
class ModuleConfig:
    """The module's ``config`` block, checked."""

    remit_url: str
    token: str
    webhook_key: bytes
    on_unreachable: str = "allow"
    timeout: float = 5.0
    kick_as: str | None = None


def _text(config: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = config.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"remit: {name} must be a non-empty string", ("config", name))
    return value


class RemitModule:
    """Registered by Synapse from ``homeserver.yaml``; one per homeserver process."""

    def __init__(self, config: ModuleConfig, api: ModuleApi) -> None:
        self._config = config
        self._api = api
        self._remit = RemitClient(api, config.remit_url, config.token, config.timeout)
        self._reports = Reports(api, self._remit, logger)
        self._gated: set[tuple[str, str]] = set()
        api.register_spam_checker_callbacks(user_may_join_room=self.user_may_join_room)
        api.register_third_party_rules_callbacks(on_new_event=self.on_new_event)
        api.register_web_resource(
            COMMANDS_PATH, CommandsResource(api, config.webhook_key, config.kick_as)
        )

    @staticmethod
    def parse_config(config: dict[str, Any]) -> ModuleConfig:
        """Check the ``config`` block; Synapse refuses to start, naming the option, when wrong."""
        if not isinstance(config, dict):
            raise ConfigError("remit: the module's config must be a mapping", ("config",))
        unknown = sorted(set(config) - set(OPTIONS))
        if unknown:
            raise ConfigError(f"remit: unknown option {unknown[0]!r}", ("config", unknown[0]))
        url = _text(config, "remit_url")
        assert url is not None
        if not url.startswith(("http://", "https://")):
            raise ConfigError("remit: remit_url must be an http(s) URL", ("config", "remit_url"))
        secret = _text(config, "webhook_secret")
        assert secret is not None
        try:
            key = secret_key(secret)
        except ValueError as exc:
            raise ConfigError(
                f"remit: webhook_secret: {exc}", ("config", "webhook_secret")
            ) from exc
        policy = config.get("on_unreachable", "allow")
        if policy not in POLICIES:
            raise ConfigError(
                "remit: on_unreachable must be allow or deny", ("config", "on_unreachable")
            )
        timeout = config.get("timeout", 5.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError("remit: timeout must be a number of seconds", ("config", "timeout"))
        token = _text(config, "token")
        assert token is not None
        kick_as = _text(config, "kick_as", required=False)
        return ModuleConfig(url, token, key, str(policy), float(timeout), kick_as)

    # Joins ------------------------------------------------------------------------------------

    async def user_may_join_room(self, user: str, room: str, is_invited: bool) -> Any:
        """Ask remit; never raises, so the person never sees a 500."""
        try:
            payload = await self._participant(room, user)
            status, answer = await self._remit.post(JOINS, payload)
        except Exception as exc:  # remit unreachable, or anything unforeseen
            return self._unreachable(user, room, repr(exc))
        if status == 201:
            self._remember(room, user)
            return NOT_SPAM
        if status == 451:
            logger.info("remit: %s refused entry to %s", user, room)
            return Codes.FORBIDDEN, _refusal(answer)
        return self._unreachable(user, room, f"remit answered {status}: {answer.get('detail')}")

    def _unreachable(self, user: str, room: str, why: str) -> Any:
        if self._config.on_unreachable == "allow":
            logger.warning("remit: no answer for %s joining %s (%s): let in", user, room, why)
            return NOT_SPAM
        logger.warning("remit: no answer for %s joining %s (%s): refused", user, room, why)
        return Codes.FORBIDDEN, {"error": UNREACHABLE}

    def _remember(self, room: str, user: str) -> None:
        self._gated.add((room, user))
        self._api.delayed_background_call(
            FOLLOW_UP_SECONDS * 1000, self._follow_up, room, user, desc="remit_join_follow_up"
        )

    async def _follow_up(self, room: str, user: str) -> None:
        """A checked join whose membership event never came: if the person is not in the room,
        the join failed after the check, and remit's roster is put right."""
        if (room, user) not in self._gated:
            return
        self._gated.discard((room, user))
        state = await self._api.get_room_state(room, [("m.room.member", user)])
        member = state.get(("m.room.member", user))
        if member is None or member.content.get("membership") != "join":
            now = int(time.time() * 1000)
            self._reports.send(LEAVES, {"room_id": room, "user_id": user, "at": now})

    async def _participant(self, room: str, user: str) -> dict[str, Any]:
        """What remit needs of a join: the room, its creator, the person and their address."""
        state = await self._api.get_room_state(room, [("m.room.create", "")])
        create = state.get(("m.room.create", ""))
        payload: dict[str, Any] = {"room_id": room, "user_id": user}
        if create is not None:
            payload["host"] = create.sender
        ip = await self._latest_ip(user)
        if ip is not None:
            payload["ip"] = ip
        return payload

    async def _latest_ip(self, user: str) -> str | None:
        """The address of the person's most recent request. Synapse records it before running
        the request's handler, so a join sees the address it came from."""
        seen = await self._api.get_user_ip_and_agents(user)
        if not seen:
            return None
        ip: str = max(seen, key=lambda entry: entry.last_seen).ip
        return ip

    # Membership events --------------------------------------------------------------------------

    async def on_new_event(self, event: EventBase, state: StateMap[EventBase]) -> None:
        """Report joins remit has not seen, and every leave, to remit's roster.

        Synapse does not tell a module the membership an event replaced, so a join that was
        already a join (a new display name) is reported too, and so is a leave of someone who
        had only been invited: remit's answer to both is to change nothing."""
        if event.type != "m.room.member" or not self._api.is_mine(event.state_key):
            return
        room, user = event.room_id, event.state_key
        membership = event.content.get("membership")
        if membership == "join":
            if (room, user) in self._gated:
                self._gated.discard((room, user))
                return  # the check put them on the roster already
            payload = await self._participant(room, user)
            payload["admitted"] = True
            self._reports.send(JOINS, payload)
        elif membership in ("leave", "ban"):
            left = {"room_id": room, "user_id": user, "at": event.origin_server_ts}
            self._reports.send(LEAVES, left)


def _refusal(problem: dict[str, Any]) -> dict[str, Any]:
    """The 403's extra fields: ``error`` becomes remit's notice, and the notice in full."""
    notice = str(problem.get("detail") or "Refused on a legal order.")
    fields = ("title", "detail", "language", "direction", "authority", "order_id", "appeal_url")
    return {"error": notice, "org.remit.notice": {k: problem.get(k) for k in fields}}
