"""How fast is the initial sync, and how cheap is a sync when nothing changed?

Generates a mailbox (median about 5 KB per message, some HTML, some with a 200 KB
attachment, threads, RFC 2047 subjects in Arabic, Persian and German) in a private Dovecot,
then measures in the same run:

* the baseline: plain imapclient fetching the same data (flags, dates, sizes, structure,
  header block, the first text part capped at 256 KB) batch by batch and storing the raw
  bytes in SQLite, with no parsing and no search index;
* our sync engine into an empty cache (parsing, decoding, HTML to text, full-text index);
* the peer: mbsync (isync) syncing the same folders into an empty Maildir, as a process,
  as configured by default (``FSync yes``: every message flushed to disk) and with
  ``FSync no``;
* ``supportinbox sync`` as a process into an empty cache: everything the command does
  (start, config, engine, team hook, triage refresh), alternating with mbsync;
* both again with nothing changed on the server (median of ``--no-change-runs``), after
  two syncs that are not timed: the first takes in what the initial one changed on the
  server itself (the team's keyword probe), the second records the folder list for the
  quick answer (cli/quick_sync.py). Alternating with them, the full command on the same
  cache (``supportinbox --account bench sync``: an option, so no quick answer).

``--no-change-only`` leaves out the in-process rounds (baseline, engine, refresh) and the
mbsync ``FSync no`` peer, and makes one initial sync of each process: for the no-change
figures alone.

Targets: the engine within 1.5x the imapclient baseline; ``supportinbox sync`` within 0.8x
mbsync on the initial sync; a no-change ``supportinbox sync`` of 10,000 messages in 0.15 s
as a whole process.

Needs mbsync: ``apt-get install isync`` (without it the peer rows are left out).

Run: ``.venv/bin/python bench/sync_bench.py [--messages 10000] [--rounds 2] [--no-change-only]``
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient

from supportinbox.config import AccountConfig, Config
from supportinbox.mail.parse import MAX_TEXT
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import open_database
from supportinbox.sync.engine import SyncEngine
from supportinbox.sync.structure import parse_structure
from tests.harness.dovecot import Dovecot, make_root

WORDS = [
    "account",
    "login",
    "password",
    "invoice",
    "refund",
    "order",
    "shipping",
    "delivery",
    "broken",
    "error",
    "please",
    "help",
    "thanks",
    "urgent",
    "today",
    "yesterday",
    "since",
    "update",
    "version",
    "app",
    "mobile",
    "browser",
    "payment",
    "card",
    "subscription",
    "cancel",
    "renew",
    "upgrade",
    "plan",
    "team",
    "member",
    "access",
    "permission",
    "export",
    "report",
]
SUBJECTS = [
    "Cannot log in",
    "Invoice for March",
    "=?UTF-8?B?2LnYp9is2YQ6INin2YTYrdiz2KfYqCDZhNinINmK2LnZhdmE?=",
    "=?UTF-8?B?2YHZiNix24w6INit2LPYp9ioINqp2KfYsdio2LHbjA==?=",
    "=?ISO-8859-1?Q?Gr=FC=DFe_und_eine_Frage?=",
    "Refund request",
    "Export fails with error 500",
]
ATTACHMENT = os.urandom(200 * 1024)


def _body(rng: random.Random) -> str:
    # Log-normal lengths: median about 4 KB of text, a long tail of long messages.
    length = int(min(rng.lognormvariate(8.3, 0.7), 60_000))
    words = rng.choices(WORDS, k=max(length // 7, 1))
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    return "Hello,\n\n" + "\n".join(lines) + "\n\nBest regards\n"


def _mime(headers: list[str], content_type: str, body: str, encoding: str = "8bit") -> str:
    return "\r\n".join(
        [*headers, f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {encoding}", "", body]
    )


def make_mailbox(count: int, seed: int = 7) -> dict[str, list[bytes]]:
    """Raw messages by folder (built as text: the email package is too slow for 10,000)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    attachment = base64.encodebytes(ATTACHMENT).decode().replace("\n", "\r\n")
    folders: dict[str, list[bytes]] = {"INBOX": [], "Junk": [], "Sent": []}
    ids: list[str] = []
    for index in range(count):
        roll = rng.random()
        folder = "INBOX" if roll < 0.9 else "Junk" if roll < 0.98 else "Sent"
        customer = f"customer{rng.randrange(count // 3 + 1)}@example{rng.randrange(50)}.test"
        sender, to = (f"Customer {index} <{customer}>", "support@acme.test")
        if folder == "Sent":
            sender, to = "Support <support@acme.test>", customer
        headers = [
            f"From: {sender}",
            f"To: {to}",
            f"Subject: {rng.choice(SUBJECTS)}",
            f"Date: {format_datetime(start + timedelta(minutes=7 * index))}",
            f"Message-ID: <m{index}@bench.test>",
            "MIME-Version: 1.0",
        ]
        if ids and rng.random() < 0.4:
            parent = rng.choice(ids[-200:])
            headers += [f"In-Reply-To: {parent}", f"References: {parent}"]
        ids.append(f"<m{index}@bench.test>")
        body = _body(rng).replace("\n", "\r\n")
        kind = rng.random()
        if kind < 0.1:  # HTML only
            paragraphs = "".join(f"<p>{line}</p>\r\n" for line in body.split("\r\n") if line)
            content = _mime([], "text/html; charset=utf-8", f"<html><body>{paragraphs}</body></html>")
        elif kind < 0.3:
            html = _mime([], "text/html; charset=utf-8", f"<html><body><pre>{body}</pre></body></html>")
            plain = _mime([], "text/plain; charset=utf-8", body)
            content = _mime(
                [], 'multipart/alternative; boundary="alt"', f"--alt\r\n{plain}\r\n--alt\r\n{html}\r\n--alt--"
            )
        else:
            content = _mime([], "text/plain; charset=utf-8", body)
        if rng.random() < 0.03:
            pdf = "\r\n".join(
                [
                    "Content-Type: application/pdf",
                    'Content-Disposition: attachment; filename="invoice.pdf"',
                    "Content-Transfer-Encoding: base64",
                    "",
                    attachment,
                ]
            )
            content = _mime(
                [], 'multipart/mixed; boundary="mix"', f"--mix\r\n{content}\r\n--mix\r\n{pdf}\r\n--mix--"
            )
        folders[folder].append(("\r\n".join(headers) + "\r\n" + content).encode())
    return folders


