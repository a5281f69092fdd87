"""A server announcing a huge literal cannot make the client allocate it (scripted server).

An IMAP literal is announced with its size before its bytes. The client used to read
whatever was announced: {2147483648} with 1 GB sent grew the process by 1 GB, and
{1099511627776} ended in MemoryError (exit 70). Answers are now bounded by what was asked
plus a margin; more is refused with one line and the connection is given up.

Memory is measured as the peak RSS of the command's process (``ru_maxrss`` of a child of
a small wrapper process), against a normal sync measured the same way: a bound on memory,
not on time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.cliproc import Run, assert_one_clear_line, cli_env, config_text, write_config
from tests.harness.fakeimap import FakeImap, Handler, Reply, stream

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


def _announcing(size: int, sent: int) -> Handler:
    """UID FETCH of the header block answered with a literal of ``size`` announced bytes."""

    def handler(tag: bytes, args: list[bytes]) -> Reply:
        if args and args[0].upper() == b"SEARCH":
            return b"* SEARCH 1\r\n" + tag + b" OK done\r\n"
        head = b"* 1 FETCH (UID 1 FLAGS () BODY[HEADER]<0> {%d}\r\n" % size
        return stream(head, sent)

    return handler


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
def test_a_huge_literal_is_refused_with_one_line_and_bounded_memory(
    announced: int, tmp_path: Path, supportinbox_home: Path
) -> None:
    normal, normal_peak = _sync(tmp_path / "normal")
    assert normal.returncode == 0, normal.describe()

    hostile, hostile_peak = _sync(supportinbox_home, UID=_announcing(announced, SENT))
    # The hostile answer sent 256 MB; reading it would show. Refusing it costs nothing.
    assert hostile_peak < normal_peak + MARGIN_KIB, (hostile_peak, normal_peak, hostile.describe())
    assert_one_clear_line(hostile)
    assert f"{announced:,}-byte answer" in hostile.stderr, hostile.describe()


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
