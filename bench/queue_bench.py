"""How fast is the triage queue on a big mailbox?

Generates 100,000 messages in about 30,000 conversations (customer mail in INBOX, our
replies in Sent, threaded by headers) into a temporary cache, then times:

* the refresh run after each sync: cold (every message gets linked), after a sync that
  brought nothing (only the clock is applied), after one flag change (the partial refresh:
  ``bench/refresh_bench.py`` sets it beside the full one),
* the clock step run before every read (nothing due, and a whole day passing),
* the first page of the queue (``list_queue``, one query over the queue index),
* the baseline: the same page by a naive full scan that sorts the table (``NOT INDEXED``),
* a full-text search,
* incident detection when ``--burst`` open conversations arrive within a few hours (an
  outage day, or a freshly imported mailbox), against a quarter of them in the same run:
  near-linear work grows about 4x, quadratic work 16x.

Run: ``.venv/bin/python bench/queue_bench.py [--messages 100000] [--open-fraction 0.9] [--days 90]``
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import incidents_old
from supportinbox.config import parse_config
from supportinbox.domain import incidents, keywords
from supportinbox.domain.quoting import first_sentence
from supportinbox.domain.threading import normalize_subject
from supportinbox.mail.parse import ParsedMessage
from supportinbox.store import conversations as cv
from supportinbox.store.conversation_rows import queue_columns
from supportinbox.store.db import open_database
from supportinbox.store.messages import ensure_folder, message_row, upsert_messages

CONFIG = parse_config(
    """
[accounts.support]
email = "support@acme.test"
username = "support"
imap_host = "127.0.0.1"
"""
)
ACCOUNT = CONFIG.account()[1]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

TOPICS = [
    "Cannot log in",
    "Invoice for March",
    "Export to CSV",
    "Change my plan",
    "Password reset mail never arrives",
    "API rate limit",
    "Refund request",
    "Dashboard is slow",
    "Add a teammate",
    "Webhook not firing",
    "Delete my account",
    "Billing address",
    "لا يعمل التطبيق",
    "مشکل در پرداخت",
    "Rechnung falsch",
    "Problème de connexion",
]
WORDS = ("the", "a", "we", "you", "it", "is", "not", "when", "after", "order", "account", "page", "team")


def body(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80)))


def generate(
    db: Any, messages: int, rng: random.Random, open_fraction: float | None = None, days: float = 90
) -> int:
    """Fill the cache; return the number of threads generated.

    With ``open_fraction``, that share of threads ends with the customer's message (open,
    waiting for us) and the rest with our reply; without it, who wrote last is random.
    Threads start within the last ``days`` days.
    """
    with db.transaction() as conn:
        inbox = ensure_folder(conn, "INBOX", "inbox").id
        sent = ensure_folder(conn, "Sent", "sent").id
    rows: list[dict[str, Any]] = []
    uids = {inbox: 0, sent: 0}
    made = threads = 0
    while made < messages:
        threads += 1
        customer = f"customer{rng.randint(1, 20_000)}@c{rng.randint(1, 3000)}.test"
        subject = f"{rng.choice(TOPICS)} #{threads}"
        start = NOW - timedelta(minutes=rng.randint(5, max(6, int(days * 24 * 60))))
        length = min(messages - made, rng.choice((1, 2, 3, 3, 4, 5, 6)))
        waiting = open_fraction is not None and rng.random() < open_fraction
        refs: list[str] = []
        when = start
        for position in range(length):
            ours = position % 2 == 1 and rng.random() < 0.85
            if open_fraction is not None and position == length - 1:
                ours = not waiting and length > 1
            mid = f"<t{threads}.{position}@{'acme' if ours else 'c'}.test>"
            parsed = ParsedMessage(
                message_id=mid,
                in_reply_to=refs[-1] if refs else None,
                references=list(refs),
                from_name="Acme Support" if ours else f"Customer {threads}",
                from_addr="support@acme.test" if ours else customer,
                to_addrs=[customer] if ours else ["support@acme.test"],
                subject=("Re: " if position else "") + subject,
                date=when.isoformat(timespec="seconds"),
                body_text=body(rng),
            )
            folder = sent if ours else inbox
            uids[folder] += 1
            flags = "\\Seen" if ours or rng.random() < 0.7 else ""
            rows.append(
                message_row(
                    folder,
                    uids[folder],
                    flags=flags,
                    modseq=None,
                    internaldate=parsed.date,
                    size=len(parsed.body_text),
                    parsed=parsed,
                )
            )
            refs.append(mid)
            # Replies follow within minutes to two days (sooner when all mail is recent).
            when += timedelta(minutes=rng.randint(10, max(11, min(3000, int(days * 1440 / 4)))))
            if when > NOW:
                when = NOW
            made += 1
        if len(rows) >= 5000:
            with db.transaction() as conn:
                upsert_messages(conn, rows)
            rows = []
    if rows:
        with db.transaction() as conn:
            upsert_messages(conn, rows)
    return threads


FAILURES = ("is down", "not working", "fails with error 502", "keeps failing", "broken?")


def burst(count: int, rng: random.Random) -> list[tuple[str, str, datetime, str, str]]:
    """``count`` reports within four hours on the bench's topics: (id, customer, when, subject, text)."""
    return [
        (
            f"b{i}",
            f"customer{rng.randint(1, 10 * count)}@c.test",
            NOW - timedelta(minutes=rng.randint(0, 240)),
            f"{rng.choice(TOPICS)} {rng.choice(TOPICS)}",
            f"Hi,\n\n{rng.choice(TOPICS)} {rng.choice(FAILURES)} since this morning.\n\nThanks",
        )
        for i in range(count)
    ]


