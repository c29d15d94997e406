"""How the English interface names the values it shows (the Chinese is in ``_zh.VALUES``)."""

from __future__ import annotations

#: Values shown by name: anything missing here is shown as it is stored.
EN: dict[str, str] = {
    "in_review": "in review", "clarification_requested": "clarification requested",
    "review": "start review", "appeal_upheld": "appeal upheld",
    "appeal_reversed": "appeal reversed",
    "remove_participants": "remove participants", "block_access": "block access",
    "end_meeting": "end the meeting", "delete_meeting": "delete the meeting",
    "delete_content": "delete content", "suspend_account": "suspend the account",
    "delete_account": "delete the account", "GovernmentRequest": "government request",
    "CourtOrder": "court order", "LawEnforcementRequest": "law enforcement request",
    "LocalLaw": "local law", "removing": "removal ordered",
    "removal_failed": "removal not delivered", "participant.remove": "remove participant",
    "participant.refused": "join refused", "host.notice": "notice to host",
    "participant.readmit": "readmit participant", "complied_fully": "complied fully",
    "complied_partly": "complied partly",
    "participants_removed_in_scope": "Removed inside the scope",
    "participants_refused_in_scope": "Refused inside the scope",
    "participants_affected_outside_scope": "Affected outside the scope",
    "person": "this person only", "order": "the whole order",
    "agree": "the sources agree", "static": "the operator's table", "phone": "the dial-in number",
}  # fmt: skip
