"""OData requests after authentication, quota and faults: ``$metadata``, single entities,
standard pages with ``$skip`` nextLinks, and replication walks with expiring cursors."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from wonder.sandbox.clock import MICROS, SandboxClock
from wonder.sandbox.faults import FaultInjector
from wonder.sandbox.http import Reply
from wonder.sandbox.trestle.config import QueryCostSettings, TrestleFaultSettings
from wonder.sandbox.trestle.cost import check_cost
from wonder.sandbox.trestle.data import listing_index
from wonder.sandbox.trestle.odata import ODataError, Query, parse_query
from wonder.sandbox.trestle.query import (
    PropertyRow,
    RecordRow,
    Row,
    execute,
    media_rows,
    open_house_rows,
    property_candidates,
    roster_rows,
    serializer,
)
from wonder.sandbox.trestle.records import build_media, build_open_houses
from wonder.sandbox.trestle.replies import ODATA_PREFIX, XML, odata_reply
from wonder.sandbox.trestle.schema import EntityType, Schema
from wonder.sandbox.trestle.state import ListingStore


@dataclass
class _Cursor:
    params: tuple[tuple[str, str], ...]
    client_id: str
    last_used: int


class ODataPages:
    """Answers OData resource requests of one sandbox (its store, schema, clock, faults)."""

    def __init__(
        self,
        schema: Schema,
        store: ListingStore,
        clock: SandboxClock,
        faults: FaultInjector[TrestleFaultSettings],
        replication_idle_seconds: float,
        cost: QueryCostSettings,
    ) -> None:
        self.schema = schema
        self.store = store
        self.clock = clock
        self.faults = faults
        self.replication_idle_seconds = replication_idle_seconds
        self.cost = cost
        self._cursors: dict[str, _Cursor] = {}

    def dispatch(
        self, resource: str, params: Sequence[tuple[str, str]], base_url: str, client_id: str
    ) -> Reply:
        if resource == "$metadata":
            return odata_reply(200, self.schema.xml, XML)
        name, key = _split_key(resource)
        entity = self.schema.entity(name)
        if entity is None:
            raise ODataError(f"Resource not found for the segment '{name}'.", 404)
        if key is not None:
            return self._single(entity, key, base_url)
        params = [(k, v) for k, v in params]
        token = next((v for k, v in params if k == "$skiptoken"), None)
        with self.store.lock:
            if token is not None:
                return self._follow_replication(entity, token, base_url, client_id)
            query = parse_query(entity, self.schema.entities, params)
            check_cost(query, self.cost)
            if query.replication:
                if entity.name != "Property":
                    raise ODataError("replication=true is available on Property only")
                cursor_id = secrets.token_urlsafe(12)
                self._cursors[cursor_id] = _Cursor(
                    tuple(params), client_id, self.clock.now_micros()
                )
                return self._replication_page(entity, query, cursor_id, -1, base_url)
            return self._standard_page(entity, query, params, base_url)

    def _single(self, entity: EntityType, key: str, base_url: str) -> Reply:
        if entity.name != "Property":
            raise ODataError("Key lookups are available on Property only", 400)
        with self.store.lock:
            index = listing_index(key)
            if index is None or not self.store.exists(index):
                raise ODataError(f"No Property with key '{key}'.", 404)
            row = PropertyRow(self.store, index)
            body = serializer(entity)(row, None, base_url)
        body = {"@odata.context": f"{base_url}{ODATA_PREFIX}/$metadata#Property/$entity", **body}
        return odata_reply(200, orjson.dumps(body))

    def _empty_media(self) -> bool:
        return self.faults.chance("empty_media", self.faults.settings.empty_media_rate)

    def _rows(self, entity: EntityType, query: Query, after: int = -1) -> tuple[Any, bool]:
        store = self.store
        if entity.name == "Property":
            return property_candidates(store, query, after)
        if entity.name == "Media":
            return media_rows(store, query, withheld=self._empty_media)
        if entity.name == "OpenHouse":
            return open_house_rows(store, query)
        if entity.name == "Member":
            return roster_rows(store.roster.members, entity.key, query)
        return roster_rows(store.roster.offices, entity.key, query)

    def _body(
        self, entity: EntityType, query: Query, page: list[Row], base_url: str
    ) -> dict[str, Any]:
        serialize = serializer(entity)
        context = f"{base_url}{ODATA_PREFIX}/$metadata#{entity.name}"
        if query.select is not None:
            context += f"({','.join(query.select)})"
        values = [serialize(row, query.select, base_url) for row in page]
        for expand in query.expand:
            target = self.schema.entities[entity.navigation[expand.name]]
            child = serializer(target)
            for row, value in zip(page, values, strict=True):
                assert isinstance(row, PropertyRow)
                state = self.store.state(row.index)
                if expand.name == "Media":
                    records = build_media(self.store.seed, state)
                    rate = self.faults.settings.empty_expand_rate
                    if records and self.faults.chance("empty_expand", rate):
                        records = []
                else:
                    records = build_open_houses(self.store.seed, state)
                value[expand.name] = [
                    child(RecordRow(record), expand.select, base_url) for record in records
                ]
        return {"@odata.context": context, "value": values}

    def _standard_page(
        self, entity: EntityType, query: Query, params: list[tuple[str, str]], base_url: str
    ) -> Reply:
        rows, natural = self._rows(entity, query)
        page, total = execute(rows, natural, query)
        body = self._body(entity, query, page, base_url)
        if total is not None:
            body = {"@odata.context": body["@odata.context"], "@odata.count": total, **body}
        if query.top and len(page) == query.top:
            following = [(k, v) for k, v in params if k != "$skip"]
            following.append(("$skip", str(query.skip + query.top)))
            body["@odata.nextLink"] = _link(base_url, entity.name, following)
        return odata_reply(200, orjson.dumps(body))

    def _replication_page(
        self, entity: EntityType, query: Query, cursor_id: str, after: int, base_url: str
    ) -> Reply:
        rows, natural = self._rows(entity, query, after)
        page, total = execute(rows, natural, query)
        body = self._body(entity, query, page, base_url)
        if total is not None:
            body = {"@odata.context": body["@odata.context"], "@odata.count": total, **body}
        if query.top and len(page) == query.top:
            last = page[-1]
            assert isinstance(last, PropertyRow)
            token = _encode_token(cursor_id, last.index)
            body["@odata.nextLink"] = _link(
                base_url, entity.name, [("replication", "true"), ("$skiptoken", token)]
            )
        return odata_reply(200, orjson.dumps(body))

    def _follow_replication(
        self, entity: EntityType, token: str, base_url: str, client_id: str
    ) -> Reply:
        decoded = _decode_token(token)
        cursor = self._cursors.get(decoded[0]) if decoded else None
        if decoded is None or cursor is None or cursor.client_id != client_id:
            raise ODataError("The replication link is invalid or has expired.")
        now = self.clock.now_micros()
        if now - cursor.last_used > self.replication_idle_seconds * MICROS:
            del self._cursors[decoded[0]]
            raise ODataError(
                "The replication link has expired (idle for more than "
                f"{int(self.replication_idle_seconds)} seconds). Start a new query."
            )
        cursor.last_used = now
        query = parse_query(entity, self.schema.entities, cursor.params)
        check_cost(query, self.cost)
        return self._replication_page(entity, query, decoded[0], decoded[1], base_url)


def _split_key(resource: str) -> tuple[str, str | None]:
    if resource.endswith(")") and "(" in resource:
        name, _, rest = resource.partition("(")
        inner = rest[:-1]
        if len(inner) >= 2 and inner[0] == inner[-1] == "'":
            return name, inner[1:-1].replace("''", "'")
        raise ODataError(f"Invalid key predicate in '{resource}'")
    return resource, None


def _link(base_url: str, resource: str, params: list[tuple[str, str]]) -> str:
    query = urlencode(params, quote_via=quote, safe="$,'()")
    return f"{base_url}{ODATA_PREFIX}/{resource}?{query}"


def _encode_token(cursor_id: str, after: int) -> str:
    raw = f"{cursor_id}:{after}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        cursor_id, _, after = raw.rpartition(":")
        return cursor_id, int(after)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
