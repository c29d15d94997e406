"""Who may call what: the role sets operations name, and the bearer-token check.

Each role set is defined here once; an operation names one (or a union of them) in its
:class:`~remit.api.Endpoint`. An admin may call every operation.
"""

from __future__ import annotations

from remit.api._node import Node
from remit.api._problems import HTTPProblem
from remit.store import Role, User

#: Records demands as received.
INTAKE = frozenset({Role.INTAKE})
#: Reviews, approves, narrows, rejects and lifts orders, and decides appeals.
REVIEWER = frozenset({Role.REVIEWER})
#: Reads the audit trail.
AUDITOR = frozenset({Role.AUDITOR})
#: A platform's servers: admissions, the live roster, their own commands, connectors' operations.
PLATFORM = frozenset({Role.PLATFORM})
#: The staff who read orders, appeals, impact previews and the outbox.
READ = INTAKE | REVIEWER | AUDITOR


def bearer(node: Node, authorization: str) -> User:
    """The user holding the bearer token of an Authorization header, or a 401 problem."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPProblem("unauthorized", "send Authorization: Bearer <token>")
    user = node.user_for_token(token.strip())
    if user is None:
        raise HTTPProblem("unauthorized", "the token is not valid")
    return user


def permits(user: User, roles: frozenset[Role] | None) -> bool:
    """Whether ``user`` holds one of ``roles`` or is an admin (None: a public operation)."""
    return roles is None or not user.roles.isdisjoint(roles) or Role.ADMIN in user.roles


def allowed(user: User, roles: frozenset[Role]) -> None:
    """A 403 problem unless ``user`` holds one of ``roles`` (or is an admin)."""
    if not permits(user, roles):
        need = " or ".join(sorted(r.value for r in roles))
        raise HTTPProblem("forbidden", f"this needs the role {need}")
