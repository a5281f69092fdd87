"""Threading: References/In-Reply-To graph, broken and hostile headers, subject fallback, ids."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.domain import threading
from supportinbox.domain.threading import ThreadMessage, normalize_subject, thread_messages

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def msg(
    rowid: int,
    mid: str | None,
    *,
    irt: str | None = None,
    refs: tuple[str, ...] = (),
    subject: str = "Cannot log in",
    sender: str = "lina@customer.test",
    to: tuple[str, ...] = ("support@acme.test",),
    hours: float = 0,
    ours: bool = False,
) -> ThreadMessage:
    return ThreadMessage(
        rowid=rowid,
        message_id=mid,
        in_reply_to=irt,
        references=refs,
        subject=subject,
        from_addr=sender,
        to_addrs=to,
        when=T0 + timedelta(hours=hours),
        from_us=ours,
    )


def groups(messages: list[ThreadMessage]) -> list[set[int]]:
    return sorted(({m.rowid for m in t.messages} for t in thread_messages(messages)), key=min)


def test_reply_chain_and_our_sent_reply_form_one_conversation() -> None:
    messages = [
        msg(1, "<a@c>"),
        msg(
            2,
            "<r@acme>",
            irt="<a@c>",
            refs=("<a@c>",),
            sender="support@acme.test",
            to=("lina@customer.test",),
            ours=True,
            hours=1,
        ),
        msg(3, "<b@c>", irt="<r@acme>", refs=("<a@c>", "<r@acme>"), subject="Re: Cannot log in", hours=2),
        msg(4, "<x@c>", sender="omar@other.test", subject="Invoice"),
    ]
    assert groups(messages) == [{1, 2, 3}, {4}]


def test_missing_middle_message_still_threads_through_a_placeholder() -> None:
    # The customer's first message was deleted; both later messages reference it.
    messages = [
        msg(
            2,
            "<r@acme>",
            irt="<gone@c>",
            refs=("<gone@c>",),
            ours=True,
            sender="support@acme.test",
            to=("lina@customer.test",),
        ),
        msg(3, "<b@c>", irt="<r@acme>", refs=("<gone@c>", "<r@acme>"), hours=1),
    ]
    threads = thread_messages(messages)
    assert len(threads) == 1
    assert threads[0].key == "mid:gone@c"


def test_broken_references_only_in_reply_to() -> None:
    messages = [msg(1, "<a@c>"), msg(2, "<b@c>", irt="<a@c>", refs=("garbage without brackets",), hours=1)]
    assert groups(messages) == [{1, 2}]


def test_reference_loop_does_not_hang_and_keeps_messages() -> None:
    messages = [
        msg(1, "<a@c>", irt="<b@c>", refs=("<b@c>",)),
        msg(2, "<b@c>", irt="<a@c>", refs=("<a@c>",), hours=1),
        msg(3, "<c@c>", refs=("<c@c>", "<a@c>", "<c@c>"), hours=2),  # refers to itself too
    ]
    threads = thread_messages(messages)
    assert sorted(m.rowid for t in threads for m in t.messages) == [1, 2, 3]
    assert len(threads) == 1


def test_duplicate_message_id_from_another_sender_is_kept_apart() -> None:
    messages = [
        msg(1, "<same@x>", sender="lina@customer.test", subject="Login"),
        msg(2, "<same@x>", sender="spammer@evil.test", subject="Cheap pills"),
    ]
    assert groups(messages) == [{1}, {2}]


def test_same_message_in_two_folders_is_one_conversation() -> None:
    messages = [msg(1, "<a@c>"), msg(2, "<a@c>")]
    assert groups(messages) == [{1, 2}]


def test_message_without_message_id_joins_by_in_reply_to() -> None:
    messages = [msg(1, "<a@c>"), msg(2, None, irt="<a@c>", hours=1)]
    assert groups(messages) == [{1, 2}]


def test_subject_fallback_joins_a_reply_without_headers() -> None:
    messages = [
        msg(1, "<a@c>", subject="Cannot log in"),
        msg(2, "<b@c>", subject="AW: RE: cannot   LOG in", hours=30),
    ]
    assert groups(messages) == [{1, 2}]


def test_subject_fallback_needs_the_same_customer() -> None:
    messages = [msg(1, "<a@c>"), msg(2, "<b@c>", sender="omar@other.test", hours=1)]
    assert groups(messages) == [{1}, {2}]


def test_subject_fallback_has_a_time_window() -> None:
    later = threading.SUBJECT_WINDOW.total_seconds() / 3600 + 24
    messages = [msg(1, "<a@c>"), msg(2, "<b@c>", hours=later)]
    assert groups(messages) == [{1}, {2}]


def test_our_message_without_headers_joins_by_subject_and_recipient() -> None:
    messages = [
        msg(1, "<a@c>"),
        msg(
            2,
            "<r@acme>",
            subject="Re: Cannot log in",
            sender="support@acme.test",
            to=("lina@customer.test",),
            ours=True,
            hours=1,
        ),
    ]
    assert groups(messages) == [{1, 2}]


def test_empty_subjects_are_not_merged() -> None:
    messages = [msg(1, "<a@c>", subject=""), msg(2, "<b@c>", subject="Re:", hours=1)]
    assert groups(messages) == [{1}, {2}]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Login", "login"),
        ("RE[2]: AW: Fwd: login", "login"),
        ("FW: WG: SV: VS: TR: RV: Antw: Login", "login"),
        ("Re(3): [Support] Login", "login"),
        ("رد: لا يعمل", "لا يعمل"),
        ("پاسخ: فوری", "فوری"),
        ("回复：问题", "问题"),
        ("Ответ: вопрос", "вопрос"),
        ("  re :  re:  Spaces   everywhere ", "spaces everywhere"),
        ("Receipt for order", "receipt for order"),  # "Re" inside a word is not a prefix
        ("", ""),
    ],
)
def test_normalize_subject(subject: str, expected: str) -> None:
    assert normalize_subject(subject) == expected


def test_ids_are_short_typeable_and_stable_across_order_and_row_ids() -> None:
    messages = [
        msg(1, "<a@c>"),
        msg(2, "<b@c>", irt="<a@c>", hours=1),
        msg(3, None, sender="omar@other.test", subject="Invoice", hours=2),
    ]
    first = {frozenset(m.message_id for m in t.messages): t.id for t in thread_messages(messages)}
    renumbered = [dataclasses.replace(m, rowid=m.rowid + 1000) for m in reversed(messages)]
    second = {frozenset(m.message_id for m in t.messages): t.id for t in thread_messages(renumbered)}
    assert first == second
    for ident in first.values():
        assert re.fullmatch(r"[a-z2-7]{8}", ident)


def test_id_does_not_change_when_a_reply_arrives() -> None:
    before = thread_messages([msg(1, "<a@c>")])[0].id
    after = thread_messages([msg(1, "<a@c>"), msg(2, "<b@c>", irt="<a@c>", hours=1)])[0].id
    assert before == after


def test_colliding_ids_are_made_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "short_id", lambda key, length=8: "x" * length)
    threads = thread_messages([msg(1, "<a@c>"), msg(2, "<b@c>", sender="omar@other.test", subject="Other")])
    assert sorted(t.id for t in threads) == ["x" * 8, "x" * 10]


ids = st.sampled_from([f"<m{i}@x>" for i in range(12)] + ["", "garbage", "<M1@X>"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), ids),
            st.one_of(st.none(), ids),
            st.lists(ids, max_size=6),
            st.sampled_from(["Login", "Re: login", "Invoice", "", "رد: عاجل"]),
            st.sampled_from(["a@x.test", "b@y.test"]),
            st.booleans(),
            st.integers(min_value=0, max_value=2000),
        ),
        max_size=40,
    )
)
def test_any_header_graph_threads_every_message_exactly_once(raw: list[tuple]) -> None:  # type: ignore[type-arg]
    messages = [
        msg(i, mid, irt=irt, refs=tuple(refs), subject=subject, sender=sender, ours=ours, hours=hours)
        for i, (mid, irt, refs, subject, sender, ours, hours) in enumerate(raw)
    ]
    threads = thread_messages(messages)
    placed = sorted(m.rowid for t in threads for m in t.messages)
    assert placed == list(range(len(messages)))
    assert len({t.id for t in threads}) == len(threads)
    again = thread_messages(list(reversed(messages)))
    assert sorted((t.id, sorted(m.rowid for m in t.messages)) for t in again) == sorted(
        (t.id, sorted(m.rowid for m in t.messages)) for t in threads
    )
