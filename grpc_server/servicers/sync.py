"""wonder.v1.SyncService: parse the request, query, map. The logic lives in wonder.sync.

Errors are raised, never handled here: the error-mapping interceptor turns them into statuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from grpc_server.deps import ServerDeps
from grpc_server.mappers import sync as mappers
from grpc_server.reads import pager, read_only
from grpc_server.registry import ServiceRegistration
from grpc_server.status import Context
from wonder.aip.filtering import canonical_filter, parse_filter
from wonder.aip.names import parse_resource_name
from wonder.aip.ordering import canonical_order_by, parse_order_by
from wonder.db.keyset import position_of
from wonder.db.uow import cancel_safe_session
from wonder.errors import InvalidArgument, NotFound, echo
from wonder.proto_values import timestamp
from wonder.sync import dead_letters
from wonder.sync.catalogue import (
    BALANCE_ROWS,
    DEAD_LETTER_POSITION,
    DEFAULT_RUN_ORDER,
    LEASES,
    LEDGER_POSITION,
    SYNC_RUNS,
)
from wonder.sync.read_store import (
    SyncReadRepository,
    lease_sort_columns,
    ledger_position,
    row_sort_columns,
    run_sort_columns,
)
from wonder.v1 import sync_pb2, sync_service_pb2, sync_service_pb2_grpc

SERVICE = sync_service_pb2.DESCRIPTOR.services_by_name["SyncService"]
# The inbox source whose depth and dead letters GetSyncState reports.
BUILDIUM = "buildium"
MAX_SOURCE_LENGTH = 32


def _singleton(name: str, expected: str) -> None:
    if name != expected:
        raise InvalidArgument("name", f"expected {expected!r}, got {echo(name)}")


def _numeric_id(name: str, collection: str, field: str = "name") -> int:
    key = parse_resource_name(name, collection, field=field)
    if not key.isdigit() or len(key) > 18:
        raise InvalidArgument(
            field, f"expected '{collection}/{{id}}' with an integer id, got {echo(name)}"
        )
    return int(key)


def _lease_id(name: str, field: str = "name") -> int:
    return _numeric_id(name, "leases", field)


class SyncServicer(sync_service_pb2_grpc.SyncServiceServicer):
    def __init__(self, deps: ServerDeps) -> None:
        self._deps = deps
        self._pager = pager(deps, SERVICE.full_name)

    @asynccontextmanager
    async def _repository(self, context: Context) -> AsyncIterator[SyncReadRepository]:
        """A read-only session whose statements cannot outlive the caller's deadline."""
        async with read_only(self._deps, context) as connection:
            yield SyncReadRepository(connection)

    async def GetSyncState(
        self, request: sync_service_pb2.GetSyncStateRequest, context: Context
    ) -> sync_pb2.SyncState:
        _singleton(request.name, "syncState")
        async with self._repository(context) as repo:
            read_time = self._deps.clock()
            states = await repo.resource_states()
            pending = await repo.ledgers_pending()
            reconciliation = await repo.latest_reconciliation(with_mismatches=False)
            inbox = await dead_letters.inbox_counts(repo.connection, BUILDIUM)
        return sync_pb2.SyncState(
            name="syncState",
            read_time=timestamp(read_time),
            resources=[mappers.resource_state_to_proto(state, read_time) for state in states],
            ledgers_pending=pending,
            last_reconciliation=mappers.reconciliation_to_proto(reconciliation),
            inbox_depth=inbox.waiting,
            dead_letter_count=inbox.dead,
        )

    async def ListDeadLetters(
        self, request: sync_service_pb2.ListDeadLettersRequest, context: Context
    ) -> sync_service_pb2.ListDeadLettersResponse:
        if len(request.source) > MAX_SOURCE_LENGTH:
            raise InvalidArgument("source", f"at most {MAX_SOURCE_LENGTH} characters")
        cursor = self._pager.start(
            "ListDeadLetters",
            request.page_size,
            request.page_token,
            DEAD_LETTER_POSITION,
            source=request.source,
        )
        after = cursor.after[0] if cursor.after else None
        assert after is None or isinstance(after, int)
        async with read_only(self._deps, context) as connection:
            rows = await dead_letters.list_dead(
                connection, source=request.source or None, after_id=after, limit=cursor.fetch_limit
            )
        page, token = cursor.finish(rows, lambda row: [row.id])
        return sync_service_pb2.ListDeadLettersResponse(
            dead_letters=[mappers.dead_letter_to_proto(row) for row in page],
            next_page_token=token,
        )

    async def ReplayDeadLetter(
        self, request: sync_service_pb2.ReplayDeadLetterRequest, context: Context
    ) -> sync_pb2.DeadLetter:
        event_id = _numeric_id(request.name, "deadLetters")
        async with cancel_safe_session(self._deps.sessions) as session:
            replayed = await dead_letters.replay(session, event_id)
        if replayed is None:
            raise NotFound("wonder.v1.DeadLetter", [request.name])
        return mappers.dead_letter_to_proto(replayed)

    async def ListSyncRuns(
        self, request: sync_service_pb2.ListSyncRunsRequest, context: Context
    ) -> sync_service_pb2.ListSyncRunsResponse:
        expr = parse_filter(request.filter, SYNC_RUNS)
        order = parse_order_by(request.order_by or DEFAULT_RUN_ORDER, SYNC_RUNS)
        cursor = self._pager.start(
            "ListSyncRuns",
            request.page_size,
            request.page_token,
            [key.field for key in order],
            filter=canonical_filter(expr),
            order_by=canonical_order_by(order),
        )
        async with self._repository(context) as repo:
            rows = await repo.list_runs(
                where=expr, order=order, after=cursor.after, limit=cursor.fetch_limit
            )
        columns = run_sort_columns(order)
        page, token = cursor.finish(rows, lambda row: position_of(row, columns))
        return sync_service_pb2.ListSyncRunsResponse(
            sync_runs=[mappers.run_to_proto(row) for row in page], next_page_token=token
        )

    async def GetBalanceSheet(
        self, request: sync_service_pb2.GetBalanceSheetRequest, context: Context
    ) -> sync_pb2.BalanceSheet:
        _singleton(request.name, "balanceSheet")
        async with self._repository(context) as repo:
            totals = await repo.sheet_totals()
            reconciliation = await repo.latest_reconciliation(with_mismatches=True)
        return mappers.balance_sheet_to_proto(totals, reconciliation)

    async def ListBalanceSheetRows(
        self, request: sync_service_pb2.ListBalanceSheetRowsRequest, context: Context
    ) -> sync_service_pb2.ListBalanceSheetRowsResponse:
        scope = mappers.SCOPES.get(request.scope)
        if scope is None:
            raise InvalidArgument("scope", "required: BALANCE_SCOPE_LEASE, _UNIT or _PROPERTY")
        expr = parse_filter(request.filter, BALANCE_ROWS)
        order = parse_order_by(request.order_by, BALANCE_ROWS)
        cursor = self._pager.start(
            "ListBalanceSheetRows",
            request.page_size,
            request.page_token,
            [key.field for key in order],
            scope=scope.value,
            filter=canonical_filter(expr),
            order_by=canonical_order_by(order),
        )
        async with self._repository(context) as repo:
            rows = await repo.list_rows(
                scope, where=expr, order=order, after=cursor.after, limit=cursor.fetch_limit
            )
        columns = row_sort_columns(order)
        page, token = cursor.finish(rows, lambda row: position_of(row, columns))
        return sync_service_pb2.ListBalanceSheetRowsResponse(
            rows=[mappers.row_to_proto(row) for row in page], next_page_token=token
        )

    async def GetLease(
        self, request: sync_service_pb2.GetLeaseRequest, context: Context
    ) -> sync_pb2.Lease:
        lease_id = _lease_id(request.name)
        async with self._repository(context) as repo:
            row = await repo.lease(lease_id)
        if row is None:
            raise NotFound("wonder.v1.Lease", [request.name])
        return mappers.lease_to_proto(row)

    async def ListLeases(
        self, request: sync_service_pb2.ListLeasesRequest, context: Context
    ) -> sync_service_pb2.ListLeasesResponse:
        expr = parse_filter(request.filter, LEASES)
        order = parse_order_by(request.order_by, LEASES)
        cursor = self._pager.start(
            "ListLeases",
            request.page_size,
            request.page_token,
            [key.field for key in order],
            filter=canonical_filter(expr),
            order_by=canonical_order_by(order),
            show_deleted=request.show_deleted,
        )
        async with self._repository(context) as repo:
            rows = await repo.list_leases(
                where=expr,
                order=order,
                after=cursor.after,
                limit=cursor.fetch_limit,
                show_deleted=request.show_deleted,
            )
        columns = lease_sort_columns(order)
        page, token = cursor.finish(rows, lambda row: position_of(row, columns))
        return sync_service_pb2.ListLeasesResponse(
            leases=[mappers.lease_to_proto(row) for row in page], next_page_token=token
        )

    async def ListLedgerEntries(
        self, request: sync_service_pb2.ListLedgerEntriesRequest, context: Context
    ) -> sync_service_pb2.ListLedgerEntriesResponse:
        lease_id = _lease_id(request.parent, field="parent")
        cursor = self._pager.start(
            "ListLedgerEntries",
            request.page_size,
            request.page_token,
            LEDGER_POSITION,
            parent=lease_id,
        )
        async with self._repository(context) as repo:
            if not await repo.lease_exists(lease_id):
                raise NotFound("wonder.v1.Lease", [request.parent])
            entries = await repo.list_ledger(lease_id, cursor.after, cursor.fetch_limit)
        page, token = cursor.finish(entries, lambda item: ledger_position(item.entry))
        return sync_service_pb2.ListLedgerEntriesResponse(
            entries=[mappers.ledger_entry_to_proto(item) for item in page], next_page_token=token
        )


REGISTRATION = ServiceRegistration(
    descriptor=SERVICE,
    factory=SyncServicer,
    add_to_server=sync_service_pb2_grpc.add_SyncServiceServicer_to_server,
)
