"""Hostile and broken IMAP servers, played by the scripted server: bounded, one line, nothing lost.

Each case is a way servers have been seen to break the protocol's promises (isync's and
the STARTTLS study's lists): a UID given to another message under the same UIDVALIDITY,
UIDNEXT going backwards, an EXPUNGE in the middle of a FETCH answer, a FETCH answer for a
UID nobody asked for, an endlessly nested BODYSTRUCTURE, a 100 MB line, a literal of
{4294967295}, one message whose answer breaks the protocol or is refused. The sync either
ends with the cache equal to what the server now holds, or skips the one message it cannot
read (reported, left on the server, tried again by every sync), or stops with one clear line
(never a traceback), keeping what it had.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cliproc import Run, assert_one_clear_line, config_text, query, run_cli, write_config
from tests.harness.fakeimap import FakeImap, Reply, literal, stream
from tests.harness.fakemailbox import Mailbox, message

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def box() -> Mailbox:
    return Mailbox({uid: message(uid) for uid in range(1, 6)})


@pytest.fixture
def server(box: Mailbox, supportinbox_home: Path) -> Iterator[FakeImap]:
    with FakeImap(**box.handlers()) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10, batch_size=2))
        yield fake


def _cached(home: Path) -> dict[int, str]:
    return {int(r["uid"]): str(r["message_id"]) for r in query(home, "SELECT uid, message_id FROM messages")}


def _on_server(box: Mailbox) -> dict[int, str]:
    return {
        uid: msg.header.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
        for uid, msg in box.messages.items()
    }


def _sync(home: Path) -> Run:
    run = run_cli(home, "sync")
    assert "Traceback" not in run.stderr, run.describe()
    return run


def test_a_uid_given_to_another_message_is_detected_and_the_folder_fetched_again(
    box: Mailbox, server: FakeImap, supportinbox_home: Path
) -> None:
    assert _sync(supportinbox_home).returncode == 0
    assert _cached(supportinbox_home) == _on_server(box)
    # The server loses its index and gives UID 3 to a new message, UIDVALIDITY unchanged.
    box.messages[3] = message(42, size=100)
    run = _sync(supportinbox_home)
    assert run.returncode == 0, run.describe()
    assert "fetched again" in run.stdout, run.stdout
    assert _cached(supportinbox_home) == _on_server(box)  # never the old message under UID 3
    assert "up to date" in _sync(supportinbox_home).stdout or _cached(supportinbox_home) == _on_server(box)


def test_uidnext_going_backwards_is_detected_and_the_folder_fetched_again(
    box: Mailbox, server: FakeImap, supportinbox_home: Path
) -> None:
    assert _sync(supportinbox_home).returncode == 0
    # Renumbered from 1 with the same UIDVALIDITY: UIDNEXT is now below cached UIDs.
    box.messages.clear()
    box.messages.update({1: message(1), 2: message(20), 3: message(30)})
    run = _sync(supportinbox_home)
    assert run.returncode == 0, run.describe()
    assert "fetched again" in run.stdout, run.stdout
    assert _cached(supportinbox_home) == _on_server(box)


def test_an_expunge_in_the_middle_of_a_fetch_loses_nothing(
    box: Mailbox, server: FakeImap, supportinbox_home: Path
) -> None:
    gone = 2

    def expunge(asked: list[int]) -> bytes:
        if gone in asked and gone in box.messages:
            del box.messages[gone]
            return b"* 2 EXPUNGE\r\n"
        return b""

    box.interject = expunge
    assert _sync(supportinbox_home).returncode == 0
    box.interject = None
    assert _sync(supportinbox_home).returncode == 0
    assert _cached(supportinbox_home) == _on_server(box)


def test_a_fetch_answer_for_a_uid_not_asked_is_ignored(
    box: Mailbox, server: FakeImap, supportinbox_home: Path
) -> None:
    planted = literal(b"Message-ID: <planted@evil.test>\r\n\r\n")
    box.interject = lambda asked: (
        b"* 99 FETCH (UID 999 FLAGS () RFC822.SIZE 10 BODY[HEADER] " + planted + b")\r\n"
    )
    assert _sync(supportinbox_home).returncode == 0
    assert _cached(supportinbox_home) == _on_server(box)


def _skipped(run: Run) -> list[str]:
    return [line for line in run.error_lines if "skipped" in line]


BROKEN = {
    "nesting": {"broken": {3: b"(" * 100_000 + b")" * 100_000}},
    "unclosed-nesting": {"broken": {3: b"(" * 100_000}},
    "line-over-imaplib-cap": {"broken": {3: b"X" * 2_000_000}},
    "fetch-refused": {"refused": {3}},
}


@pytest.mark.parametrize("fault", BROKEN.values(), ids=BROKEN.keys())
def test_one_message_whose_answer_breaks_is_skipped_reported_and_tried_again(
    fault: dict[str, object], supportinbox_home: Path
) -> None:
    box = Mailbox({uid: message(uid) for uid in range(1, 9)})
    for name, value in fault.items():
        setattr(box, name, value)
    with FakeImap(**box.handlers()) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10, batch_size=2))
        run = _sync(supportinbox_home)
        # Every other message is synced; the broken one is named, once, and left on the server.
        assert run.returncode == 0, run.describe()
        assert len(_skipped(run)) == 1 and "UID 3" in _skipped(run)[0], run.describe()
        assert "synced 7 messages" in run.stdout and "1 message skipped" in run.stdout, run.describe()
        expected = _on_server(box)
        del expected[3]
        assert _cached(supportinbox_home) == expected
        # Later syncs still bring new mail, and report the message again.
        box.messages[9] = message(9)
        run = _sync(supportinbox_home)
        assert run.returncode == 0, run.describe()
        assert len(_skipped(run)) == 1 and "UID 3" in _skipped(run)[0], run.describe()
        assert "<q9@customer.test>" in _cached(supportinbox_home).values()
        # Once the server can send it, it arrives: nothing was lost.
        box.broken, box.refused = {}, set()
        run = _sync(supportinbox_home)
        assert run.returncode == 0 and not _skipped(run), run.describe()
        assert _cached(supportinbox_home) == _on_server(box)
        assert "up to date" in _sync(supportinbox_home).stdout


def test_a_server_whose_every_answer_breaks_stops_with_one_line(supportinbox_home: Path) -> None:
    box = Mailbox({uid: message(uid) for uid in range(1, 21)})
    box.broken = {uid: b"(" * 100_000 for uid in box.messages}
    with FakeImap(**box.handlers()) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10, batch_size=2))
        run = _sync(supportinbox_home)
    # Not one reconnection per message: a few in a row, then one line.
    assert_one_clear_line(run)
    assert "breaks the IMAP protocol" in run.stderr, run.describe()
    assert fake.connections <= 8, fake.connections


def _streaming(head: bytes) -> Reply:
    """A UID handler: SEARCH finds UID 1, anything else is ``head`` then 100 MB."""

    def uid(tag: bytes, args: list[bytes]) -> Reply:
        if args[0].upper() == b"SEARCH":
            return b"* SEARCH 1\r\n" + tag + b" OK done\r\n"
        return stream(head, 100 * 1024 * 1024)

    return uid


def test_a_100mb_line_is_cut_at_the_cap_and_its_message_skipped(supportinbox_home: Path) -> None:
    with FakeImap(UID=_streaming(b"* 1 FETCH (UID 1 FLAGS () X-PADDING ")) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10))
        run = _sync(supportinbox_home)
    # imaplib stops reading a line at 1 MB; the message is named and left on the server.
    assert run.returncode == 0, run.describe()
    assert len(_skipped(run)) == 1 and "UID 1" in _skipped(run)[0], run.describe()
    assert "1000000 bytes" in _skipped(run)[0]
    assert not _cached(supportinbox_home)


def test_a_4294967295_literal_is_refused_and_its_message_skipped(supportinbox_home: Path) -> None:
    head = b"* 1 FETCH (UID 1 FLAGS () BODY[HEADER] {4294967295}\r\n"
    with FakeImap(UID=_streaming(head)) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10))
        run = _sync(supportinbox_home)
    # Refused before a byte of it is read (mail/imap.py); the message is named and left on
    # the server like any other whose answer breaks.
    assert run.returncode == 0, run.describe()
    assert len(_skipped(run)) == 1 and "UID 1" in _skipped(run)[0], run.describe()
    assert "4,294,967,295-byte answer" in _skipped(run)[0]
    assert not _cached(supportinbox_home)
