"""A small, valid, deterministic JPEG per media key: one flat grey of the record's size.

Baseline, one 8-bit grey component. The grey level comes from the media key, and a comment
segment names the key, so two photos never share a body. Every 8x8 block after the first
repeats the first one's level (a DC difference of 0, then end-of-block), so a 2048x1365 photo
is about 11 kB: real dimensions (what ``ImageWidth``/``ImageHeight`` say), small bodies.
"""

from __future__ import annotations

import functools
import hashlib
import struct

JPEG = "image/jpeg"
SOI, EOI = b"\xff\xd8", b"\xff\xd9"


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _huffman_table(table_class: int, symbols_by_length: list[list[int]]) -> bytes:
    lengths = [len(symbols) for symbols in symbols_by_length]
    counts = bytes(lengths + [0] * (16 - len(lengths)))
    values = bytes(symbol for symbols in symbols_by_length for symbol in symbols)
    return bytes([table_class << 4]) + counts + values


def grey_level(media_key: str) -> int:
    """16..239, never 128 (a level of 128 would need no DC category at all)."""
    level = 16 + hashlib.sha256(media_key.encode()).digest()[0] % 224
    return level if level != 128 else 129


@functools.lru_cache(maxsize=512)
def _image(level: int, width: int, height: int) -> bytes:
    """Everything after the comment: tables, frame, scan and end of image."""
    quant = _segment(0xDB, b"\x00" + bytes([8] * 64))  # DC coefficient / 8 = level - 128
    frame = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    diff = level - 128
    category = abs(diff).bit_length()
    # DC table: category 0 is "0", the first block's category is "10"; AC table: EOB is "0".
    tables = _segment(0xC4, _huffman_table(0, [[0], [category]]) + _huffman_table(1, [[0x00]]))
    scan_header = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    value = diff if diff > 0 else diff + (1 << category) - 1
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = "10" + format(value, f"0{category}b") + "0" + "00" * (blocks - 1)
    bits += "1" * (-len(bits) % 8)  # pad the last byte with 1-bits
    data = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")
    return quant + frame + tables + scan_header + data + EOI


def jpeg_for(media_key: str, width: int, height: int) -> bytes:
    comment = _segment(0xFE, f"wonder trestle sandbox {media_key}".encode())
    return SOI + comment + _image(grey_level(media_key), width, height)
