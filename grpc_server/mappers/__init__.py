"""Read records -> wonder.v1 messages: pure functions, no queries.

:mod:`wonder.proto_values` holds the conversions every service shares (timestamps, money,
calendar dates, coordinates); each service has its own module (``listings.py``, ...).
"""
