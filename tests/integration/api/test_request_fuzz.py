"""Fuzz every request field of every ListingService RPC over loopback gRPC (hypothesis).

Each test starts the real server once (the ``api`` fixture: auth, interceptors, SQLite and
PostgreSQL), seeds a small catalogue, then sends generated requests: arbitrary text (NUL, control
characters, unicode, strings of up to 20k characters), filters built from the AIP-160 grammar
(typed and mistyped comparisons, huge numbers, timestamps at years 0001/9999 with offsets, deep
nesting), order_by lists, any int32 page size and view, page tokens (junk, base64, tampered, and
re-signed with the test secret around positions holding any JSON value), resource names, BatchGet
lists of 0 to 1200 names, any int64 stream cursor, and raw malformed protobuf bodies. The fields
a test is not about are drawn valid four times in five, so most requests reach the database.

A caller's mistake must never look like a server fault: no call may end INTERNAL, UNKNOWN,
UNAVAILABLE or DEADLINE_EXCEEDED, and RESOURCE_EXHAUSTED only for a request larger than the
server's grpc.max_receive_message_length (a too-long field is INVALID_ARGUMENT; so are trailers
too big for a default client, see STRICT_CLIENT). Each status code fails as its own exception
class, so hypothesis shrinks and reports each separately. After the examples of each test the
server must still answer SERVING on grpc.health.v1 over the wire. Examples are derandomized:
every run sends the same requests.
"""

from __future__ import annotations

import grpc
import grpc.aio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.api.fuzz_harness import (
    Fuzz,
    call_unary,
    check_status,
    fuzz_fixture,  # noqa: F401 (the "fuzz" fixture every test here takes)
    read_stream,
)
from tests.integration.api.fuzz_requests import (
    FUZZ,
    SERVICE,
    STREAM_TIMEOUT,
    UNARY_TIMEOUT,
    PageToken,
    View,
    filters,
    int64s,
    junk_order_bys,
    junk_page_tokens,
    listing_names,
    mostly,
    name_lists,
    page_sizes,
    page_tokens,
    pb,
    resource_names,
    valid_order_bys,
    views,
)


@settings(FUZZ, max_examples=60)
@given(name=listing_names, view=views)
async def test_get_listing(fuzz: Fuzz, name: str, view: View) -> None:
    await call_unary(fuzz, "GetListing", pb.GetListingRequest(name=name, view=view))


@settings(FUZZ, max_examples=40)
@given(names=name_lists, view=views)
async def test_batch_get_listings(fuzz: Fuzz, names: list[str], view: View) -> None:
    request = pb.BatchGetListingsRequest(names=names, view=view)
    await call_unary(fuzz, "BatchGetListings", request)


@settings(FUZZ, max_examples=300)
@given(
    filter_=filters,
    order_by=mostly(valid_order_bys, junk_order_bys),
    page_size=page_sizes,
    view=views,
    show_deleted=st.booleans(),
    page_token=mostly(st.just(""), junk_page_tokens),
)
async def test_list_listings(
    fuzz: Fuzz,
    filter_: str,
    order_by: str,
    page_size: int,
    view: View,
    show_deleted: bool,
    page_token: str,
) -> None:
    request = pb.ListListingsRequest(
        filter=filter_,
        order_by=order_by,
        page_size=page_size,
        view=view,
        show_deleted=show_deleted,
        page_token=page_token,
    )
    await call_unary(fuzz, "ListListings", request)


@settings(FUZZ, max_examples=120)
@given(token=page_tokens, page_size=page_sizes)
async def test_list_listings_page_token(fuzz: Fuzz, token: PageToken, page_size: int) -> None:
    request = pb.ListListingsRequest(page_size=page_size)
    fuzz.apply(token, "ListListings", request)
    await call_unary(fuzz, "ListListings", request)


