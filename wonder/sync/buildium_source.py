"""The mirror's source port (:class:`wonder.sync.ports.BuildiumSource`) over the Buildium client.

Paging, retries, pacing and auth are the client's (:mod:`wonder.clients.buildium`); this module
only maps the port onto its paths and hands back the raw JSON (the mirror parses it strictly,
:mod:`wonder.sync.records`). ``requested_at`` is the server's ``Date`` header when it sent one,
else ``clock()``: a watermark must be on the clock ``lastupdatedfrom`` is compared with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from wonder.clients.buildium import BuildiumClient
from wonder.clients.buildium.queries import buildium_time
from wonder.clients.errors import PermanentError
from wonder.sync.ports import Clock, Resource, SourcePage, utc_now

PATHS = {
    Resource.RENTALS: "/v1/rentals",
    Resource.UNITS: "/v1/rentals/units",
    Resource.OWNERS: "/v1/rentals/owners",
    Resource.TENANTS: "/v1/leases/tenants",
    Resource.LEASES: "/v1/leases",
}
# GL transactions need a date range: wide enough for any ledger (dates, not update times).
LEDGER_START = date(1990, 1, 1)
LEDGER_DAYS_AHEAD = 3660


class ClientSource:
    """A :class:`~wonder.sync.ports.BuildiumSource` reading through one ``BuildiumClient``
    (which is not thread-safe: one source per thread)."""

    def __init__(self, client: BuildiumClient, *, clock: Clock = utc_now) -> None:
        self.client = client
        self._clock = clock

    def list_page(
        self, resource: Resource, *, offset: int, limit: int, updated_from: datetime | None
    ) -> SourcePage:
        params = {} if updated_from is None else {"lastupdatedfrom": buildium_time(updated_from)}
        asked = self._clock()
        page = self.client.list_page(PATHS[resource], params, offset=offset, limit=limit)
        return SourcePage(page.records, page.total, page.server_time or asked)

    def changed_ledgers(self, updated_from: datetime) -> SourcePage:
        asked = self._clock()
        accounts = sorted(_account_ids(self.gl_accounts()))
        end = asked.date() + timedelta(days=LEDGER_DAYS_AHEAD)
        leases = {
            t.lease_id
            for t in self.client.gl_transactions(
                LEDGER_START, end, accounts, updated_from=updated_from
            )
            if t.lease_id is not None
        }
        return SourcePage(sorted(leases), len(leases), asked)

    def lease_transactions(self, lease_id: int) -> Sequence[Any]:
        return list(self.client.messages(f"/v1/leases/{lease_id}/transactions"))

    def outstanding_balances(self) -> Sequence[Any]:
        return list(
            self.client.messages(
                "/v1/leases/outstandingbalances", order_by="LeaseId asc", key="LeaseId"
            )
        )

    def gl_accounts(self) -> Sequence[Any]:
        return list(self.client.messages("/v1/glaccounts"))

    def gl_transaction(self, transaction_id: int) -> Mapping[str, Any] | None:
        return self._get_or_none(f"/v1/generalledger/transactions/{transaction_id}")

    def get_record(self, resource: Resource, record_id: int) -> Mapping[str, Any] | None:
        return self._get_or_none(f"{PATHS[resource]}/{int(record_id)}")

    def _get_or_none(self, path: str) -> Mapping[str, Any] | None:
        try:
            found: Mapping[str, Any] = self.client.get(path)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    @property
    def requests_made(self) -> int:
        return self.client.requests_made


def _account_ids(accounts: Sequence[Any]) -> set[int]:
    """Every account id, sub-accounts (nested one level in ``SubAccounts``) included."""
    ids: set[int] = set()
    for account in accounts:
        ids.add(int(account["Id"]))
        ids |= _account_ids(account.get("SubAccounts") or [])
    return ids
