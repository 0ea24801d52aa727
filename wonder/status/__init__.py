"""`wonder status`: the state of the platform as the database knows it, whenever you look.

``collect_status(session, readiness, now)`` reads it (``collect``); ``wonder/status/cli.py`` prints
it as text or JSON. A slice with state of its own (a sync cursor, a mailbox) adds a section to
``StatusReport`` and to both renderings; nothing here is ever a secret.
"""
