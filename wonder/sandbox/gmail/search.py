"""The subset of Gmail's search operators (``q``) the mail ingest and people use.

Terms are ANDed; ``-term`` negates; ``"a phrase"`` is one term. Operators: ``from:``, ``to:``
(To, Cc and Bcc), ``subject:``, ``label:``, ``in:`` (inbox, sent, spam, trash, anywhere),
``is:`` (unread, read, starred, important), ``has:attachment``, ``after:`` / ``before:``
(``YYYY/MM/DD`` or Unix seconds), ``newer_than:`` / ``older_than:`` (``Nd``, ``Nm``, ``Ny``).
A bare word matches the headers and text, case-insensitively. An unknown operator is a 400,
as Gmail answers "Invalid search query"-style errors for what it cannot parse.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from wonder.sandbox.gmail.mailbox import StoredMessage
from wonder.sandbox.gmail.resources import parse_mime, snippet

Predicate = Callable[[StoredMessage], bool]
_AGE = re.compile(r"^(\d+)([dmy])$")
_DAYS = {"d": 1, "m": 30, "y": 365}


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class SearchContext:
    now_ms: int
    # Label names → ids, lower case, for ``label:``.
    label_ids: dict[str, str]


def _header_text(message: StoredMessage, *names: str) -> str:
    parsed = parse_mime(message.raw)
    return " ".join(str(parsed.get(name, "")) for name in names).lower()


def _has_attachment(message: StoredMessage) -> bool:
    return any(part.get_filename() for part in parse_mime(message.raw).walk())


def _date_ms(value: str) -> int:
    if value.isdigit():
        return int(value) * 1000
    try:
        parsed = datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise QueryError(f"bad date {value!r}") from exc
    return int(parsed.timestamp() * 1000)


def _age_ms(value: str) -> int:
    match = _AGE.match(value)
    if not match:
        raise QueryError(f"bad age {value!r}")
    return int(match.group(1)) * _DAYS[match.group(2)] * 86_400_000


def _term(term: str, context: SearchContext) -> Predicate:
    if ":" not in term:
        word = term.lower()
        return lambda m: (
            word in _header_text(m, "from", "to", "subject") or word in snippet(m.raw).lower()
        )
    operator, _, value = term.partition(":")
    low = value.lower()
    simple: dict[str, Predicate] = {
        "from": lambda m: low in _header_text(m, "from"),
        "to": lambda m: low in _header_text(m, "to", "cc", "bcc"),
        "subject": lambda m: low in _header_text(m, "subject"),
    }
    if operator in simple:
        return simple[operator]
    if operator == "label":
        label = context.label_ids.get(low, value.upper())
        return lambda m: label in m.label_ids
    if operator == "in":
        if low == "anywhere":
            return lambda m: True
        return lambda m: low.upper() in m.label_ids
    if operator == "is":
        flags = {"unread": "UNREAD", "starred": "STARRED", "important": "IMPORTANT"}
        if low == "read":
            return lambda m: "UNREAD" not in m.label_ids
        if low not in flags:
            raise QueryError(f"unknown is:{value}")
        return lambda m: flags[low] in m.label_ids
    if operator == "has" and low == "attachment":
        return _has_attachment
    if operator in ("after", "before"):
        bound = _date_ms(value)
        if operator == "after":
            return lambda m: m.internal_date_ms >= bound
        return lambda m: m.internal_date_ms < bound
    if operator in ("newer_than", "older_than"):
        cutoff = context.now_ms - _age_ms(low)
        if operator == "newer_than":
            return lambda m: m.internal_date_ms >= cutoff
        return lambda m: m.internal_date_ms < cutoff
    raise QueryError(f"unsupported search operator {operator!r}")


def compile_query(q: str, context: SearchContext) -> tuple[Predicate, bool]:
    """(predicate, whether the query names spam/trash itself, which lifts their exclusion)."""
    try:
        terms = shlex.split(q)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    predicates: list[Predicate] = []
    names_spam_or_trash = False
    for term in terms:
        negate = term.startswith("-") and len(term) > 1
        body = term[1:] if negate else term
        if body.lower() in ("in:spam", "in:trash", "in:anywhere", "label:spam", "label:trash"):
            names_spam_or_trash = True
        predicate = _term(body, context)
        predicates.append((lambda p: lambda m: not p(m))(predicate) if negate else predicate)
    return (lambda m: all(p(m) for p in predicates)), names_spam_or_trash