@pytest.mark.parametrize("method", ["ListListingMedia", "ListListingHistory"])
@settings(FUZZ, max_examples=40)
@given(
    parent=listing_names,
    page_size=page_sizes,
    page_token=st.one_of(st.just(""), junk_page_tokens, page_tokens),
)
async def test_list_sub_collections(
    fuzz: Fuzz, method: str, parent: str, page_size: int, page_token: str | PageToken
) -> None:
    request = getattr(pb, f"{method}Request")(parent=parent, page_size=page_size)
    if isinstance(page_token, PageToken):
        fuzz.apply(page_token, method, request)
    else:
        request.page_token = page_token
    await call_unary(fuzz, method, request)


@settings(FUZZ, max_examples=30)
@given(name=resource_names("agents"))
async def test_get_agent(fuzz: Fuzz, name: str) -> None:
    await call_unary(fuzz, "GetAgent", pb.GetAgentRequest(name=name))


@settings(FUZZ, max_examples=30)
@given(name=resource_names("offices"))
async def test_get_office(fuzz: Fuzz, name: str) -> None:
    await call_unary(fuzz, "GetOffice", pb.GetOfficeRequest(name=name))


@settings(FUZZ, max_examples=20)
@given(start_cursor=int64s, view=views)
async def test_stream_listing_changes(fuzz: Fuzz, start_cursor: int, view: View) -> None:
    request = pb.StreamListingChangesRequest(start_cursor=start_cursor, view=view)
    call = fuzz.stub.StreamListingChanges(
        request, metadata=fuzz.api.metadata, timeout=STREAM_TIMEOUT
    )
    await read_stream(fuzz, "StreamListingChanges", call, request.ByteSize())


# --- raw protobuf ------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    value &= 2**64 - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


small_fields = st.integers(0, 8)
wire_chunks = st.one_of(
    st.binary(max_size=32),
    st.builds(
        lambda f, wire, tail: varint(f << 3 | wire) + tail,
        st.one_of(small_fields, st.integers(0, 2**29 - 1)),
        st.integers(0, 7),
        st.binary(max_size=16),
    ),
    # A length-delimited field holding arbitrary bytes (invalid UTF-8 in a string field).
    st.builds(
        lambda f, body: varint(f << 3 | 2) + varint(len(body)) + body,
        small_fields,
        st.binary(max_size=64),
    ),
    # A length prefix beyond the end of the message.
    st.builds(lambda f, n: varint(f << 3 | 2) + varint(n), small_fields, st.integers(0, 2**64)),
    # Varints of any value in any field (enum out of range, negative sizes and cursors).
    st.builds(lambda f, v: varint(f << 3) + varint(v), small_fields, st.integers()),
    st.sampled_from([b"\xff" * 11, b"\x08" + b"\x80" * 10 + b"\x01", b"\x0a\x02\xc3\x28"]),
    st.sampled_from([b"\x0b", b"\x0c", b"\x00", b"\x0a\x01\x80", b"\x0a\x05\xed\xa0\x80ab"]),
)
raw_messages = st.one_of(st.lists(wire_chunks, max_size=6).map(b"".join), st.binary(max_size=512))


@settings(FUZZ, max_examples=80)
@given(method=st.sampled_from([m.name for m in SERVICE.methods]), payload=raw_messages)
async def test_raw_malformed_protobuf(fuzz: Fuzz, method: str, payload: bytes) -> None:
    metadata = fuzz.api.metadata
    path = f"/{SERVICE.full_name}/{method}"
    if SERVICE.methods_by_name[method].server_streaming:
        stream: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = fuzz.channel.unary_stream(path)
        call = stream(payload, metadata=metadata, timeout=STREAM_TIMEOUT)
        await read_stream(fuzz, method, call, len(payload))
        return
    try:
        unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = fuzz.channel.unary_unary(path)
        await unary(payload, metadata=metadata, timeout=UNARY_TIMEOUT)
    except grpc.aio.AioRpcError as error:
        check_status(fuzz, method, len(payload), error.code(), error.details())
