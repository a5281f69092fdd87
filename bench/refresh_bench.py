"""How much does a refresh cost when a sync changed a little of a big mailbox?

Generates ``--messages`` messages (the queue bench's generator: about 30,000
conversations at 100,000, customer mail in INBOX, our replies in Sent) into a temporary
cache, refreshes it once, then alternates, for ``--rounds`` rounds:

* one flag change (a message marked read or unread on the server), then the partial
  refresh a sync runs (``refresh_conversations``);
* the same kind of change, then the full refresh (``rebuild_conversations``): the
  baseline, measured in the same run on the same cache;
* ``--new`` new messages (half replies into existing conversations, a quarter replies
  that thread only by subject, a quarter new conversations, a few of them reporting the
  same problem), then the partial refresh; the same again, then the full refresh.

Medians of wall and CPU time (the process's user + system time) are printed.

Run: ``.venv/bin/python bench/refresh_bench.py [--messages 100000] [--rounds 5] [--new 100]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queue_bench import ACCOUNT, CONFIG, NOW, TOPICS, body, generate
from supportinbox.mail.parse import ParsedMessage
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from supportinbox.store.messages import message_row, upsert_messages

PROBLEM = "Hi,\n\nThe PDF export is broken since this morning, it fails with error 502.\n\nThanks"


def flip_a_flag(db: Database, rng: random.Random) -> None:
    """A message of the inbox marked read (or unread), as a sync stores it."""
    with db.transaction() as conn:
        count = conn.execute("SELECT MAX(id) FROM messages").fetchone()[0]
        rowid = rng.randint(1, int(count))
        conn.execute(
            "UPDATE messages SET flags = CASE flags WHEN '' THEN '\\Seen' ELSE '' END WHERE id = ?", (rowid,)
        )


class NewMail:
    """New messages as a sync brings them: replies, subject-only replies, new conversations."""

    def __init__(self, db: Database, rng: random.Random) -> None:
        self.db = db
        self.rng = rng
        self.made = 0
        row = db.conn.execute("SELECT MAX(uid) FROM messages").fetchone()
        self.uid = int(row[0] or 0) + 1_000_000

    def add(self, count: int, moment_minutes: int) -> None:
        conn = self.db.conn
        top = int(conn.execute("SELECT MAX(id) FROM messages").fetchone()[0])
        inbox = int(conn.execute("SELECT id FROM folders WHERE role = 'inbox'").fetchone()[0])
        rows: list[dict[str, Any]] = []
        when = (NOW + timedelta(minutes=moment_minutes)).isoformat(timespec="seconds")
        for i in range(count):
            self.made += 1
            self.uid += 1
            kind = i % 4
            target = conn.execute(
                "SELECT message_id, subject, from_addr FROM messages WHERE id >= ? AND folder_id = ? LIMIT 1",
                (self.rng.randint(1, top), inbox),
            ).fetchone()
            mid = f"<new{self.made}.{self.rng.random()}@c.test>"
            if kind in (0, 1, 2) and target is not None:
                # A reply; one in four from a client that drops the threading headers.
                headers = kind != 2
                parsed = ParsedMessage(
                    message_id=mid,
                    in_reply_to=target[0] if headers else None,
                    references=[target[0]] if headers else [],
                    from_name="Customer",
                    from_addr=target[2],
                    to_addrs=["support@acme.test"],
                    subject=f"Re: {target[1]}",
                    date=when,
                    body_text=body(self.rng),
                )
            else:  # a new conversation; every other one reports the same outage
                problem = self.made % 8 == 3
                parsed = ParsedMessage(
                    message_id=mid,
                    from_name=f"New {self.made}",
                    from_addr=f"new{self.made}@n{self.made % 50}.test",
                    to_addrs=["support@acme.test"],
                    subject="PDF export broken"
                    if problem
                    else f"{self.rng.choice(TOPICS)} (new {self.made})",
                    date=when,
                    body_text=PROBLEM if problem else body(self.rng),
                )
            rows.append(
                message_row(
                    inbox, self.uid, flags="", modseq=None, internaldate=when, size=100, parsed=parsed
                )
            )
        with self.db.transaction() as tx:
            upsert_messages(tx, rows)


def timed(work: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU milliseconds of ``work()``."""
    started, cpu = time.perf_counter(), time.process_time()
    work()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def line(label: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    spread = ", ".join(f"{s[0]:.0f}" for s in samples)
    print(f"  {label:<34} median {wall:9.1f} ms wall  {cpu:9.1f} ms CPU   (wall of each: {spread})")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new", type=int, default=100, help="new messages per sync")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="si-refresh-bench-") as tmp:
        db = open_database(Path(tmp) / "bench.sqlite3")
        started = time.perf_counter()
        threads = generate(db, args.messages, rng)
        took = time.perf_counter() - started
        print(f"generated {args.messages:,} messages in {threads:,} threads: {took:.1f} s")
        minute = 0

        def at() -> Any:
            return NOW + timedelta(minutes=minute)

        first = timed(lambda: cv.refresh_conversations(db, CONFIG, ACCOUNT, now=at()))
        print(f"first refresh (full, all linked): {first[0] / 1000:.2f} s, CPU {first[1] / 1000:.2f} s")

        flag_partial: list[tuple[float, float]] = []
        flag_full: list[tuple[float, float]] = []
        new_partial: list[tuple[float, float]] = []
        new_full: list[tuple[float, float]] = []
        mail = NewMail(db, rng)
        for _ in range(args.rounds):
            minute += 1
            flip_a_flag(db, rng)
            flag_partial.append(timed(lambda: cv.refresh_conversations(db, CONFIG, ACCOUNT, now=at())))
            minute += 1
            flip_a_flag(db, rng)
            flag_full.append(timed(lambda: cv.rebuild_conversations(db, CONFIG, ACCOUNT, now=at())))
            minute += 1
            mail.add(args.new, minute)
            new_partial.append(timed(lambda: cv.refresh_conversations(db, CONFIG, ACCOUNT, now=at())))
            minute += 1
            mail.add(args.new, minute)
            new_full.append(timed(lambda: cv.rebuild_conversations(db, CONFIG, ACCOUNT, now=at())))

        print(f"one flag changed, {args.rounds} rounds:")
        partial, _ = line("partial refresh (refresh_conversations)", flag_partial)
        full, _ = line("full refresh (baseline)", flag_full)
        verdict = "met" if partial <= 100 else "MISSED"
        print(f"  -> {full / partial:.0f}x faster than the full refresh; target <= 100 ms: {verdict}")
        print(f"{args.new} new messages, {args.rounds} rounds:")
        partial, _ = line("partial refresh (refresh_conversations)", new_partial)
        full, _ = line("full refresh (baseline)", new_full)
        verdict = "met" if partial <= 1000 else "MISSED"
        print(f"  -> {full / partial:.0f}x faster than the full refresh; target <= 1 s: {verdict}")
        result = cv.refresh_conversations(db, CONFIG, ACCOUNT, now=at())
        print(f"cache at the end: {result.conversations:,} conversations, {result.messages:,} messages")
        db.close()


if __name__ == "__main__":
    main()
