"""parse_message on the hand-written odd messages in messages/ (committed: CI always has them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from wonder.mail.message import Address, OwnDefect, ParsedMessage
from wonder.mail.parse import parse_message

MESSAGES = Path(__file__).parent / "messages"


def parsed(name: str) -> ParsedMessage:
    return parse_message((MESSAGES / name).read_bytes(), thread_id=None)


def test_encoded_words_in_names_subject_and_attachment_filenames() -> None:
    message = parsed("encoded_words.eml")
    assert message.from_ == (Address("José Álvarez", "Jose.Alvarez+leads@GMail.com"),)
    assert message.to[1] == Address("Jörg Müller", "jorg@example.de")  # ISO-8859-1, base64
    assert message.to[0].name == "Smith, Jane"
    # Adjacent encoded words join without the space between them (RFC 2047 6.2).
    assert message.subject.startswith("日本語 and café")
    assert message.date == datetime(2025, 1, 6, 9, 1, tzinfo=UTC)
    pdf, png = message.attachments
    assert (pdf.filename, pdf.content_type, pdf.disposition) == (
        "€ rates 2025.pdf",  # RFC 2231 filename*
        "application/pdf",
        "attachment",
    )
    assert pdf.size == len(b"%PDF-1.4 fake\n" * 10)
    assert png.filename == "plán.png"  # an encoded word inside a quoted parameter
    assert "Café nearby" in message.text


def test_an_encoded_word_in_an_unknown_charset_is_a_defect_not_a_crash() -> None:
    message = parsed("encoded_words.eml")
    assert any(
        d.kind == OwnDefect.UNKNOWN_CHARSET
        and d.where == "header subject"
        and d.detail == "x-klingon"
        for d in message.defects
    )


def test_html_only_mail_becomes_readable_text() -> None:
    message = parsed("html_only.eml")
    assert message.html_present
    assert message.text.splitlines()[:6] == [
        "Open House",
        "",
        "Tom & Jerry\u2019s place at 720 5th Avenue",  # windows-1252 0x92, &amp;, &nbsp;
        "",
        "- Saturday",
        "- Sunday",
    ]
    assert "do not show" not in message.text
    assert "color" not in message.text
    assert "ignored title" not in message.text
    assert "Line one\nLine two" in message.text
    assert message.quoted_text == "> an old message"  # a blockquote is a quote


def test_lying_and_unknown_charsets_fall_back_and_record_a_defect_per_part() -> None:
    message = parsed("lying_charset.eml")
    assert "The rent is €500 \u2013 paid" in message.text  # us-ascii declared, cp1252 bytes
    assert "Plain words in an unknown charset." in message.text
    assert "Actually UTF-8: café." in message.text  # iso-8859-1 declared, UTF-8 bytes
    assert "Not a text codec." in message.text
    kinds = {(d.where, d.kind, d.detail) for d in message.defects}
    assert kinds == {
        ("part 1", OwnDefect.CHARSET_MISMATCH, "us-ascii"),
        ("part 2", OwnDefect.UNKNOWN_CHARSET, "x-no-such-charset"),
        ("part 3", OwnDefect.CHARSET_MISMATCH, "iso-8859-1"),
        ("part 4", OwnDefect.UNKNOWN_CHARSET, "rot13"),
    }


def test_nested_multipart_reads_the_plain_alternative_and_lists_every_attachment() -> None:
    message = parsed("nested.eml")
    assert message.text == "See the photos attached."  # once: the HTML twin is not added
    assert message.html_present
    logo, attached, calendar = message.attachments
    assert (logo.content_type, logo.content_id, logo.disposition, logo.part) == (
        "image/gif",
        "logo@x",
        "inline",
        "1.2.2",
    )
    assert (attached.content_type, attached.filename, attached.disposition) == (
        "message/rfc822",
        "The original inquiry",
        "attachment",
    )
    assert calendar.content_type == "text/calendar"  # text, but not body text
    assert "Forwarded body." not in message.text
    assert message.defects == ()


@pytest.mark.parametrize(
    ("name", "defect", "readable"),
    [
        ("missing_boundary.eml", "NoBoundaryInMultipartDefect", "The body is still readable."),
        ("boundary_never_found.eml", "StartBoundaryNotFoundDefect", "Some text anyway."),
    ],
)
def test_a_multipart_without_its_boundary_keeps_its_body_as_text(
    name: str, defect: str, readable: str
) -> None:
    message = parsed(name)
    assert readable in message.text
    assert defect in message.defect_kinds()


def test_malformed_headers_are_read_as_far_as_they_go_with_defects() -> None:
    message = parsed("malformed_headers.eml")
    # Raw 8-bit header bytes: Latin-1 in From, UTF-8 in Subject; the NUL is dropped.
    assert message.from_ == (Address("Jörg Müller", "jorg@example.de"),)
    assert message.subject == "Café 8-bit subject"
    assert message.date is None
    assert message.references == ("a@x", "b@x")
    assert message.in_reply_to == ()
    assert message.text == "Body after malformed headers.\n"
    wheres = {(d.kind, d.where) for d in message.defects}
    assert (OwnDefect.UNDECODABLE_HEADER, "header from") in wheres
    assert (OwnDefect.UNDECODABLE_HEADER, "header subject") in wheres
    assert (OwnDefect.BAD_DATE, "header date") in wheres
    assert ("InvalidHeaderDefect", "header to") in wheres


def test_a_missing_date_is_none_with_a_defect() -> None:
    message = parsed("no_date.eml")
    assert message.date is None
    assert [d.kind for d in message.defects] == [OwnDefect.MISSING_DATE]


def test_a_date_without_zone_is_read_as_utc_with_a_defect() -> None:
    message = parsed("crlf_outlook_reply.eml")
    assert message.date == datetime(2025, 1, 11, 15, 30, tzinfo=UTC)
    assert OwnDefect.DATE_WITHOUT_ZONE in message.defect_kinds()


def test_outlook_reply_in_crlf_mail_splits_new_text_signature_and_quote() -> None:
    message = parsed("crlf_outlook_reply.eml")
    assert message.new_text == "Yes, please send the renewal for Unit 4B."
    assert message.signature == "Thanks,\nBob"
    assert message.quoted_text.startswith("________________________________\nFrom: Wonder Office")
    assert message.quoted_text.endswith("ends in March.")
    assert message.in_reply_to == ("orig-1@wonder.example",)
    assert message.message_id == "reply-2@outlook.com"


def test_gmail_reply_with_inline_answers_and_a_wrapped_attribution() -> None:
    message = parsed("gmail_reply.eml")
    assert message.new_text == "Saturday works for me.\nThen 10am."
    assert message.signature == "-- \nJane Buyer\n555-0100"
    assert message.quoted_text.splitlines() == [
        "> I can only do mornings.",
        "On Sun, Jan 12, 2025 at 9:00 AM Agent Smith <agent@realty.example>",
        "wrote:",
        "",
        "> Can you come Saturday?",
        "> And which time?",
    ]


def test_size_headers_and_thread_id_are_kept() -> None:
    raw = (MESSAGES / "gmail_reply.eml").read_bytes()
    message = parse_message(raw, thread_id="18c0ffee")
    assert message.size == len(raw)
    assert message.thread_id == "18c0ffee"
    assert ("Subject", "Re: 45 Oak Ave") in message.headers
