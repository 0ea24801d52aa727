"""API tokens for the query API: generation, hashing, scopes, storage and verification."""

from wonder.auth.cache import RefusalCache, VerificationCache
from wonder.auth.principal import Principal
from wonder.auth.scopes import KNOWN_SCOPES, UnknownScopeError, format_scopes, parse_scopes
from wonder.auth.store import (
    IssuedToken,
    TokenError,
    TokenInfo,
    TokenNameTakenError,
    TokenNotFoundError,
    create_token,
    list_tokens,
    revoke_token,
    verify_token,
)
from wonder.auth.tokens import generate_token, hash_token, is_well_formed
from wonder.auth.verifier import TokenVerifier

__all__ = [
    "KNOWN_SCOPES",
    "IssuedToken",
    "Principal",
    "RefusalCache",
    "TokenError",
    "TokenInfo",
    "TokenNameTakenError",
    "TokenNotFoundError",
    "TokenVerifier",
    "UnknownScopeError",
    "VerificationCache",
    "create_token",
    "format_scopes",
    "generate_token",
    "hash_token",
    "is_well_formed",
    "list_tokens",
    "parse_scopes",
    "revoke_token",
    "verify_token",
]