def time_incidents(reports: list[tuple[str, str, datetime, str, str]]) -> tuple[float, int]:
    """CPU seconds of incident detection on ``reports`` (reading their stems included), incidents found.

    The cyclic garbage collector is paused, as the refresh pauses it.
    """
    gc.disable()
    try:
        started = time.process_time()
        candidates = [
            incidents.IncidentCandidate(
                id=ident,
                customer=customer,
                when=when,
                subject_terms=incidents.subject_terms(normalize_subject(subject), None, subject),
                text_terms=incidents.report_terms(first_sentence(text)),
            )
            for ident, customer, when, subject, text in reports
        ]
        found = incidents.find_incidents(candidates, CONFIG.triage, NOW)
        return time.process_time() - started, len(found)
    finally:
        gc.enable()


def time_old_incidents(reports: list[tuple[str, str, datetime, str, str]]) -> tuple[float, int]:
    """The same with the previous rule (subject words and urgent keywords), for the baseline."""
    matcher = keywords.matcher_for(CONFIG.triage)
    gc.disable()
    try:
        started = time.process_time()
        candidates = [
            incidents_old.IncidentCandidate(
                id=ident,
                customer=customer,
                when=when,
                subject=subject,
                keywords=matcher.find(f"{subject} {text}"),
            )
            for ident, customer, when, subject, text in reports
        ]
        found = incidents_old.find_incidents(candidates, CONFIG.triage, NOW)
        return time.process_time() - started, len(found)
    finally:
        gc.enable()


