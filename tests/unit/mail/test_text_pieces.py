"""Charsets, HTML to text, quoted replies and signatures, one behaviour each."""

from __future__ import annotations

import pytest

from wonder.mail.charsets import codec_for, decode_bytes
from wonder.mail.html_text import html_to_text
from wonder.mail.message import OwnDefect
from wonder.mail.replies import split_reply


@pytest.mark.parametrize(
    ("data", "label", "text", "defect"),
    [
        ("naïve".encode(), "utf-8", "naïve", None),
        (b"na\xefve", None, "naïve", None),  # no label: not a lie
        (b"na\xefve", "us-ascii", "naïve", OwnDefect.CHARSET_MISMATCH),
        ("naïve".encode(), "iso-8859-1", "naïve", OwnDefect.CHARSET_MISMATCH),
        (b"\x93quoted\x94", "iso-8859-1", "\u201cquoted\u201d", None),  # what senders mean
        (b"plain", "x-unknown", "plain", OwnDefect.UNKNOWN_CHARSET),
        (b"na\xefve", "base64", "naïve", OwnDefect.UNKNOWN_CHARSET),  # bytes-to-bytes codec
        ("日本".encode("shift_jis"), "Shift_JIS", "日本", None),
        ("日本".encode("utf-7"), "utf-7", "日本", None),  # ASCII bytes, not ASCII text
        (b"\xff\xfe\x00", "utf-8", "\xff\xfe\x00", OwnDefect.CHARSET_MISMATCH),
    ],
)
def test_decode_bytes(data: bytes, label: str | None, text: str, defect: OwnDefect | None) -> None:
    assert decode_bytes(data, label) == (text, defect)


def test_codec_for_refuses_labels_that_are_no_text_encodings() -> None:
    assert [codec_for(x) for x in ("rot13", "hex", "zlib", "", None, '"UTF-8"')] == [
        None, None, None, None, None, "utf-8",
    ]  # fmt: skip


def test_html_to_text_blocks_entities_and_dropped_content() -> None:
    html = (
        "<html><head><style>x{}</style><title>t</title></head><body>"
        "<h1>Title</h1><p>A&nbsp;&amp;&#160;B &lt;ok&gt; &eacute;</p>"
        "<script>bad()</script><table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>"
        "<pre>  keep\n  spacing</pre><p>x<br/>y</p><img src=a alt=Plan><noscript>no</noscript>"
        "</body></html>"
    )
    assert html_to_text(html).splitlines() == [
        "Title", "", "A & B <ok> é", "", "1 2", "3", "", "  keep", "  spacing", "", "x", "y",
        "[Plan]",
    ]  # fmt: skip


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>open <b>bold <script>never closed") == "open bold"
    assert html_to_text("</p></div>stray</blockquote>end") == "stray\nend"
    assert html_to_text("<blockquote>" * 200 + "deep") == ("> " * 64 + "deep").rstrip()


def test_split_reply_on_gmail_style_with_signature_and_sign_off() -> None:
    parts = split_reply(
        "Works for me.\n\nBest regards,\nAna\n\nOn Tue, 7 Jan 2025, Bob wrote:\n> When?\n"
    )
    assert parts.new_text == "Works for me."
    assert parts.signature == "Best regards,\nAna"
    assert parts.quoted_text == "On Tue, 7 Jan 2025, Bob wrote:\n> When?"


@pytest.mark.parametrize(
    "header",
    [
        "-----Original Message-----\nFrom: Bob\nSent: Tuesday\n",
        "From: Bob <b@x.com>\nSent: Tuesday, January 7, 2025 9:00 AM\nTo: Ana\n",
        "Le mar. 7 janv. 2025 à 09:00, Bob <b@x.com> a écrit :\n",
        "Am 07.01.2025 um 09:00 schrieb Bob <b@x.com>:\n",
    ],
)
def test_split_reply_top_posting_headers(header: str) -> None:
    parts = split_reply(f"New words.\n\n{header}\nold words\n")
    assert parts.new_text == "New words."
    assert parts.quoted_text.endswith("old words")
    assert "New words" not in parts.quoted_text


def test_split_reply_keeps_forwarded_content_and_long_thanks_lines_as_new_text() -> None:
    forwarded = (
        "FYI\n\n---------- Forwarded message ---------\nFrom: Lead <l@x.com>\n\nI want 12 Elm St"
    )
    assert split_reply(forwarded).new_text == forwarded
    text = "Thanks, that is exactly the house we were hoping to see this weekend.\nCall me."
    assert split_reply(text).signature == ""


def test_split_reply_signature_delimiter_wins_and_from_inside_text_is_no_header() -> None:
    parts = split_reply("From: the lake house to the city.\nIt is far.\n-- \nAna\n-- \nList footer")
    assert parts.new_text == "From: the lake house to the city.\nIt is far."
    assert parts.signature == "-- \nAna\n-- \nList footer"
    assert parts.quoted_text == ""


def test_split_reply_sent_from_my_phone() -> None:
    parts = split_reply("Is it still available?\n\nSent from my iPhone")
    assert (parts.new_text, parts.signature) == ("Is it still available?", "Sent from my iPhone")
