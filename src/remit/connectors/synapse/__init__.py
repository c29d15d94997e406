"""The synapse connector: remit inside a Matrix Synapse homeserver (docs/connectors/synapse.md).

Two halves. In remit: :mod:`~remit.connectors.synapse.plugin` registers the ``synapse`` connector
(commands as signed webhooks to the homeserver) and the operations the homeserver reports joins
and leaves to. In Synapse: :mod:`remit.connectors.synapse.module` is the module named in
``homeserver.yaml``; it runs in Synapse's process and imports nothing of remit's dependencies,
which is why this package's ``__init__`` imports nothing.
"""