def timed(func: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):8.2f} ms   p95 {p95:8.2f} ms   (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--open-fraction",
        type=float,
        default=None,
        help="share of threads waiting for us (default: who wrote last is random, ~18%% open)",
    )
    parser.add_argument("--days", type=float, default=90, help="threads start within this many days")
    parser.add_argument(
        "--burst", type=int, default=30_000, help="open conversations for the incident-detection figure"
    )
    args = parser.parse_args()
    if args.open_fraction is not None and not 0 <= args.open_fraction <= 1:
        parser.error("--open-fraction must be between 0 and 1")
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="si-queue-bench-") as tmp:
        db = open_database(Path(tmp) / "bench.sqlite3")
        started = time.perf_counter()
        threads = generate(db, args.messages, rng, args.open_fraction, args.days)
        print(
            f"generated {args.messages} messages in {threads} threads: {time.perf_counter() - started:.1f} s"
        )

        started, cpu = time.perf_counter(), time.process_time()
        result = cv.refresh_conversations(db, CONFIG, ACCOUNT, now=NOW)
        refresh_s, refresh_cpu = time.perf_counter() - started, time.process_time() - cpu
        open_count = cv.queue_counts(db)["open"]
        print(
            f"refresh_conversations: {refresh_s:.2f} s (CPU {refresh_cpu:.2f} s)  ({result.conversations} "
            f"conversations, {open_count} open, {result.incidents} incidents)"
        )

        started = time.perf_counter()
        cv.refresh_conversations(db, CONFIG, ACCOUNT, now=NOW)
        elapsed_ms = (time.perf_counter() - started) * 1000
        print(f"refresh_conversations, sync brought nothing new: {elapsed_ms:.1f} ms")

        with db.transaction() as conn:
            conn.execute("UPDATE messages SET flags = '\\Seen' WHERE id = (SELECT MAX(id) FROM messages)")
        started, cpu = time.perf_counter(), time.process_time()
        cv.refresh_conversations(db, CONFIG, ACCOUNT, now=NOW)
        print(
            f"refresh_conversations, one flag changed: {time.perf_counter() - started:.2f} s "
            f"(CPU {time.process_time() - cpu:.2f} s)"
        )

        print("apply_clock, nothing due:     " + describe(timed(lambda: cv.apply_clock(db, NOW), args.runs)))
        day = NOW + timedelta(days=1)
        print("apply_clock, a day passes:    " + describe(timed(lambda: cv.apply_clock(db, day), 1)))

        indexed = timed(lambda: cv.list_queue(db, limit=50, now=day), args.runs)
        print("list_queue first page:        " + describe(indexed))
        columns = queue_columns()

        def naive() -> None:
            db.conn.execute(
                f"SELECT {columns} FROM conversations NOT INDEXED WHERE status = 'open' "
                "ORDER BY band DESC, sort_key DESC LIMIT 50"
            ).fetchall()

        def query_only() -> None:
            db.conn.execute(
                f"SELECT {columns} FROM conversations WHERE status = 'open' "
                "ORDER BY status, band DESC, sort_key DESC LIMIT 50"
            ).fetchall()

        print("  its query alone (indexed):  " + describe(timed(query_only, args.runs)))
        baseline = timed(naive, args.runs)
        print("baseline full scan + sort:    " + describe(baseline))
        all_rows = timed(lambda: cv.list_queue(db, status="all", limit=50, now=day), args.runs)
        print("list_queue --status all:      " + describe(all_rows))
        search = timed(lambda: cv.search(db, "webhook", now=day), max(5, args.runs // 5))
        print("search 'webhook':             " + describe(search))
        speedup = statistics.median(baseline) / statistics.median(indexed)
        verdict = "OK" if statistics.median(indexed) < 20 else "TOO SLOW"
        print(f"first page vs baseline: {speedup:.1f}x faster; target < 20 ms: {verdict}")
        db.close()

    if args.burst > 0:
        quarter_s, _ = time_incidents(burst(max(1, args.burst // 4), random.Random(args.seed)))
        full_s, found = time_incidents(burst(args.burst, random.Random(args.seed)))
        old_s, old_found = time_old_incidents(burst(args.burst, random.Random(args.seed)))
        growth = full_s / max(quarter_s, 1e-6)
        print(
            f"incidents in a 4-hour burst: {args.burst // 4} open: {quarter_s:.2f} s CPU; {args.burst} open: "
            f"{full_s:.2f} s CPU ({found} incidents); growth {growth:.1f}x for 4x the conversations; "
            f"previous rule on the same {args.burst}: {old_s:.2f} s CPU ({old_found} incidents)"
        )


if __name__ == "__main__":
    main()
