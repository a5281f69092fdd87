"""Property-based tests across module boundaries: hostile mail -> threading, hostile mail -> reply.

* Threading terminates on any reference graph (self references, loops, duplicate ids),
  puts every message in exactly one conversation, and gives the same conversations and
  ids whatever order the messages come in (a rebuilt cache numbers rows differently).
* A reply built from any parsed hostile message has exactly the expected header set, goes
  only to addresses the original named, and is plain 7-bit with lines a relay accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportinbox.config import AccountConfig
from supportinbox.domain.replies import Original, ReplyError, build_reply, to_bytes, valid_address
from supportinbox.domain.threading import ThreadMessage, thread_messages
from supportinbox.mail.parse import parse_message

IDS = [f"<m{i}@x.test>" for i in range(8)]
SUBJECTS = ["Help", "Re: Help", "RE: re: Help", "Invoice", "", "Fwd: Invoice"]
SENDERS = ["a@customer.test", "b@customer.test", "support@acme.test"]
BASE = datetime(2026, 3, 1, tzinfo=UTC)


@st.composite
def thread_inputs(draw: st.DrawFn) -> list[ThreadMessage]:
    count = draw(st.integers(1, 25))
    messages = []
    for rowid in range(1, count + 1):
        sender = draw(st.sampled_from(SENDERS))
        from_us = sender == "support@acme.test"
        # Every cached message has a time: its Date, else the server's INTERNALDATE.
        when = BASE + timedelta(minutes=draw(st.integers(0, 50)))
        messages.append(
            ThreadMessage(
                rowid=rowid,
                message_id=draw(st.one_of(st.none(), st.sampled_from(IDS))),
                in_reply_to=draw(st.one_of(st.none(), st.sampled_from(IDS))),
                references=draw(st.lists(st.sampled_from(IDS), max_size=6)),
                subject=draw(st.sampled_from(SUBJECTS)),
                from_addr=sender,
                to_addrs=[draw(st.sampled_from(SENDERS[:2]))] if from_us else [],
                when=when,
                from_us=from_us,
            )
        )
    return messages


def _content(message: ThreadMessage) -> tuple[object, ...]:
    # Everything but the row id: two messages equal in all of this cannot be told apart.
    return (
        message.message_id,
        message.in_reply_to,
        tuple(message.references),
        message.subject,
        message.from_addr,
        tuple(message.to_addrs),
        message.when,
        message.from_us,
    )


def _grouping(messages: list[ThreadMessage]) -> dict[str, tuple[tuple[object, ...], ...]]:
    threads = thread_messages(messages)
    return {t.id: tuple(sorted((_content(m) for m in t.messages), key=repr)) for t in threads}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thread_inputs(), st.randoms(use_true_random=False))
def test_threading_partitions_and_ignores_input_order(messages: list[ThreadMessage], rnd: object) -> None:
    threads = thread_messages(messages)
    every = [m.rowid for t in threads for m in t.messages]
    assert sorted(every) == [m.rowid for m in messages]  # each message exactly once
    assert len({t.id for t in threads}) == len(threads)
    grouping = _grouping(messages)
    shuffled = list(messages)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _grouping(shuffled) == grouping


ACCOUNT = AccountConfig(
    email="support@acme.test",
    display_name="Acme Support",
    agent="alice",
    username="support",
    imap_host="127.0.0.1",
    imap_security="none",
    smtp_security="none",
)

HEADER_VALUES = st.one_of(
    st.binary(max_size=120),
    st.lists(
        st.sampled_from(
            [
                b"x",
                b"\r\n",
                b"Bcc: evil@evil.test",
                b"=?utf-8?q?",
                b"?=",
                b"=0D=0A",
                b" ",
                b"<",
                b">",
                b"@",
                b",",
                b'"',
                b"\xff",
                b"\x00",
                b"=?utf-8?b?DQpCY2M6IGV2aWxAZXZpbC50ZXN0?=",
                b"a@b.test",
            ]
        ),
        max_size=12,
    ).map(b"".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    from_=HEADER_VALUES,
    reply_to=HEADER_VALUES,
    subject=HEADER_VALUES,
    message_id=HEADER_VALUES,
    references=HEADER_VALUES,
    cc=HEADER_VALUES,
    reply_all=st.booleans(),
)
def test_reply_to_any_parsed_message_cannot_be_injected(
    from_: bytes,
    reply_to: bytes,
    subject: bytes,
    message_id: bytes,
    references: bytes,
    cc: bytes,
    reply_all: bool,
) -> None:
    def line(name: bytes, value: bytes) -> bytes:
        return name + b": " + value.replace(b"\n", b" ").replace(b"\r", b" ") + b"\r\n"

    raw = (
        line(b"From", b"Lina <lina@customer.test> " + from_)
        + line(b"Reply-To", reply_to)
        + line(b"Subject", subject)
        + line(b"Message-ID", message_id)
        + line(b"References", references)
        + line(b"Cc", cc)
        + b"\r\nbody\r\n"
    )
    parsed = parse_message(raw)
    original = Original(
        from_name=parsed.from_name,
        from_addr=parsed.from_addr,
        subject=parsed.subject,
        message_id=parsed.message_id,
        references=parsed.references,
        reply_to=[parsed.reply_to] if parsed.reply_to else [],
        to_addrs=parsed.to_addrs,
        cc_addrs=parsed.cc_addrs,
        body_text=parsed.body_text,
    )
    try:
        msg = build_reply(original, ACCOUNT, "Thanks, we are on it.", reply_all=reply_all)
    except ReplyError:
        return  # no usable recipient: refused with a message, nothing built
    wire = to_bytes(msg)
    assert wire.isascii() and all(len(line) <= 998 for line in wire.split(b"\r\n"))
    assert b"\n" not in wire.replace(b"\r\n", b"")
    back = message_from_bytes(wire, policy=policy.default)
    names = {k.lower() for k in back}
    assert names <= {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "x-supportinbox-agent",  # the account's agent, never from the mail
    }
    assert "bcc" not in names and len(back.get_all("To") or []) == 1
    allowed = {
        a.lower() for a in (parsed.from_addr, parsed.reply_to, *parsed.to_addrs, *parsed.cc_addrs) if a
    }
    sent_to = [a.addr_spec.lower() for h in ("To", "Cc") for a in (back[h].addresses if back[h] else ())]
    assert sent_to and set(sent_to) <= allowed
    assert all(valid_address(a) for a in sent_to)
    assert "support@acme.test" not in sent_to
    if not reply_all:
        assert back["Cc"] is None


@pytest.mark.parametrize("hostile", ["x\r\n Bcc: evil@evil.test", "=?utf-8?q?x=0D=0ABcc:_evil@evil.test?="])
def test_known_injections_stay_in_one_header(hostile: str) -> None:
    raw = f"From: {hostile} <lina@customer.test>\r\nSubject: {hostile}\r\n\r\nhi".encode()
    parsed = parse_message(raw)
    original = Original(from_name=parsed.from_name, from_addr=parsed.from_addr, subject=parsed.subject)
    try:
        reply = build_reply(original, ACCOUNT, "ok")
    except ReplyError:
        # A malformed From (':' inside an encoded word reads as a group) yields no valid sender.
        assert valid_address(parsed.from_addr) is None
        return
    back = message_from_bytes(to_bytes(reply), policy=policy.default)
    assert "bcc" not in {k.lower() for k in back}
    # The reply goes to the one sender the parser saw (a stranger controls From anyway).
    assert [a.addr_spec for a in back["To"].addresses] == [parsed.from_addr]


MARKUP_PIECES = st.sampled_from(
    [
        "[bold red]",
        "[/]",
        "[/bold red]",
        "[link=https://evil.test]",
        "[/link]",
        "\\[",
        ":smile:",
        "\x1b[31m",
        "\x1b]8;;https://e.test\x1b\\",
        "\x9b2J",
        "\u202e",
        "x",
        " ",
        "\n",
        "مرحبا",
        "می\u200cخواهم",
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(MARKUP_PIECES, st.text(max_size=10)), max_size=20).map("".join))
def test_clean_text_printed_by_rich_is_literal_and_inert(text: str) -> None:
    import io

    from rich.console import Console
    from rich.text import Text

    from supportinbox.domain.safetext import clean

    buffer = io.StringIO()
    console = Console(file=buffer, width=10_000, color_system=None, highlight=False, emoji=False)
    console.print(Text(clean(text)), end="")
    out = buffer.getvalue()
    assert "\x1b" not in out and not any(0x80 <= ord(c) <= 0x9F for c in out)
    # Markup-looking text comes out exactly as it went in: nothing was interpreted.
    assert out.replace("\n", "").strip() == clean(text).replace("\n", "").strip()
