"""What do merges made by hand cost the refresh?

Generates 20,000 messages (the queue bench's generator) into a temporary cache and times,
on the same cache: the full refresh with no merge (the baseline) and with 300 merges, and a
merge followed by the partial refresh a sync runs, as the first merge and as the 301st.

Run: ``.venv/bin/python bench/merge_bench.py``
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queue_bench import ACCOUNT, CONFIG, NOW, generate
from supportinbox.domain.threading import MERGE
from supportinbox.store import conversations as cv
from supportinbox.store import threadlinks
from supportinbox.store.db import Database, open_database


def timed(step: Callable[[], Any]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def firsts(db: Database, count: int, offset: int = 0) -> list[tuple[str, str]]:
    """(conversation id, a Message-ID of it) for ``count`` conversations."""
    return [
        (str(r[0]), str(r[1]))
        for r in db.conn.execute(
            "SELECT conversation_id, MIN(message_id) FROM messages WHERE message_id IS NOT NULL "
            "AND conversation_id IS NOT NULL GROUP BY conversation_id LIMIT ? OFFSET ?",
            (count, offset),
        )
    ]


def merge(db: Database, source: tuple[str, str], target: tuple[str, str], token: str) -> None:
    link = threadlinks.Link(MERGE, source[1], target[1], source[0], target[0], "bob", NOW.isoformat(), token)
    with db.transaction() as tx:
        threadlinks.record(tx, link)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="si-merge-bench-") as tmp:
        db = open_database(Path(tmp) / "bench.sqlite3")
        generate(db, 20_000, random.Random(4))
        cv.refresh_conversations(db, CONFIG, ACCOUNT, now=NOW)
        baseline = min(
            timed(lambda: cv.rebuild_conversations(db, CONFIG, ACCOUNT, now=NOW)) for _ in range(3)
        )
        pairs = firsts(db, 602)

        def merge_and_refresh(index: int, token: str) -> None:
            merge(db, pairs[index], pairs[index + 1], token)
            cv.refresh_conversations(db, CONFIG, ACCOUNT, now=NOW)

        first = timed(lambda: merge_and_refresh(600, "first"))
        for index in range(0, 600, 2):
            merge(db, pairs[index], pairs[index + 1], f"m{index}")
        cv.refresh_conversations(db, CONFIG, ACCOUNT, now=NOW)
        with_merges = min(
            timed(lambda: cv.rebuild_conversations(db, CONFIG, ACCOUNT, now=NOW)) for _ in range(3)
        )
        more = firsts(db, 2, 700)
        pairs.extend(more)
        later = timed(lambda: merge_and_refresh(len(pairs) - 2, "later"))
        print(
            f"20,000 messages, full refresh: {baseline:.2f} s with no merge (baseline), "
            f"{with_merges:.2f} s with 300"
        )
        print(
            f"a merge and the partial refresh: {first * 1000:.0f} ms (the first), "
            f"{later * 1000:.0f} ms (the 302nd)"
        )
        db.close()


if __name__ == "__main__":
    main()
