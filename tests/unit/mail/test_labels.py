"""The pure checks of a label edit (``wonder.mail.labels``): which field a mistake is named by."""

from __future__ import annotations

import pytest

from wonder.errors import InvalidArgument
from wonder.mail.labels import MAX_LABELS, LabelEdit, check_edit, unknown_label_error


def field_of(add: list[str], remove: list[str]) -> str:
    with pytest.raises(InvalidArgument) as error:
        check_edit(add, remove)
    return error.value.field


def test_a_good_edit_keeps_its_order_and_drops_repeats() -> None:
    assert check_edit(["STARRED", "Label_2", "STARRED"], ["UNREAD"]) == LabelEdit(
        ("STARRED", "Label_2"), ("UNREAD",)
    )
    assert check_edit([], ["UNREAD"]) == LabelEdit((), ("UNREAD",))


def test_each_mistake_names_its_field_and_index() -> None:
    assert field_of([], []) == "add_label_ids"
    assert field_of(["STARRED", ""], []) == "add_label_ids[1]"
    assert field_of([], ["UNREAD", "a\x00b"]) == "remove_label_ids[1]"
    assert field_of(["x" * 256], []) == "add_label_ids[0]"
    assert field_of(["STARRED"], ["INBOX", "STARRED"]) == "remove_label_ids[1]"
    assert field_of([f"Label_{i}" for i in range(MAX_LABELS + 1)], []) == "add_label_ids"


def test_the_first_label_the_mailbox_lacks_is_named() -> None:
    edit = LabelEdit(("STARRED", "Label_9"), ("Label_8",))
    error = unknown_label_error(edit, frozenset({"STARRED", "INBOX"}), "400")
    assert (error.field, error.description) == (
        "add_label_ids[1]",
        "the mailbox has no label 'Label_9'",
    )
    error = unknown_label_error(edit, frozenset({"STARRED", "Label_9"}), "400")
    assert error.field == "remove_label_ids[0]"
    # Every label exists (Gmail refused for another reason): the edit as a whole, Gmail's words.
    error = unknown_label_error(edit, frozenset({"STARRED", "Label_8", "Label_9"}), "nope")
    assert error.field == "add_label_ids"
    assert "nope" in error.description
