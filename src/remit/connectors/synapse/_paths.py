"""The addresses both halves agree on: the module's inside Synapse and the connector's in remit.

Imported by the module inside Synapse's process too, so it holds plain constants only.
"""

#: Where the module receives remit's commands, under the homeserver's URL.
COMMANDS_PATH = "/_synapse/client/remit/commands"
#: Where the module reports joins and leaves, under remit's URL.
JOINS = "/v1/connectors/synapse/joins"
LEAVES = "/v1/connectors/synapse/leaves"
