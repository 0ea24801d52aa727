"""Google's partial responses: ``fields=messages(id,threadId),nextPageToken``.

A selector is a comma-separated list of paths (``a/b`` walks into ``a``) and sub-selections
(``a(b,c)``); lists are filtered item by item. An unbalanced selector is a 400.
"""

from __future__ import annotations

from typing import Any

Selection = dict[str, "Selection | None"]


class FieldsError(ValueError):
    pass


def parse_fields(text: str) -> Selection:
    selection, rest = _parse(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise FieldsError(f"invalid fields selector {text[:80]!r}")
    return selection


def _parse(text: str, at: int) -> tuple[Selection, int]:
    selection: Selection = {}
    name = ""
    while at < len(text):
        char = text[at]
        if char == ",":
            if name:
                _add(selection, name, None)
            name = ""
        elif char == "(":
            if not name:
                raise FieldsError("a '(' without a field name")
            inner, at = _parse(text, at + 1)
            if at >= len(text) or text[at] != ")":
                raise FieldsError("unbalanced parentheses in fields")
            _add(selection, name, inner)
            name = ""
        elif char == ")":
            if name:
                _add(selection, name, None)
            return selection, at
        else:
            name += char
        at += 1
    if name:
        _add(selection, name, None)
    return selection, at


def _add(selection: Selection, path: str, inner: Selection | None) -> None:
    head, _, tail = path.partition("/")
    if tail:
        existing = selection.get(head) or {}
        _add(existing, tail, inner)
        selection[head] = existing
    else:
        selection[head] = inner


def apply_fields(value: Any, selection: Selection | None) -> Any:
    if selection is None:
        return value
    if isinstance(value, list):
        return [apply_fields(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: apply_fields(value[key], inner) for key, inner in selection.items() if key in value
    }
