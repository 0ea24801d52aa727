"""AIP-122 resource names: ``{collection}/{key}`` in, the key out (or a clear InvalidArgument)."""

from __future__ import annotations

from wonder.errors import InvalidArgument, echo

MAX_KEY_LENGTH = 64


def parse_resource_name(name: str, collection: str, field: str = "name") -> str:
    """The key in ``{collection}/{key}``; InvalidArgument naming ``field`` if malformed."""
    prefix = collection + "/"
    key = name[len(prefix) :] if name.startswith(prefix) else ""
    if not key or "/" in key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidArgument(
            field, f"expected a resource name of the form '{collection}/{{key}}', got {echo(name)}"
        )
    return key
