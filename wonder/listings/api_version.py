"""Which rendering of the API messages a stored ``api_*`` column holds (see ``rendered``)."""

from __future__ import annotations

import zlib

from wonder.v1 import listing_pb2

# Bump when wonder.listings.messages writes something else for the same columns (a new mapping,
# a renamed resource); a change to the messages themselves (listing.proto) changes the version
# by itself. Rows rendered under another version are mapped from their columns when read.
MAPPING_REVISION = 1
RENDER_VERSION = (
    zlib.crc32(listing_pb2.DESCRIPTOR.serialized_pb + MAPPING_REVISION.to_bytes(4, "big"))
    & 0x7FFF_FFFF
)  # fits a signed 32-bit column
