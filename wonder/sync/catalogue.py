"""What the sync API lets callers filter and sort on: balance sheet rows, leases, ledgers.

The grammar is :mod:`wonder.aip`'s; this module only declares each collection's fields.
"""

from __future__ import annotations

from wonder.aip.fields import Catalogue, Enumeration, FieldSpec, FieldType, fields
from wonder.db.enums import LeaseStatus, SyncRunStatus

_S, _I, _D, _T = FieldType.STRING, FieldType.INTEGER, FieldType.DECIMAL, FieldType.TIMESTAMP

# --- balance sheet rows (one scope at a time; entity_id is unique within a scope) ------------
ENTITY_ID = FieldSpec("entity_id", "entity_id", _I, nullable=False)
_ROW_MONEY = fields(
    *(
        FieldSpec(name, name, _D, nullable=False)
        for name in (
            "balance",
            "outstanding",
            "charges",
            "payments",
            "credits",
            "deposits_held",
            "deposit_due",
        )
    )
)
_ROW_IDS = fields(
    FieldSpec("days_delinquent", "days_delinquent", _I, nullable=False),
    FieldSpec("property_id", "property_id", _I, nullable=False),
    FieldSpec("unit_id", "unit_id", _I),
)
BALANCE_ROWS = Catalogue(
    filter_fields={**_ROW_IDS, **_ROW_MONEY},
    order_fields={
        **_ROW_IDS,
        "balance": _ROW_MONEY["balance"],
        "outstanding": _ROW_MONEY["outstanding"],
        ENTITY_ID.name: ENTITY_ID,
    },
    tiebreak=ENTITY_ID,
)

# --- leases ----------------------------------------------------------------------------------
LEASE_ID = FieldSpec("lease_id", "id", _I, nullable=False)
LEASE_STATUS = Enumeration(tuple(status.value for status in LeaseStatus))
_LEASE_COMMON = fields(
    FieldSpec("property_id", "property_id", _I, nullable=False),
    FieldSpec("unit_id", "unit_id", _I, nullable=False),
    FieldSpec("rent", "rent", _D),
    FieldSpec("last_update_time", "last_updated_at", _T),
)
LEASES = Catalogue(
    filter_fields={
        **_LEASE_COMMON,
        **fields(FieldSpec("status", "status", _S, nullable=False, enumeration=LEASE_STATUS)),
    },
    order_fields={**_LEASE_COMMON, LEASE_ID.name: LEASE_ID},
    tiebreak=LEASE_ID,
)

# A ledger's fixed order as a keyset position: the day (as its proleptic ordinal, so the token
# holds an integer) and the entry id.
LEDGER_POSITION = (
    FieldSpec("date_ordinal", "date", _I, nullable=False),
    FieldSpec("id", "id", _I, nullable=False),
)

# --- sync runs -------------------------------------------------------------------------------
RUN_ID = FieldSpec("run_id", "id", _I, nullable=False)
RUN_STATUS = Enumeration(tuple(status.value for status in SyncRunStatus))
_RUN_TIMES = fields(
    FieldSpec("start_time", "started_at", _T, nullable=False),
    FieldSpec("finish_time", "finished_at", _T, nullable=False),
)
SYNC_RUNS = Catalogue(
    filter_fields={
        **_RUN_TIMES,
        **fields(
            FieldSpec("pipeline", "pipeline", _S, nullable=False),
            FieldSpec("resource", "resource", _S, nullable=False),
            FieldSpec("status", "status", _S, nullable=False, enumeration=RUN_STATUS),
        ),
    },
    order_fields={**_RUN_TIMES, RUN_ID.name: RUN_ID},
    tiebreak=RUN_ID,
)
DEFAULT_RUN_ORDER = "finish_time desc"

# Dead letters: by inbox event id.
DEAD_LETTER_POSITION = (FieldSpec("id", "id", _I, nullable=False),)