def _login(server: Dovecot) -> IMAPClient:
    imap = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=60)
    imap.login("support", server.users["support"])
    return imap


def baseline(server: Dovecot, db_path: Path, batch_size: int) -> tuple[float, int]:
    """Plain imapclient: the same FETCH items, raw bytes into SQLite, one commit per batch."""
    started = time.perf_counter()
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE raw (folder TEXT, uid INTEGER, flags TEXT, internaldate TEXT, size INTEGER, "
        "structure TEXT, header BLOB, text BLOB, PRIMARY KEY (folder, uid))"
    )
    imap = _login(server)
    total = 0
    for folder in ("INBOX", "Junk", "Sent"):
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            first = imap.fetch(
                batch, ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODYSTRUCTURE", "BODY.PEEK[HEADER]"]
            )
            groups: dict[str, list[int]] = {}
            for uid, data in first.items():
                text = parse_structure(data[b"BODYSTRUCTURE"]).text
                if text is not None:
                    groups.setdefault(text.section, []).append(uid)
            texts: dict[int, bytes] = {}
            for section, group in groups.items():
                for uid, data in imap.fetch(group, [f"BODY.PEEK[{section}]<0.{MAX_TEXT}>"]).items():
                    texts[uid] = data.get(f"BODY[{section}]<0>".encode(), b"")
            rows = [
                (
                    folder,
                    uid,
                    " ".join(f.decode() for f in data[b"FLAGS"]),
                    str(data[b"INTERNALDATE"]),
                    data[b"RFC822.SIZE"],
                    repr(data[b"BODYSTRUCTURE"]),
                    data[b"BODY[HEADER]"],
                    texts.get(uid, b""),
                )
                for uid, data in first.items()
            ]
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO raw VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
            total += len(rows)
    imap.logout()
    conn.close()
    return time.perf_counter() - started, total


