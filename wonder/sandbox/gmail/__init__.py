"""The Gmail emulator: the REST methods of google-api-python-client's bundled discovery
document that the mail ingest uses, the batch endpoint, per-method quota in both regimes,
history ids that skip and expire, and Pub/Sub push with an RS256 OIDC JWT.

Modules: ``config`` (quota regimes, push, faults, advance), ``mailbox`` (messages, labels,
history), ``mail_factory`` (seeded realistic mail), ``corpus`` (mbox/.eml/JSONL loading),
``resources`` (message formats), ``search`` (``q``), ``partial`` (``fields``), ``quota``
(units, Google's error body), ``batch`` (multipart/mixed), ``push`` (JWT, certs), ``state``,
``api`` (the methods), ``sandbox`` (the one entry point), ``app``, ``cli``.
"""
