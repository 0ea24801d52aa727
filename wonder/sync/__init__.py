"""Buildium ↔ our database ↔ Airtable.

The Buildium side: typed records (``records``), the mirror's pure decisions (``mirror_plan``) and
SQL (``mirror_store``), the sync service driven through the source port (``ports``,
``mirror_service``), the PM Balance Sheet (``balance_sheet``, pure) and its reconciliation with
Buildium's outstanding balances (``reconcile``, pure; ``balance_store``, ``reconcile_service``).
The Airtable side adds its own modules beside these.
"""
