"""Enforcement: the live roster, removals when an order takes effect, notices, and the outbox.

Pure planning (:mod:`~remit.enforcement._activation`) decides who must go with the same engine as
admissions; the :class:`Enforcer` writes commands to the outbox and delivers them through
connectors (:class:`Connector`). Storage comes in through the :class:`EnforcementStore`
interface: :class:`MemoryEnforcementStore` for tests, ``remit.store.SqlEnforcementStore`` for
SQLite and PostgreSQL.
"""

from remit.enforcement._activation import (
    HOST_NOTICE,
    READMIT,
    REFUSED,
    REMOVE,
    Delivery,
    daily_counts,
    host_notices,
    must_go,
    place_in_scope,
    plan,
    readmission,
    readmissions,
    refusal,
    removal,
    resource_json,
    targeted,
    targets_of,
)
from remit.enforcement._commands import (
    PAYLOADS,
    HostNoticeData,
    NoticeData,
    Payload,
    PersonRef,
    ReadmitData,
    RefusalNotice,
    RefusedData,
    RemoveData,
    ResourceRef,
    Webhook,
    command_data,
    decode_webhook,
    payload,
)
from remit.enforcement._connector import Connector
from remit.enforcement._enforcer import PLATFORM_REFRESH_S, Enforcer, Policy
from remit.enforcement._interface import EnforcementStore
from remit.enforcement._memory import MemoryEnforcementStore
from remit.enforcement._model import (
    Attempt,
    Command,
    CommandStatus,
    CommandType,
    Platform,
    Session,
    SessionStatus,
)
from remit.enforcement._retention import (
    DEFAULT_RETENTION_DAYS,
    KEPT_DATA,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    PURGED_PARTICIPANT,
    Purged,
    retention,
)
from remit.enforcement.notices import (
    LANGUAGES,
    Notice,
    choose_language,
    host_notice,
    participant_notice,
    refusal_problem,
)

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "HOST_NOTICE",
    "KEPT_DATA",
    "LANGUAGES",
    "MAX_RETENTION_DAYS",
    "MIN_RETENTION_DAYS",
    "PAYLOADS",
    "PLATFORM_REFRESH_S",
    "PURGED_PARTICIPANT",
    "READMIT",
    "REFUSED",
    "REMOVE",
    "Attempt",
    "Command",
    "CommandStatus",
    "CommandType",
    "Connector",
    "Delivery",
    "EnforcementStore",
    "Enforcer",
    "HostNoticeData",
    "MemoryEnforcementStore",
    "Notice",
    "NoticeData",
    "Payload",
    "PersonRef",
    "Platform",
    "Policy",
    "Purged",
    "ReadmitData",
    "RefusalNotice",
    "RefusedData",
    "RemoveData",
    "ResourceRef",
    "Session",
    "SessionStatus",
    "Webhook",
    "choose_language",
    "command_data",
    "daily_counts",
    "decode_webhook",
    "host_notice",
    "host_notices",
    "must_go",
    "participant_notice",
    "payload",
    "place_in_scope",
    "plan",
    "readmission",
    "readmissions",
    "refusal",
    "refusal_problem",
    "removal",
    "resource_json",
    "retention",
    "targeted",
    "targets_of",
]
