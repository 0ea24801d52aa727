"""Ingest state every pipeline shares, beside the data it covers (same transaction).

- :mod:`~wonder.ingest.cursors`: where an incremental read of one resource stands: a
  (timestamp, key) keyset position, or anything else in ``state`` (Gmail's ``historyId``).
- :mod:`~wonder.ingest.quarantine`: source records that could not be accepted, with the reason.
- :mod:`~wonder.ingest.held_deletes`: deletes beyond the mass-delete guard, awaiting an operator.
- :mod:`~wonder.ingest.hashing`: the content hash that tells a changed record from a replay.
"""
