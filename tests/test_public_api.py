"""The public namespace is pinned: a change to it is a decision, not an accident.

The order of each ``__all__`` is ruff's (RUF022); this file checks what is in them.
"""

from __future__ import annotations

import remit
import remit.errors
from remit import jurisdictions, location, policy, transparency

PUBLIC = {
    "UNKNOWN", "ActiveOrder", "Decision", "InvalidAddress", "InvalidConfiguration", "InvalidInput",
    "InvalidOrder", "InvalidPhoneNumber", "InvalidScope", "Location", "LocationDataError",
    "Locator", "PolicyIndex", "RemitError", "Resource", "Skipped", "Target",
    "UnknownJurisdiction", "VerificationError", "__version__",
}  # fmt: skip


def test_remit_exports_exactly_the_public_names() -> None:
    assert set(remit.__all__) == PUBLIC
    for name in remit.__all__:
        assert hasattr(remit, name), name


def test_subpackages_export_what_they_declare() -> None:
    for module in (jurisdictions, location, policy, transparency, remit.errors):
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"


def test_the_merkle_verifiers_live_where_the_issue_names_them() -> None:
    from remit.transparency.merkle import verify_consistency, verify_inclusion

    assert callable(verify_inclusion)
    assert callable(verify_consistency)


def test_every_remit_error_is_documented_in_the_tree() -> None:
    doc = remit.errors.__doc__ or ""
    for name in remit.errors.__all__:
        assert name in doc, f"{name} is missing from the error tree drawn in remit/errors.py"
        assert getattr(remit.errors, name).__doc__, f"{name} has no docstring"


#: What connectors, the console and the CLI build on: the node and what it runs, the endpoint
#: machinery and role sets for operations of their own, and the functions every way in shares.
API = {
    "AUDITOR", "ENDPOINTS", "INTAKE", "PLATFORM", "READ", "REVIEWER", "STEP_BODIES",
    "TOKEN_PREFIX", "AppealOut", "Call", "DecideIn", "Endpoint", "Enforcement", "HTTPProblem",
    "ImpactOut", "Node", "OrderIn", "OrderListener", "ReachOut", "Settings", "Snapshot", "Task",
    "allowed", "appeals_of", "bearer", "close_sessions", "create_app", "create_user",
    "decide_appeal", "decide_join", "document_response", "endpoint_roles", "enforcer_of",
    "explain", "hash_token", "impact_of", "json_response", "log_of", "new_id", "new_token",
    "open_session", "openapi", "order_in", "permits", "record_order", "report_of",
    "roster_session", "step_for", "utcnow",
}  # fmt: skip


def test_remit_api_exports_exactly_its_public_names() -> None:
    import remit.api

    assert set(remit.api.__all__) == API
    assert len(remit.api.__all__) == len(API)
    for name in remit.api.__all__:
        assert getattr(remit.api, name) is not None, name


#: What a connector plugin imports (docs/plugins.md): the hooks, the interface, the settings
#: check, the commands and their payloads, and the recording connector for its tests.
CONNECTOR_FACING = {
    "Command", "CommandType", "Connector", "Delivered", "DeliveryError", "HostNoticeData",
    "InvalidConfiguration", "NoticeData", "Payload", "PersonRef", "Platform", "ReadmitData",
    "RecordingConnector", "RefusalNotice", "RefusedData", "RemoveData", "ResourceRef", "Setting",
    "all_endpoints", "checked_settings", "command_data", "configure", "hookimpl", "hookspec",
    "http_url", "load_connectors", "load_endpoints", "load_tasks", "payload", "plugin_manager",
    "rotate", "webhook_secret", "whole_number",
}  # fmt: skip


def test_remit_connectors_exports_exactly_the_connector_facing_names() -> None:
    import remit.connectors

    assert set(remit.connectors.__all__) == CONNECTOR_FACING
    for name in remit.connectors.__all__:
        assert getattr(remit.connectors, name) is not None, f"remit.connectors.{name}"