def warm_up(server: Dovecot) -> None:
    """Let Dovecot index the new Maildir files first, so neither contender pays for it."""
    imap = _login(server)
    for folder in ("INBOX", "Junk", "Sent"):
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        for start in range(0, len(uids), 2000):
            imap.fetch(uids[start : start + 2000], ["BODYSTRUCTURE", "BODY.PEEK[HEADER]", "RFC822.SIZE"])
    imap.logout()


def timed_process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, from the kernel's rusage) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def cli_home(home: Path, server: Dovecot, batch_size: int) -> dict[str, str]:
    """A user's XDG folders under ``home`` with a config for the bench account; its environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("SUPPORTINBOX_HOME", "PYTHONDONTWRITEBYTECODE")}
    for kind in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    secret = home / "password"
    home.mkdir(parents=True, exist_ok=True)
    secret.write_text(server.users["support"] + "\n")
    config = home / "config" / "supportinbox" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[accounts.bench]\n"
        'email = "support@acme.test"\n'
        'agent = "bench"\n'
        'username = "support"\n'
        f'password_command = "cat {secret}"\n'
        'imap_host = "127.0.0.1"\n'
        f"imap_port = {server.imap_port}\n"
        'imap_security = "none"\n'
        'smtp_security = "none"\n'
        "timeout = 60\n"
        f"batch_size = {batch_size}\n"
    )
    return env


def mbsync_config(work: Path, server: Dovecot, name: str, *, fsync: bool = True) -> tuple[list[str], Path]:
    """An mbsync command pulling INBOX, Junk and Sent into an empty Maildir, and that Maildir.

    mbsync flushes every message to disk by default (``FSync yes``); ``fsync=False`` turns
    that off, for a peer that, like our cache between commits, leaves it to the kernel.
    """
    maildir = work / f"{name}-maildir"
    maildir.mkdir(parents=True)
    config = work / f"{name}.mbsyncrc"
    config.write_text(
        ("" if fsync else "FSync no\n\n")
        + f"IMAPAccount bench\nHost 127.0.0.1\nPort {server.imap_port}\nUser support\n"
        f'Pass "{server.users["support"]}"\nSSLType None\nAuthMechs PLAIN LOGIN\n\n'
        "IMAPStore remote\nAccount bench\n\n"
        f"MaildirStore local\nPath {maildir}/\nInbox {maildir}/INBOX\nSubFolders Verbatim\n\n"
        "Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX Junk Sent\nCreate Near\n"
        "Sync Pull\nSyncState *\n"
    )
    return ["mbsync", "-q", "-c", str(config), "bench"], maildir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each contender")
    parser.add_argument("--no-change-runs", type=int, default=9)
    parser.add_argument(
        "--no-change-only", action="store_true", help="only the processes' no-change syncs (see above)"
    )
    args = parser.parse_args()
    if args.no_change_only:
        args.rounds = 1

    work = Path(tempfile.mkdtemp(prefix="si-sync-bench-"))
    os.environ["SUPPORTINBOX_HOME"] = str(work / "home")
    root = make_root("si-sync-bench-")
    server = Dovecot(root)
    script = str(Path(sys.executable).parent / "supportinbox")
    mbsync = shutil.which("mbsync")
    try:
        print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        made = time.perf_counter()
        mailbox = make_mailbox(args.messages)
        sizes = sorted(len(m) for msgs in mailbox.values() for m in msgs)
        print(
            f"mailbox: {args.messages:,} messages (INBOX {len(mailbox['INBOX']):,}, Junk "
            f"{len(mailbox['Junk']):,}, Sent {len(mailbox['Sent']):,}), "
            f"median {statistics.median(sizes) / 1024:.1f} KB, total {sum(sizes) / 1e6:.0f} MB, "
            f"generated in {time.perf_counter() - made:.1f} s"
        )
        server.start()
        for folder, messages in mailbox.items():
            server.deliver_files(messages, folder)
        warm_up(server)

        account = AccountConfig(
            email="support@acme.test",
            username="support",
            imap_host="127.0.0.1",
            imap_port=server.imap_port,
            imap_security="none",
            timeout=60,
            batch_size=args.batch_size,
        )
        # Alternate the contenders and keep each one's best round: the machine is shared,
        # and a neighbour's burst of work should not decide the comparison.
        base_runs: list[tuple[float, float]] = []
        our_runs: list[tuple[float, float]] = []
        for round_number in range(0 if args.no_change_only else args.rounds):
            cpu = time.process_time()
            base_seconds, base_count = baseline(
                server, work / f"baseline{round_number}.sqlite3", args.batch_size
            )
            base_runs.append((base_seconds, time.process_time() - cpu))
            db = open_database(work / f"ours{round_number}.sqlite3")
            cpu = time.process_time()
            result = SyncEngine(db, "bench", account, password=server.users["support"]).run()
            our_runs.append((result.seconds, time.process_time() - cpu))
            assert result.new == base_count == args.messages, (result.new, base_count)
            if round_number + 1 < args.rounds:
                db.close()
        if not args.no_change_only:
            cpu, started = time.process_time(), time.perf_counter()
            refreshed = refresh_conversations(db, Config(), account)
            refresh_seconds, refresh_cpu = time.perf_counter() - started, time.process_time() - cpu
            resyncs: list[Any] = []
            for _ in range(5):
                again = SyncEngine(db, "bench", account, password=server.users["support"]).run()
                assert again.new == again.updated == again.vanished == 0
                resyncs.append(again)
            no_change = statistics.median(r.seconds for r in resyncs)
            db.close()

        # Whole processes: supportinbox sync against mbsync, each into an empty store.
        cli_runs: list[tuple[float, float]] = []
        peer_runs: list[tuple[float, float]] = []
        nosync_runs: list[tuple[float, float]] = []
        cli_env: dict[str, str] = {}
        command: list[str] = []
        for round_number in range(args.rounds):
            if mbsync and not args.no_change_only:
                os.sync()
                lax, _ = mbsync_config(work, server, f"mbsync-nofsync{round_number}", fsync=False)
                nosync_runs.append(timed_process(lax, dict(os.environ)))
            if mbsync:
                os.sync()
                command, _ = mbsync_config(work, server, f"mbsync{round_number}")
                peer_runs.append(timed_process(command, dict(os.environ)))
            os.sync()
            cli_env = cli_home(work / f"cli{round_number}", server, args.batch_size)
            cli_runs.append(timed_process([script, "sync"], cli_env))
        for _ in range(2):  # untimed: see the module doc
            timed_process([script, "sync"], cli_env)
        os.sync()  # the no-change runs should not wait for the initial syncs' writeback
        cli_no_change: list[tuple[float, float]] = []
        full_no_change: list[tuple[float, float]] = []
        peer_no_change: list[tuple[float, float]] = []
        for _ in range(args.no_change_runs):
            if mbsync:
                peer_no_change.append(timed_process(command, dict(os.environ)))
            cli_no_change.append(timed_process([script, "sync"], cli_env))
            full_no_change.append(timed_process([script, "--account", "bench", "sync"], cli_env))

        ok = True
        if our_runs:
            base_seconds, base_cpu = min(base_runs)
            ours, our_cpu = min(our_runs)
            print("rounds (wall s): imapclient baseline  " + ", ".join(f"{w:.2f}" for w, _ in base_runs))
            print("                 our engine           " + ", ".join(f"{w:.2f}" for w, _ in our_runs))
            print("                 supportinbox sync    " + ", ".join(f"{w:.2f}" for w, _ in cli_runs))
            if peer_runs:
                for label, runs in (("mbsync", peer_runs), ("mbsync, FSync no", nosync_runs)):
                    print(f"                 {label:<21}" + ", ".join(f"{w:.2f}" for w, _ in runs))

            ratio = ours / base_seconds
            ok = ratio <= 1.5
            print(
                f"baseline (imapclient, raw into SQLite): {base_seconds:6.2f} s  "
                f"{base_count / base_seconds:8,.0f} msg/s  (CPU {base_cpu:.2f} s)"
            )
            print(
                f"sync engine (supportinbox):            {ours:6.2f} s  {result.new / ours:8,.0f} msg/s  "
                f"(CPU {our_cpu:.2f} s)  {result.bytes_received / 1e6:.1f} MB received"
            )
            print(
                f"ratio engine/baseline (best rounds):   {ratio:6.2f}x  (target <= 1.5x; "
                f"CPU {our_cpu / base_cpu:.2f}x)"
            )
            print(
                f"then the triage refresh:               {refresh_seconds:6.2f} s  (CPU {refresh_cpu:.2f} s, "
                f"{refreshed.conversations:,} conversations)"
            )
            print(
                f"engine no-change re-sync (median of 5): {no_change:6.3f} s  "
                f"{resyncs[0].bytes_received:,} bytes received"
            )
        cli_best, cli_cpu = min(cli_runs)
        print(
            f"supportinbox sync, initial (process):  {cli_best:6.2f} s  (CPU {cli_cpu:.2f} s; "
            "engine, team hook and triage refresh)"
        )
        if peer_runs:
            peer_best, peer_cpu = min(peer_runs)
            peer_ratio = cli_best / peer_best
            ok = ok and peer_ratio <= 0.8
            print(f"mbsync, initial (process, peer):       {peer_best:6.2f} s  (CPU {peer_cpu:.2f} s)")
            print(
                f"ratio supportinbox sync/mbsync:        {peer_ratio:6.2f}x  (target <= 0.8x: "
                f"{'met' if peer_ratio <= 0.8 else 'MISSED'}; CPU {cli_cpu / peer_cpu:.2f}x)"
            )
        if nosync_runs:
            lax_best, lax_cpu = min(nosync_runs)
            print(f"mbsync with FSync no, initial:         {lax_best:6.2f} s  (CPU {lax_cpu:.2f} s)")
            print(
                f"ratio supportinbox sync/mbsync FSync no: {cli_best / lax_best:4.2f}x  "
                f"(CPU {cli_cpu / lax_cpu:.2f}x)"
            )
        if not mbsync:
            print("mbsync not found (apt-get install isync): no peer figures")
        quiet = statistics.median(w for w, _ in cli_no_change)
        quiet_cpu = statistics.median(c for _, c in cli_no_change)
        ok = ok and quiet <= 0.15
        print(
            f"supportinbox sync, no change (process, median of {len(cli_no_change)}): {quiet:6.3f} s  "
            f"(CPU {quiet_cpu:.3f} s; target <= 0.15 s: {'met' if quiet <= 0.15 else 'MISSED'})"
        )
        print(
            f"the full command on it, --account given (median of {len(full_no_change)}): "
            f"{statistics.median(w for w, _ in full_no_change):6.3f} s  "
            f"(CPU {statistics.median(c for _, c in full_no_change):.3f} s)"
        )
        if peer_no_change:
            print(
                f"mbsync, no change (process, median of {len(peer_no_change)}):            "
                f"{statistics.median(w for w, _ in peer_no_change):6.3f} s  "
                f"(CPU {statistics.median(c for _, c in peer_no_change):.3f} s)"
            )
        print("targets met" if ok else "TARGETS MISSED")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
