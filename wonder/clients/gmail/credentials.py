"""Gmail credentials, resolved at the edge from settings and never logged.

- a bearer token (the sandbox's, or an OAuth user's access token): ``Credentials(token)``;
- a service account with domain-wide delegation: its JSON key, impersonating each mailbox
  (``with_subject``), scoped to what the ingest needs.
"""

from __future__ import annotations

from typing import Any

from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

SCOPES = ("https://www.googleapis.com/auth/gmail.modify",)


def bearer_credentials(token: str) -> Credentials:
    return user_credentials.Credentials(token=token)  # type: ignore[no-untyped-call]


def delegated_credentials(key_info: dict[str, Any], mailbox: str) -> Credentials:
    """A service account's key acting as ``mailbox`` (domain-wide delegation)."""
    account = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        key_info, scopes=list(SCOPES)
    )
    delegated: Credentials = account.with_subject(mailbox)
    return delegated
