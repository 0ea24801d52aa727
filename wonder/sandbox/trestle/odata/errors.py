"""The error every part of query handling raises: answered as an OData error body."""

from __future__ import annotations


class ODataError(Exception):
    """A client error the service answers with an OData error body."""

    def __init__(self, message: str, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or str(status)
