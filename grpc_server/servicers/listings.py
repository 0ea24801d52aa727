"""wonder.v1.ListingService: parse the request, query, map. The logic lives in wonder.listings.

Errors are raised, never handled here: the error-mapping interceptor turns them into statuses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import partial

from grpc_server.deps import ServerDeps
from grpc_server.mappers import listings as mappers
from grpc_server.reads import is_postgres, pager, read_once, read_only
from grpc_server.registry import ServiceRegistration
from grpc_server.status import Context
from wonder.aip.filtering import canonical_filter, parse_filter
from wonder.aip.names import parse_resource_name
from wonder.aip.ordering import canonical_order_by, parse_order_by
from wonder.db.change_feed import GapGate
from wonder.db.keyset import position_of
from wonder.errors import InvalidArgument, NotFound
from wonder.listings.catalogue import HISTORY_POSITION, LISTINGS, MEDIA_POSITION
from wonder.listings.messages import agent_to_proto, fill_listing, media_to_proto, office_to_proto
from wonder.listings.read_repository import (
    HISTORY_ORDER,
    MEDIA_ORDER,
    ListingReadRepository,
    ListingWithParties,
    MediaByListing,
    changes_after,
    listing_page_query,
    listings_with_media,
    parse_changes,
    parse_listings_with_media,
    read_basic_page,
)
from wonder.v1 import listing_pb2, listing_service_pb2, listing_service_pb2_grpc

SERVICE = listing_service_pb2.DESCRIPTOR.services_by_name["ListingService"]
MAX_BATCH_GET = 1000
_FULL = listing_pb2.LISTING_VIEW_FULL
_BASIC = listing_pb2.LISTING_VIEW_BASIC
_UNSPECIFIED = listing_pb2.LISTING_VIEW_UNSPECIFIED
_UPSERT = listing_service_pb2.ListingChange.KIND_UPSERT


def _is_full(view: int, default: int) -> bool:
    if view not in (_UNSPECIFIED, _BASIC, _FULL):
        raise InvalidArgument("view", f"unknown view {view}")
    return (view or default) == _FULL


class ListingServicer(listing_service_pb2_grpc.ListingServiceServicer):
    def __init__(self, deps: ServerDeps) -> None:
        self._deps = deps
        self._settings = deps.settings.grpc
        self._pager = pager(deps, SERVICE.full_name)
        # Backlog streams share at most half of the pool.
        self._stream_slots = asyncio.Semaphore(max(1, self._settings.database_pool_size // 2))

    # --- helpers -----------------------------------------------------------------------------

    @asynccontextmanager
    async def _repository(self, context: Context) -> AsyncIterator[ListingReadRepository]:
        """A read-only session whose statements cannot outlive the caller's deadline."""
        async with read_only(self._deps, context) as connection:
            yield ListingReadRepository(connection)

    @staticmethod
    async def _media_for(
        repo: ListingReadRepository, rows: Sequence[ListingWithParties], full: bool
    ) -> MediaByListing | None:
        """The media of all ``rows`` in one query for the FULL view; None for BASIC."""
        if not full:
            return None
        return await repo.media_by_listing([row.listing_key for row in rows])

    @staticmethod
    def _fill(
        targets: Iterable[listing_pb2.Listing],
        rows: Iterable[ListingWithParties],
        media: MediaByListing | None,
    ) -> None:
        """Each listing read into its message (pure CPU: run it after the transaction ended)."""
        for target, row in zip(targets, rows, strict=True):
            if media is None:
                fill_listing(target, row, full=False)
            else:
                fill_listing(target, row, full=True, media=media[row.listing_key])

    async def _listings_with_media(
        self, keys: Sequence[str], full: bool, context: Context
    ) -> tuple[dict[str, ListingWithParties], MediaByListing | None]:
        """Listings by key (and their media when ``full``): one round trip on PostgreSQL."""
        statements = listings_with_media(keys, full=full, postgres=is_postgres(self._deps))
        results = await read_once(self._deps, context, statements)
        return parse_listings_with_media(results, keys, full=full)

    async def _require_listing(self, repo: ListingReadRepository, key: str, name: str) -> None:
        if not await repo.listing_exists(key):
            raise NotFound("wonder.v1.Listing", [name])

    # --- RPCs --------------------------------------------------------------------------------

    async def GetListing(
        self, request: listing_service_pb2.GetListingRequest, context: Context
    ) -> listing_pb2.Listing:
        key = parse_resource_name(request.name, "listings")
        full = _is_full(request.view, _FULL)
        rows, media = await self._listings_with_media([key], full, context)
        if key not in rows:
            raise NotFound("wonder.v1.Listing", [request.name])
        message = listing_pb2.Listing()
        self._fill([message], [rows[key]], media)
        return message

    async def BatchGetListings(
        self, request: listing_service_pb2.BatchGetListingsRequest, context: Context
    ) -> listing_service_pb2.BatchGetListingsResponse:
        if not request.names:
            raise InvalidArgument("names", "at least one name is required")
        if len(request.names) > MAX_BATCH_GET:
            raise InvalidArgument(
                "names", f"at most {MAX_BATCH_GET} names per call, got {len(request.names)}"
            )
        keys = [
            parse_resource_name(name, "listings", field=f"names[{i}]")
            for i, name in enumerate(request.names)
        ]
        full = _is_full(request.view, _FULL)
        rows, media = await self._listings_with_media(keys, full, context)
        missing = [n for n, k in zip(request.names, keys, strict=True) if k not in rows]
        if missing:
            raise NotFound("wonder.v1.Listing", list(dict.fromkeys(missing)))
        response = listing_service_pb2.BatchGetListingsResponse()
        self._fill((response.listings.add() for _ in keys), [rows[key] for key in keys], media)
        return response

    async def ListListings(
        self, request: listing_service_pb2.ListListingsRequest, context: Context
    ) -> listing_service_pb2.ListListingsResponse:
        expr = parse_filter(request.filter, LISTINGS)
        order = parse_order_by(request.order_by, LISTINGS)
        full = _is_full(request.view, _BASIC)
        cursor = self._pager.start(
            "ListListings",
            request.page_size,
            request.page_token,
            [key.field for key in order],
            filter=canonical_filter(expr),
            order_by=canonical_order_by(order),
            full=full,
            show_deleted=request.show_deleted,
        )
        query = listing_page_query(expr, order, show_deleted=request.show_deleted, full=full)
        if full:
            async with self._repository(context) as repo:
                rows = await repo.list_listings(
                    query=query,
                    order=order,
                    after=cursor.after,
                    limit=cursor.fetch_limit,
                    full=full,
                )
                media = await self._media_for(repo, rows[: cursor.page_size], full)
        else:  # the default view: one round trip per seek partition, no session
            rows = await read_basic_page(
                partial(read_once, self._deps, context, dynamic=True),
                query=query,
                order=order,
                after=cursor.after,
                limit=cursor.fetch_limit,
            )
            media = None
        page, token = cursor.finish(rows, lambda row: list(row.position))
        response = listing_service_pb2.ListListingsResponse(next_page_token=token)
        self._fill((response.listings.add() for _ in page), page, media)
        return response

    async def ListListingMedia(
        self, request: listing_service_pb2.ListListingMediaRequest, context: Context
    ) -> listing_service_pb2.ListListingMediaResponse:
        key = parse_resource_name(request.parent, "listings", field="parent")
        cursor = self._pager.start(
            "ListListingMedia", request.page_size, request.page_token, MEDIA_POSITION, parent=key
        )
        async with self._repository(context) as repo:
            await self._require_listing(repo, key, request.parent)
            rows = await repo.list_media(key, cursor.after, cursor.fetch_limit)
        page, token = cursor.finish(rows, lambda row: position_of(row, MEDIA_ORDER))
        return listing_service_pb2.ListListingMediaResponse(
            media=[media_to_proto(row) for row in page], next_page_token=token
        )

    async def ListListingHistory(
        self, request: listing_service_pb2.ListListingHistoryRequest, context: Context
    ) -> listing_service_pb2.ListListingHistoryResponse:
        key = parse_resource_name(request.parent, "listings", field="parent")
        cursor = self._pager.start(
            "ListListingHistory",
            request.page_size,
            request.page_token,
            HISTORY_POSITION,
            parent=key,
        )
        async with self._repository(context) as repo:
            await self._require_listing(repo, key, request.parent)
            rows = await repo.list_history(key, cursor.after, cursor.fetch_limit)
        page, token = cursor.finish(rows, lambda row: position_of(row, HISTORY_ORDER))
        return listing_service_pb2.ListListingHistoryResponse(
            entries=[mappers.history_to_proto(row) for row in page], next_page_token=token
        )

    async def GetAgent(
        self, request: listing_service_pb2.GetAgentRequest, context: Context
    ) -> listing_pb2.Agent:
        key = parse_resource_name(request.name, "agents")
        async with self._repository(context) as repo:
            rows = await repo.members_by_key([key])
        if key not in rows:
            raise NotFound("wonder.v1.Agent", [request.name])
        return agent_to_proto(rows[key])

    async def GetOffice(
        self, request: listing_service_pb2.GetOfficeRequest, context: Context
    ) -> listing_pb2.Office:
        key = parse_resource_name(request.name, "offices")
        async with self._repository(context) as repo:
            rows = await repo.offices_by_key([key])
        if key not in rows:
            raise NotFound("wonder.v1.Office", [request.name])
        return office_to_proto(rows[key])

    async def StreamListingChanges(
        self, request: listing_service_pb2.StreamListingChangesRequest, context: Context
    ) -> AsyncIterator[listing_service_pb2.ListingChange]:
        if request.start_cursor < 0:
            raise InvalidArgument("start_cursor", "must not be negative")
        full = _is_full(request.view, _BASIC)
        batch_size = self._settings.change_stream_batch_size
        gate = GapGate(self._settings.change_stream_gap_grace_seconds)
        cursor = request.start_cursor
        while True:
            # Two short reads per poll (the changes, then their listings), each one round trip,
            # and only while holding one of the streams' database slots, so streams never take
            # the pool from unary calls or hold a connection while their reader catches up.
            # Mapping happens after the reads.
            async with self._stream_slots:
                (rows,) = await read_once(self._deps, context, [changes_after(cursor, batch_size)])
                fetched = parse_changes(rows)
                ready = fetched[
                    : gate.releasable(
                        cursor, fetched, now=self._deps.clock(), monotonic=time.monotonic()
                    )
                ]
                keys = list(dict.fromkeys(c.listing_key for c in ready if c.kind == "upsert"))
                upserted: dict[str, ListingWithParties] = {}
                media: MediaByListing | None = None
                if keys:
                    upserted, media = await self._listings_with_media(keys, full, context)
            for row in ready:
                # One message at a time: a stream holds its rows, never a rendered batch.
                message = mappers.change_to_proto(row)
                listed = upserted.get(row.listing_key)
                if listed is not None and message.kind == _UPSERT:
                    self._fill([message.listing], [listed], media)
                yield message
                cursor = row.seq
            if len(ready) < batch_size:
                await asyncio.sleep(self._settings.change_stream_poll_seconds)


REGISTRATION = ServiceRegistration(
    descriptor=SERVICE,
    factory=ListingServicer,
    add_to_server=listing_service_pb2_grpc.add_ListingServiceServicer_to_server,
)
