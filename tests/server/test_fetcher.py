"""The pipelined FETCH (mail/fetcher.py) against a real server, and through proxies that break it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from supportinbox.mail.fetcher import ByteCounter, Fetcher, answer_broke
from supportinbox.mail.imap import OversizedAnswer, connect, logout
from tests.harness.accounts import imap_account
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import append, client, make_message
from tests.harness.rewriteproxy import RewriteProxy

pytestmark = [pytest.mark.server, pytest.mark.both_servers]

# What the sync asks first for a new message, then its text part.
FIRST = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODYSTRUCTURE", "BODY.PEEK[HEADER]<0.8192>"]
TEXT = ["BODY.PEEK[1]<0.4096>"]
HEADER, BODY = b"BODY[HEADER]<0>", b"BODY[1]<0>"


def _mailbox(server: Dovecot, count: int) -> None:
    append(
        server,
        [make_message(subject=f"Order {n}", body=f"Parcel {n} never arrived.") for n in range(1, count + 1)],
    )


@contextmanager
def _inbox(server: Dovecot, port: int | None = None, *, qresync: bool = False) -> Iterator[IMAPClient]:
    account = imap_account(server, imap_port=port or server.imap_port)
    imap = connect("support", account, password="secret")
    try:
        if qresync:
            imap.enable("QRESYNC")  # unsolicited FETCH answers then name their UID too
        imap.select_folder("INBOX", readonly=True)
        yield imap
    finally:
        logout(imap)


def _subject(data: dict[bytes, object]) -> str:
    header = data[HEADER]
    assert isinstance(header, bytes)
    found = re.search(rb"^Subject: (.*?)\r?$", header, re.MULTILINE)
    assert found is not None
    return found.group(1).decode()


def test_pipelined_batches_are_merged_by_uid(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 7)
    with _inbox(dovecot) as imap:
        counter = ByteCounter()
        counter.attach(imap)
        fetcher = Fetcher(imap)
        # Three commands in flight before any answer is read; the last one waited for first.
        tags = [fetcher.send(batch, FIRST) for batch in ([1, 2, 3], [4, 5, 6], [7])]
        texts = fetcher.send(range(1, 8), TEXT)
        for tag in [texts, *reversed(tags)]:
            fetcher.wait(tag)

        arrived = fetcher.get([1, 2, 3, 4, 5, 6, 7, 99])
        assert sorted(arrived) == [1, 2, 3, 4, 5, 6, 7]
        assert [_subject(arrived[uid]) for uid in range(1, 8)] == [f"Order {n}" for n in range(1, 8)]
        # The text part asked by a second command joined each message's first answer.
        assert arrived[4][BODY].startswith(b"Parcel 4 never arrived.")
        assert isinstance(arrived[4][b"RFC822.SIZE"], int) and isinstance(arrived[4][b"FLAGS"], tuple)
        assert counter.count > sum(len(data[HEADER]) + len(data[BODY]) for data in arrived.values())

        assert sorted(fetcher.take([1, 2, 3])) == [1, 2, 3]
        assert sorted(fetcher.get(range(1, 8))) == [4, 5, 6, 7]
        # The connection is in step after the pipeline: a plain command still works.
        assert imap.search(["ALL"]) == [1, 2, 3, 4, 5, 6, 7]


def test_a_waited_fetch_takes_a_uid_range(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 3)
    with _inbox(dovecot) as imap:
        answer = Fetcher(imap).fetch("2:*", ["UID", "FLAGS", "RFC822.SIZE"])
    assert sorted(answer.messages) == [2, 3]
    assert answer.vanished == []


def test_empty_uid_sets_send_nothing(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 2)
    with _inbox(dovecot) as imap:
        counter = ByteCounter()
        counter.attach(imap)
        fetcher = Fetcher(imap)
        fetcher.wait(fetcher.send([], FIRST))
        assert fetcher.fetch("", FIRST).messages == {}
        assert counter.count == 0  # no command went out, so nothing came back
        assert fetcher.get([1, 2]) == {}
        # A set naming no message is asked, and answered with nothing.
        assert fetcher.fetch("90:99", FIRST).messages == {}
        assert sorted(fetcher.fetch("1:2", ["UID"]).messages) == [1, 2]


def test_a_literal_bigger_than_asked_is_refused_before_it_is_read(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 3)

    def announce_two_gigabytes(line: bytes) -> bytes:
        if line.startswith(b"* 2 FETCH ") and re.search(rb"\{\d+\}\r\n$", line):
            return re.sub(rb"\{\d+\}\r\n$", b"{2147483648}\r\n", line)
        return line

    with RewriteProxy(dovecot.imap_port, announce_two_gigabytes) as liar:
        with _inbox(dovecot, liar.port) as imap:
            fetcher = Fetcher(imap)
            with pytest.raises(OversizedAnswer) as refused:
                fetcher.wait(fetcher.send([1, 2, 3], FIRST))
        assert refused.value.size == 2147483648
        assert answer_broke(refused.value)  # the message's answer, not the connection
        # One message at a time on a new connection: only the hostile one fails.
        got: dict[int, str] = {}
        for uid in (1, 2, 3):
            with _inbox(dovecot, liar.port) as imap:
                fetcher = Fetcher(imap)
                try:
                    fetcher.wait(fetcher.send([uid], FIRST))
                except OversizedAnswer:
                    continue
                got.update((u, _subject(d)) for u, d in fetcher.take([uid]).items())
    assert got == {1: "Order 1", 3: "Order 3"}


def test_an_answer_that_breaks_mid_fetch_is_a_broken_answer(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 3)

    def garble(line: bytes) -> bytes:
        return b"%%% not imap\r\n" if line.startswith(b"* 2 FETCH ") else line

    with RewriteProxy(dovecot.imap_port, garble) as liar, _inbox(dovecot, liar.port) as imap:
        fetcher = Fetcher(imap)
        with pytest.raises(imap_errors.ProtocolError, match="unexpected answer") as broken:
            fetcher.wait(fetcher.send([1, 2, 3], FIRST))
    assert answer_broke(broken.value)


def test_a_connection_cut_mid_fetch_is_not_a_broken_answer(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 20)
    with FaultProxy(dovecot.imap_port) as proxy:
        proxy.set_fault(Fault("cut", trigger=b"BODY[HEADER]", after=2000))
        with _inbox(dovecot, proxy.port) as imap:
            fetcher = Fetcher(imap)
            with pytest.raises((OSError, imap_errors.IMAPClientError)) as cut:
                fetcher.wait(fetcher.send(range(1, 21), FIRST))
    assert not answer_broke(cut.value)  # the sync stops and the next one resumes


def test_a_refused_fetch_raises_with_the_servers_words(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 1)
    with (
        _inbox(dovecot) as imap,
        pytest.raises(imap_errors.IMAPClientError, match="FETCH failed: BAD") as refused,
    ):
        Fetcher(imap).fetch("1", ["NO-SUCH-ITEM"])
    assert answer_broke(refused.value)


def test_answers_for_messages_nobody_asked_for_are_dropped(dovecot: Dovecot) -> None:
    _mailbox(dovecot, 3)
    with _inbox(dovecot, qresync=True) as imap:
        with client(dovecot) as teammate:
            teammate.select_folder("INBOX")
            teammate.add_flags([3], [b"\\Flagged"])
        fetcher = Fetcher(imap)
        fetcher.wait(fetcher.send([1], ["UID", "FLAGS"]))
        assert sorted(fetcher.get([1, 2, 3])) == [1]
        # The change was seen: asked for, message 3 is flagged.
        fetcher.wait(fetcher.send([3], ["UID", "FLAGS"]))
        assert b"\\Flagged" in fetcher.take([3])[3][b"FLAGS"]
