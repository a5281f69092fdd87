"""How much memory does a first sync of a very large mailbox take?

Delivers N small messages (default 100,000) straight into the Maildir of a private Dovecot,
then runs ``python -m supportinbox sync`` as a subprocess on an empty cache and reads the
peak resident set size of that process from ``os.wait4`` (the kernel's ru_maxrss).
Baseline, measured in the same run: the peak RSS of the same interpreter running
``python -m supportinbox --version`` (interpreter and imports, no mail), so the figure
that grows with the mailbox is the difference. Target: peak below 150 MB.

Two shapes are run by default: conversations of 3 messages, and 1 message each (the most
conversations for the mail, the worst case for the conversation refresh).

Run: ``.venv/bin/python bench/memory_bench.py [--messages 100000] [--per-thread 3 1]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness.dovecot import Dovecot, make_root

TARGET_MB = 150.0

TEMPLATE = (
    "From: Customer {n} <customer{c}@customer.test>\r\n"
    "To: Acme Support <support@acme.test>\r\n"
    "Subject: {re}{subject} #{t}\r\n"
    "Date: Tue, 10 Mar 2026 {hh:02d}:{mm:02d}:00 +0000\r\n"
    "Message-ID: <bench-{n}@customer.test>\r\n"
    "{parent}"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello,\r\n\r\n{body}\r\n\r\nThanks,\r\nCustomer {n}\r\n"
)
SUBJECTS = ["Cannot log in", "Invoice question", "Refund please", "Export is broken", "فاتورة", "بازپرداخت"]
BODIES = [
    "I cannot log in since this morning, the page just reloads.",
    "Could you send me the invoice for last month again?",
    "The CSV export stops at 1,000 rows. Is that a limit?",
    "لا أستطيع تسجيل الدخول منذ الصباح.",
]


def messages(count: int, per_thread: int = 1) -> list[bytes]:
    """``count`` messages in threads of ``per_thread`` (follow-ups reference the one before)."""
    out = []
    for n in range(count):
        thread, position = divmod(n, per_thread)
        parent = (
            f"In-Reply-To: <bench-{n - 1}@customer.test>\r\nReferences: <bench-{n - 1}@customer.test>\r\n"
        )
        out.append(
            TEMPLATE.format(
                n=n,
                t=thread,
                c=thread % 5000,
                re="Re: " if position else "",
                subject=SUBJECTS[thread % len(SUBJECTS)],
                parent=parent if position else "",
                hh=(n // 60) % 24,
                mm=n % 60,
                body=BODIES[n % len(BODIES)],
            ).encode()
        )
    return out


def peak_rss_mb(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``args``; return (peak RSS in MB, seconds, exit code, stderr tail)."""
    started = time.monotonic()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    # ru_maxrss is in kilobytes on Linux.
    return usage.ru_maxrss / 1024, elapsed, proc.returncode, err.decode("utf-8", "replace")[-500:]


def _deliver(server: Dovecot, count: int, per_thread: int) -> None:
    server.deliver_files(messages(count, per_thread))


def run(count: int, per_thread: int, batch_size: int) -> bool:
    """One first sync of ``count`` messages in conversations of ``per_thread``; True if on target."""
    root = make_root("si-membench-")
    home = Path(tempfile.mkdtemp(prefix="si-membench-home-"))
    server = Dovecot(root)
    try:
        server.start()
        started = time.monotonic()
        # Generated and written by a child process: a fork or exec inherits the parent's peak
        # in ru_maxrss, so this process must stay small for the figures below to be the sync's.
        child = multiprocessing.get_context("fork").Process(target=_deliver, args=(server, count, per_thread))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"delivering the messages failed (exit {child.exitcode})")
        print(
            f"delivered {count:,} messages ({per_thread} per conversation) "
            f"in {time.monotonic() - started:.1f} s"
        )
        config = home / "config" / "config.toml"
        config.parent.mkdir(parents=True, mode=0o700)
        config.write_text(
            f"""
[accounts.support]
email = "support@acme.test"
username = "support"
password_command = "printf %s {server.users["support"]}"
imap_host = "127.0.0.1"
imap_port = {server.imap_port}
imap_security = "none"
smtp_security = "none"
timeout = 600
batch_size = {batch_size}
"""
        )
        env = dict(
            os.environ, SUPPORTINBOX_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring"
        )
        base_mb, _, code, err = peak_rss_mb([sys.executable, "-m", "supportinbox", "--version"], env)
        assert code == 0, err
        command = [sys.executable, "-m", "supportinbox", "sync"]
        sync_mb, seconds, code, err = peak_rss_mb(command, env)
        if code != 0:
            raise SystemExit(f"sync failed ({code}): {err}")
        with sqlite3.connect(home / "data" / "support.sqlite3") as conn:
            (cached,) = conn.execute("SELECT count(*) FROM messages").fetchone()
            (conversations,) = conn.execute("SELECT count(*) FROM conversations").fetchone()
        print(f"command: SUPPORTINBOX_HOME={home} {' '.join(command)}")
        print(f"messages synced:        {cached:,} of {count:,} in {seconds:.1f} s")
        print(f"conversations:          {conversations:,}")
        print(f"baseline (--version):   {base_mb:7.1f} MB peak RSS")
        print(
            f"sync:                   {sync_mb:7.1f} MB peak RSS ({sync_mb - base_mb:+.1f} MB over baseline)"
        )
        ok = sync_mb < TARGET_MB and cached == count
        print(f"target:                 < {TARGET_MB:.0f} MB  -> {'OK' if ok else 'OVER TARGET'}")
        return ok
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--per-thread",
        type=int,
        nargs="+",
        default=[3, 1],
        help="messages per conversation, one run per value (1: every message its own conversation)",
    )
    options = parser.parse_args()
    results = [run(options.messages, shape, options.batch_size) for shape in options.per_thread]
    print("all runs on target" if all(results) else "some runs OVER TARGET")


if __name__ == "__main__":
    main()
