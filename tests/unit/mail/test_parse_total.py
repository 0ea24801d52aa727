"""parse_message never raises on bytes: fuzzed input, hostile nesting, an unparseable message."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wonder.mail.message import OwnDefect, ParsedMessage
from wonder.mail.parse import parse_message

_PIECES = st.sampled_from(
    [
        b"From: ", b"To: ", b"Subject: ", b"Date: ", b"Content-Type: ", b"multipart/mixed; ",
        b"multipart/alternative; ", b"boundary=\"b\"", b"\n--b\n", b"\n--b--\n", b"text/html",
        b"charset=", b"x-unknown", b"utf-7", b"rot13", b"=?utf-8?b?", b"=?x?q?", b"?=", b"\n\n",
        b"\r\n", b"\n ", b"<", b">", b"@", b"\"", b",", b";", b"\x00", b"\xff\xfe", b"\xe9",
        b"Content-Transfer-Encoding: base64\n", b"quoted-printable", b"=\n", b"=ZZ", b"<p>",
        b"<script>", b"&#x110000;", b"&amp", b"> quoted\n", b"On x wrote:\n", b"-- \n",
        b"filename*=UTF-8''%E2%82", b"message/rfc822", b"Content-Disposition: attachment\n",
    ]
)  # fmt: skip
_MESSAGES = st.lists(st.one_of(_PIECES, st.binary(max_size=20)), max_size=40).map(b"".join)


def _holds_together(message: ParsedMessage, raw: bytes) -> None:
    assert isinstance(message, ParsedMessage)
    assert message.size == len(raw)
    assert message.date is None or message.date.tzinfo is not None
    for text in (message.text, message.subject, message.new_text, *(v for _, v in message.headers)):
        text.encode("utf-8")  # no lone surrogates: the store can write it
        assert "\x00" not in text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MESSAGES)
def test_parse_never_raises_on_mail_shaped_bytes(raw: bytes) -> None:
    _holds_together(parse_message(raw), raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    _holds_together(parse_message(raw), raw)


def test_a_message_the_stdlib_cannot_parse_comes_back_with_its_defect() -> None:
    levels = 3000  # the feed parser recurses per level: RecursionError
    raw = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(levels)
    )
    message = parse_message(raw + b"Content-Type: text/plain\n\ndeep\n", thread_id="t1")
    assert [d.kind for d in message.defects] == [OwnDefect.UNPARSEABLE_MESSAGE]
    assert "RecursionError" in message.defects[0].detail
    assert message.thread_id == "t1"
    assert message.size == len(raw) + len(b"Content-Type: text/plain\n\ndeep\n")


def test_nesting_past_the_limit_is_not_read_but_recorded() -> None:
    levels = 60
    raw = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(levels)
    )
    message = parse_message(raw + b"Content-Type: text/plain\n\ndeep\n")
    assert OwnDefect.UNDECODABLE_PART in message.defect_kinds()
    assert "deep" not in message.text


def test_one_defect_repeated_thousands_of_times_is_kept_once_and_the_list_is_bounded() -> None:
    params = "".join(f"; p{i}" for i in range(500))  # 500 distinct "no content" parameters
    raw = f"Content-Type: text/plain{params}\nSubject: s\n\nbody\n".encode()
    message = parse_message(raw)
    assert len(message.defects) == 101
    assert message.defects[-1].kind == OwnDefect.DEFECTS_TRUNCATED
    repeated = parse_message(b"Content-Type: text/plain" + b"; =" * 500 + b"\n\nbody\n").defects
    assert 0 < len(repeated) < 10
    assert len(set(repeated)) == len(repeated)
