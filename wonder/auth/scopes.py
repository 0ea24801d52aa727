"""The scopes an API token can grant, and parsing them from user input or the database.

Every gRPC method declares the scope it needs in its proto (``option (wonder.v1.required_scope)
= "sync:read";``); the server refuses to start if that scope is not one of KNOWN_SCOPES, so a
slice that needs a new scope adds it here.
"""

from __future__ import annotations

from collections.abc import Iterable

KNOWN_SCOPES: frozenset[str] = frozenset(
    {
        "listings:read",
        "sync:read",
        "sync:write",
        "messages:read",
        "messages:label",
    }
)


class UnknownScopeError(ValueError):
    """A scope outside KNOWN_SCOPES was requested."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = sorted(unknown)
        known = ", ".join(sorted(KNOWN_SCOPES))
        super().__init__(f"unknown scope(s): {', '.join(self.unknown)} (known: {known})")


def parse_scopes(text: str | Iterable[str]) -> frozenset[str]:
    """Scopes from ``"a,b"``, ``"a b"`` or an iterable; UnknownScopeError on any unknown one."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    scopes = frozenset(item.strip() for item in items if item.strip())
    if not scopes:
        raise ValueError("at least one scope is required")
    unknown = scopes - KNOWN_SCOPES
    if unknown:
        raise UnknownScopeError(unknown)
    return scopes


def format_scopes(scopes: Iterable[str]) -> str:
    """The stored form: sorted, space-separated."""
    return " ".join(sorted(scopes))


def scopes_from_column(value: str) -> frozenset[str]:
    """Scopes as stored; tolerant (a scope retired since the token was issued is just kept)."""
    return frozenset(value.split())
