"""The connector interface: how remit's commands reach one kind of platform.

Every connector is a :class:`Connector`: the built-in ones (webhook, synapse, janus, prosody,
livekit), a plugin's (``docs/plugins.md``), and the recording one tests use. The enforcer holds
them by name, calls :meth:`~Connector.deliver` from its delivery threads and
:meth:`~Connector.close` when it stops; ``remit platform add`` calls
:meth:`~Connector.configure`. Only ``deliver`` has no default.
"""

from __future__ import annotations

from remit.enforcement._model import Command, Platform


class Connector:
    """Carries commands to one kind of platform (webhooks, a conferencing server's API, …).

    Subclass it, set :attr:`name` and implement :meth:`deliver`; :meth:`configure` takes the
    operator's options as they are and :meth:`close` releases nothing, unless overridden.
    """

    #: What a platform's ``connector`` names (``remit platform add --connector NAME``): one word,
    #: unique among the installed connectors.
    name: str = ""

    def configure(self, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """A platform's settings from the operator's ``--setting`` options: the settings to
        store, and the values to show the operator once (such as a secret it made). Raises
        ``InvalidConfiguration`` naming the setting (see ``remit.connectors.checked_settings``).
        The default stores the options as they are and shows nothing."""
        return dict(options), {}

    def deliver(self, platform: Platform, command: Command) -> None:
        """Carry out one command on ``platform`` (with its stored settings), or raise
        :class:`~remit.errors.DeliveryError`: the outbox tries again, with backoff, until the
        command's deadline. Returning means done; a command may arrive more than once (the same
        ``command.key``). Called from several delivery threads at once: be thread-safe."""
        raise NotImplementedError(f"the {self.name or type(self).__name__} connector delivers")

    def close(self) -> None:
        """Release what the connector holds (connections, event loops): the enforcer calls this
        once when it stops, after its last delivery. The default holds nothing."""
