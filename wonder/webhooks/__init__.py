"""The webhook receiver (verify, store in the durable inbox, announce) and the inbox drain.

Core only: nothing here imports Prefect. ``app`` is the ASGI receiver with one ``WebhookSource``
per path, ``inbox`` the table's operations, ``drain`` the processing side (claim, coalesce per
entity, a handler per source, dead letters), ``ports`` the protocols the edges implement.
"""
