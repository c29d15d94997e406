"""What both halves agree on: the module's address inside Synapse, the connector's in remit, and
the command types the module carries out.

Imported by the module inside Synapse's process too, so it holds plain constants only: the
command types are ``remit.enforcement.CommandType``'s values written out, which a test checks.
"""

#: Where the module receives remit's commands, under the homeserver's URL.
COMMANDS_PATH = "/_synapse/client/remit/commands"
#: Where the module reports joins and leaves, under remit's URL.
JOINS = "/v1/connectors/synapse/joins"
LEAVES = "/v1/connectors/synapse/leaves"

#: The commands the module receives: carried out (a removal) or acknowledged.
REMOVE = "participant.remove"
ACKNOWLEDGED = frozenset({"host.notice", "participant.readmit"})
