"""Bytes and header values to clean text: declared charsets tried first, never a crash.

A label that names no text codec (``x-unknown``, ``rot13``, ``base64``, ...) or bytes that are not
in the declared charset fall back to UTF-8, then Windows-1252 (which maps almost every byte; what
it does not map becomes U+FFFD), and the caller records why.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from wonder.mail.message import OwnDefect

# What mail clients mean by these labels (WHATWG Encoding Standard: latin-1 and ascii are
# windows-1252 in practice; Python's own aliases cover the rest).
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
}
_SURROGATE = re.compile("[\udc80-\udcff]")
# Single-byte charsets that decode any bytes: valid non-ASCII UTF-8 under one of these labels is
# UTF-8 mislabelled (real Windows-1252 text almost never forms valid UTF-8 sequences).
_NOT_ASCII_SUPERSETS = ("utf-7", "utf-16", "utf-32", "utf_7", "utf_16", "utf_32")
_WESTERN = frozenset({"cp1252", "latin_1", "iso8859-15", "ascii"})


@lru_cache(maxsize=512)
def codec_for(label: str | None) -> str | None:
    """The Python text codec for a MIME charset label, or None when it names none."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _LABEL_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # bytes-to-bytes and str-to-str codecs (base64, rot13, hex, ...) are no charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, label: str | None) -> tuple[str, OwnDefect | None]:
    """``data`` as text in its declared charset, else the fallbacks (and the defect why).

    No label at all is not a lie (old mail often has 8-bit text and no charset): UTF-8, else
    Windows-1252, and no defect.
    """
    codec = codec_for(label) if label else None
    if data.isascii() and not (codec or "").startswith(_NOT_ASCII_SUPERSETS):
        return data.decode("ascii"), OwnDefect.UNKNOWN_CHARSET if label and not codec else None
    defect: OwnDefect | None = None
    if label:
        if codec is None:
            defect = OwnDefect.UNKNOWN_CHARSET
        else:
            defect = OwnDefect.CHARSET_MISMATCH
            if codec in _WESTERN:
                try:
                    return data.decode("utf-8"), defect
                except UnicodeDecodeError:
                    pass
            try:
                return data.decode(codec), None
            except (UnicodeDecodeError, LookupError, ValueError):
                pass
    try:
        return data.decode("utf-8"), defect
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), defect


def has_surrogates(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def clean_header(value: str) -> tuple[str, OwnDefect | None]:
    """Undo surrogate escapes (raw 8-bit bytes the parser kept) and drop NULs."""
    defect: OwnDefect | None = None
    if has_surrogates(value):
        raw = value.encode("utf-8", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("cp1252", errors="replace")
        defect = OwnDefect.UNDECODABLE_HEADER
    if "\x00" in value:
        value = value.replace("\x00", "")
        defect = defect or OwnDefect.NUL_CHARACTER
    return value, defect
