"""What the schemathesis tests (the API's, and each connector's endpoints') share."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.schemas import BaseSchema


def authorize(schema: BaseSchema, token: str) -> None:
    """Send ``token`` as the bearer of every case of ``schema``, given through schemathesis so
    that its negative (unauthenticated) cases stay coherent."""

    class Bearer:
        def get(self, case: schemathesis.Case[Any], context: schemathesis.AuthContext) -> str:
            return token

        def set(
            self, case: schemathesis.Case[Any], data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    schema.auth(Bearer)
