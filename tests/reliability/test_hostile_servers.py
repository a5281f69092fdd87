"""Hostile and broken IMAP servers, played by the scripted server: bounded, one line, nothing lost.

Each case is a way servers have been seen to break the protocol's promises (isync's and
the STARTTLS study's lists): a UID given to another message under the same UIDVALIDITY,
UIDNEXT going backwards, an EXPUNGE in the middle of a FETCH answer, a FETCH answer for a
UID nobody asked for, an endlessly nested BODYSTRUCTURE, a 100 MB line, a literal of
{4294967295}. The sync either ends with the cache equal to what the server now holds,
or stops with one clear line (never a traceback), keeping what it had.
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


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            b"* 1 FETCH (UID 1 BODYSTRUCTURE " + b"(" * 100_000 + b")" * 100_000 + b")\r\n", id="nesting"
        ),
        pytest.param(b"* 1 FETCH (UID 1 BODYSTRUCTURE " + b"(" * 100_000 + b"\r\n", id="unclosed-nesting"),
    ],
)
def test_an_endless_bodystructure_is_one_line(answer: bytes, supportinbox_home: Path) -> None:
    def uid(tag: bytes, args: list[bytes]) -> Reply:
        if args[0].upper() == b"SEARCH":
            return b"* SEARCH 1\r\n" + tag + b" OK done\r\n"
        return answer + tag + b" OK done\r\n"

    with FakeImap(UID=uid) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10))
        run = _sync(supportinbox_home)
    if run.returncode == 0:
        return  # the message was kept without a structure, as for a missing BODYSTRUCTURE
    assert_one_clear_line(run)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"* 1 FETCH (UID 1 FLAGS () X-PADDING ", id="100MB-line"),
        pytest.param(b"* 1 FETCH (UID 1 FLAGS () BODY[HEADER] {4294967295}\r\n", id="literal-4294967295"),
    ],
)
def test_a_huge_answer_is_refused_with_one_line(head: bytes, supportinbox_home: Path) -> None:
    def uid(tag: bytes, args: list[bytes]) -> Reply:
        if args[0].upper() == b"SEARCH":
            return b"* SEARCH 1\r\n" + tag + b" OK done\r\n"
        return stream(head, 100 * 1024 * 1024)

    with FakeImap(UID=uid) as fake:
        write_config(supportinbox_home, config_text(imap_port=fake.port, timeout=10))
        run = _sync(supportinbox_home)
    assert_one_clear_line(run)
