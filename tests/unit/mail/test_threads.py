"""group_threads: Gmail's threadId first, then the reply graph, then reply subjects."""

from __future__ import annotations

from tests.unit.mail.factories import message
from wonder.mail.message import ParsedMessage
from wonder.mail.threads import group_threads, normalize_subject


def keyed(messages: list[ParsedMessage]) -> dict[str, list[str | None]]:
    return {t.key: [m.message_id for m in t.messages] for t in group_threads(messages)}


def test_gmail_thread_ids_group_and_are_never_merged_by_references() -> None:
    a = message(message_id="a", thread_id="T1", subject="Lease", day=1)
    b = message(message_id="b", thread_id="T1", subject="Something else", day=2)
    # Gmail split this reply into its own thread (the subject changed): Gmail decides.
    c = message(message_id="c", thread_id="T2", references=("a",), subject="Re: Lease", day=3)
    assert keyed([c, b, a]) == {"T1": ["a", "b"], "T2": ["c"]}


def test_references_chain_joins_even_when_the_middle_message_is_missing() -> None:
    root = message(message_id="r", subject="Offer", day=1)
    # r <- (missing m) <- late: References names both; In-Reply-To only the missing one.
    late = message(message_id="late", in_reply_to=("m",), references=("r", "m"), day=3)
    other = message(message_id="o", subject="Offer", day=2)  # same subject, not a reply
    assert keyed([late, other, root]) == {"r": ["r", "late"], "o": ["o"]}


def test_in_reply_to_alone_joins_and_a_reference_into_a_gmail_thread_joins_it() -> None:
    a = message(message_id="a", thread_id="T9", day=1)
    b = message(message_id="b", in_reply_to=("a",), day=2)  # no threadId (e.g. from a file)
    c = message(message_id="c", in_reply_to=("b",), day=3)
    assert keyed([a, b, c]) == {"T9": ["a", "b", "c"]}


def test_a_message_referencing_two_gmail_threads_does_not_merge_them() -> None:
    a = message(message_id="a", thread_id="T1", day=1)
    b = message(message_id="b", thread_id="T2", day=2)
    c = message(message_id="c", references=("a", "b"), day=3)
    assert keyed([a, b, c]) == {"T1": ["a", "c"], "T2": ["b"]}


def test_subject_fallback_only_for_replies_without_reply_headers() -> None:
    first = message(message_id="1", subject="Showing at 45 Oak Ave", day=1)
    reply = message(message_id="2", subject="RE: [Leads] Fwd: showing at 45  oak ave", day=2)
    unrelated = message(message_id="3", subject="Showing at 45 Oak Ave", day=3)
    hello = message(message_id="4", subject="Re: Hello", day=4)  # no earlier "Hello"
    assert keyed([unrelated, hello, reply, first]) == {"1": ["1", "2"], "3": ["3"], "4": ["4"]}


def test_messages_without_ids_get_an_index_key_and_every_message_is_in_one_thread() -> None:
    messages = [message(subject="a", day=2), message(subject="b", day=1)]
    threads = group_threads(messages)
    assert [t.key for t in threads] == ["#1", "#0"]  # oldest first
    assert sorted(id(m) for t in threads for m in t.messages) == sorted(id(m) for m in messages)


def test_normalize_subject() -> None:
    assert normalize_subject("Re: RE[2]: Fwd:  [Wonder]  Lease  RENEWAL ") == "lease renewal"
    assert normalize_subject("AW: SV: Vs: Mietvertrag") == "mietvertrag"
    assert normalize_subject("Regarding the lease") == "regarding the lease"
