"""A server announcing a huge literal cannot make the client allocate it (scripted server).

An IMAP literal is announced with its size before its bytes. The client used to read
whatever was announced: {2147483648} with 1 GB sent grew the process by 1 GB, and
{1099511627776} ended in MemoryError (exit 70). Answers are now bounded by what was asked
plus a margin; more is refused before a byte of it is read. In the sync that fails only the
message: the connection is opened again, the message stays on the server with one warning
line, and the other messages arrive. Elsewhere (saving an attachment) the command fails
with one line.

Memory is measured as the peak RSS of the command's process (``ru_maxrss`` of a child of
a small wrapper process), against a normal sync measured the same way: a bound on memory,
not on time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.cliproc import Run, cli_env, config_text, write_config
from tests.harness.fakeimap import BODY, MESSAGE, FakeImap, Handler, Reply, literal, stream

pytestmark = pytest.mark.timeout(300)

# Runs the command in a child and reports that child's peak RSS (KiB on Linux).
_WRAPPER = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "supportinbox", *sys.argv[1:]], capture_output=True)
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
sys.stderr.write("\\nPEAK_RSS_KIB %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""
SENT = 256 * 1024 * 1024  # what the hostile server actually sends after announcing more
MARGIN_KIB = 64 * 1024


def _announcing(size: int, sent: int, hostile_uid: int = 2) -> Handler:
    """A mailbox of three messages; every FETCH that includes ``hostile_uid`` is answered
    with a literal of ``size`` announced bytes (``sent`` of them sent, then a hang-up)."""

    def handler(tag: bytes, args: list[bytes]) -> Reply:
        if args and args[0].upper() == b"SEARCH":
            return b"* SEARCH 1 2 3\r\n" + tag + b" OK done\r\n"
        if args and args[0].upper() == b"FETCH" and len(args) > 1:
            uids = _uids(args[1])
            if hostile_uid in uids:
                head = b"* %d FETCH (UID %d FLAGS () BODY[HEADER]<0> {%d}\r\n" % (
                    hostile_uid,
                    hostile_uid,
                    size,
                )
                return stream(head, sent)
            return b"".join(_message(uid, args[2:]) for uid in uids) + tag + b" OK FETCH done\r\n"
        return tag + b" OK done\r\n"

    return handler


def _uids(spec: bytes) -> list[int]:
    found: list[int] = []
    for part in spec.split(b","):
        first, _, last = part.partition(b":")
        end = 3 if last == b"*" else int(last or first)
        found.extend(range(int(first), min(end, 3) + 1))
    return found


def _message(uid: int, items: list[bytes]) -> bytes:
    """The answer for one honest message (Hello N from ann@customer.test)."""
    header = MESSAGE.replace(b"Subject: Hello", b"Subject: Hello %d" % uid).replace(b"<m1@", b"<m%d@" % uid)
    wanted = b" ".join(items).upper()
    if b"BODY.PEEK[HEADER]" in wanted:
        return (
            b'* %d FETCH (UID %d FLAGS () INTERNALDATE "26-Nov-2026 08:00:00 +0000" RFC822.SIZE %d '
            b'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" %d 1 NIL NIL NIL NIL) '
            b"BODY[HEADER]<0> %s)\r\n" % (uid, uid, len(header) + len(BODY), len(BODY), literal(header))
        )
    if b"BODY.PEEK[1]" in wanted:
        return b"* %d FETCH (UID %d BODY[1]<0> %s)\r\n" % (uid, uid, literal(BODY))
    return b"* %d FETCH (UID %d FLAGS ())\r\n" % (uid, uid)


def _run_measured(home: Path, *args: str) -> tuple[Run, int]:
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args],
        env=cli_env(home),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=240,
        check=False,
    )
    err = done.stderr.decode("utf-8", "replace")
    err, _, peak = err.rpartition("\nPEAK_RSS_KIB ")
    return Run(args, done.returncode, done.stdout.decode("utf-8", "replace"), err), int(peak)


def _sync(home: Path, **handlers: Handler) -> tuple[Run, int]:
    with FakeImap(**handlers) as server:
        write_config(home, config_text(imap_port=server.port, timeout=60))
        return _run_measured(home, "sync")


@pytest.mark.parametrize("announced", [2_147_483_648, 1_099_511_627_776])
def test_a_huge_literal_fails_only_its_message_with_bounded_memory(
    announced: int, tmp_path: Path, supportinbox_home: Path
) -> None:
    normal, normal_peak = _sync(tmp_path / "normal")
    assert normal.returncode == 0, normal.describe()

    hostile, hostile_peak = _sync(supportinbox_home, UID=_announcing(announced, SENT))
    # The hostile answer sent 256 MB; reading it would show. Refusing it costs nothing.
    assert hostile_peak < normal_peak + MARGIN_KIB, (hostile_peak, normal_peak, hostile.describe())
    assert hostile.returncode == 0, hostile.describe()
    assert "synced 2 messages" in hostile.stdout and "1 message skipped" in hostile.stdout, hostile.describe()
    skipped = [line for line in hostile.stderr.splitlines() if "UID 2 skipped" in line]
    assert len(skipped) == 1, hostile.describe()
    assert f"announced a {announced:,}-byte answer where at most 327,680 bytes were asked" in skipped[0]
    # The rest are the fake server's missing Junk and Sent folders: no traceback.
    assert all(line.startswith("supportinbox: warning: ") for line in hostile.stderr.splitlines())
    assert not any(ord(c) < 32 for c in hostile.stderr.replace("\n", ""))

    listed = subprocess.run(
        [sys.executable, "-m", "supportinbox", "list", "--status", "all", "--json"],
        env=cli_env(supportinbox_home),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert sorted(row["subject"] for row in json.loads(listed.stdout)) == ["Hello 1", "Hello 3"]


def test_an_attachment_answer_is_bounded_by_the_size_the_structure_gave() -> None:
    """Saving a 1 KB attachment: an answer announcing 50 MB is refused before it is read."""
    from supportinbox.config import AccountConfig
    from supportinbox.mail import imap

    def fetch(tag: bytes, args: list[bytes]) -> Reply:
        return stream(b"* 1 FETCH (UID 1 BODY[2.MIME] {0}\r\n BODY[2] {50000000}\r\n", 8 * 1024 * 1024)

    with FakeImap(UID=fetch) as server:
        account = AccountConfig(
            email="support@acme.test",
            username="support",
            imap_host="127.0.0.1",
            imap_port=server.port,
            imap_security="none",
            smtp_security="none",
            timeout=30,
        )
        client = imap.connect("support", account, password="secret")
        try:
            with pytest.raises(imap.OversizedAnswer) as refused:
                imap.fetch_part(client, "INBOX", 1, "2", size=1000)
        finally:
            imap.logout(client)
    assert refused.value.size == 50_000_000
    assert (
        refused.value.limit == 2000 + imap.LITERAL_MARGIN or refused.value.limit == imap.DEFAULT_LITERAL_LIMIT
    )
    message = imap.describe_network_error(refused.value, account).message
    assert "50,000,000-byte answer" in message
