"""Any RFC 822 mail into a sandbox mailbox: an mbox file, a folder of ``.eml`` files, or JSON
Lines (optionally gzip'd) whose lines carry the message in ``raw`` (latin-1 text, as in
SpamAssassin's packaging) — or only ``text`` (a subject line and body), which is wrapped in
minimal headers. ``label``/``subset`` fields, when present, become the message's truth."""

from __future__ import annotations

import gzip
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class LoadedMail:
    raw: bytes
    truth: dict[str, Any] = field(default_factory=dict)


def _from_text(text: str) -> bytes:
    subject, _, body = text.partition("\n")
    subject = subject.removeprefix("Subject:").strip()
    head = f"From: unknown@corpus.example\r\nSubject: {subject}\r\n"
    head += "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    return head.encode() + body.replace("\n", "\r\n").encode("utf-8", "replace")


def _jsonl(path: Path, limit: int | None) -> Iterator[LoadedMail]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as lines:
        for count, line in enumerate(lines):
            if limit is not None and count >= limit:
                return
            record = orjson.loads(line)
            truth = {k: record[k] for k in ("id", "label", "subset") if k in record}
            if "raw" in record:
                yield LoadedMail(record["raw"].encode("latin-1", "replace"), truth)
            elif "text" in record:
                yield LoadedMail(_from_text(record["text"]), truth)


def load_mail(path: Path, limit: int | None = None) -> Iterator[LoadedMail]:
    """Messages from ``path`` (``ValueError`` when it is missing or none of the known kinds)."""
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    if path.is_dir():
        for count, eml in enumerate(sorted(path.glob("*.eml"))):
            if limit is not None and count >= limit:
                return
            yield LoadedMail(eml.read_bytes(), {"id": eml.name})
        return
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json.gz")):
        yield from _jsonl(path, limit)
        return
    if name.endswith((".mbox", ".mbx")) or path.is_file():
        box = mailbox.mbox(path, create=False)
        try:
            for count, key in enumerate(box.iterkeys()):
                if limit is not None and count >= limit:
                    return
                yield LoadedMail(box.get_bytes(key), {"id": f"{path.name}#{key}"})
        finally:
            box.close()
        return
    raise ValueError(f"{path}: not an mbox file, a folder of .eml files or JSON Lines")
