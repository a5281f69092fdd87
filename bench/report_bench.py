"""How fast is ``supportinbox report --since 365d`` on a big mailbox?

Builds a 100,000-message cache with tests/harness/bulk_cache.py (about 40,000
conversations over 60 days, replies in Sent), closes most answered conversations by
hand (so resolutions are measured too), then times, several times each:

* the report of the last 365 days (``make_report``: reading the facts, walking every
  conversation, wall and business time on a Monday-Friday calendar with holidays),
* the baseline: a plain full-scan SQL query over the same mail (messages per day,
  ``GROUP BY`` over every row of ``messages``), the least any report could cost.

Run: ``.venv/bin/python bench/report_bench.py [--messages 100000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supportinbox.config import Config, HoursConfig, Weekdays
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.report import make_report
from tests.harness.bulk_cache import build_bulk_cache, bulk_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Median wall and CPU seconds of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    config, account = bulk_config()
    hours = HoursConfig(
        timezone="Europe/Berlin", days=Weekdays(("mon", "tue", "wed", "thu", "fri")), holidays="DE"
    )
    account = account.model_copy(update={"hours": hours})
    config = Config(default="bulk", accounts={"bulk": account})
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        db = build_bulk_cache(Path(tmp) / "bulk.sqlite3", args.messages, NOW)
        with db.transaction() as conn:
            # Close four in five answered conversations an hour after our last message.
            conn.execute(
                "INSERT INTO conversation_state(conversation_id, status, updated_at, updated_by) "
                "SELECT id, 'closed', strftime('%Y-%m-%dT%H:%M:%S+00:00', last_agent_at, '+1 hour'), "
                "CASE abs(random()) % 3 WHEN 0 THEN 'alex' WHEN 1 THEN 'sam' ELSE 'kim' END "
                "FROM conversations WHERE status = 'pending' AND abs(random()) % 5 != 0"
            )
        refresh_conversations(db, config, account, now=NOW)
        counts = dict(db.conn.execute("SELECT kind, COUNT(*) FROM support_events GROUP BY kind").fetchall())
        took = time.perf_counter() - started
        print(f"cache: {args.messages:,} messages, facts {counts}, built in {took:.1f} s")

        report = make_report(db, config, account, since=timedelta(days=365), now=NOW)
        wall, cpu = timed(
            args.runs, lambda: make_report(db, config, account, since=timedelta(days=365), now=NOW)
        )
        base_wall, base_cpu = timed(
            args.runs,
            lambda: db.conn.execute(
                "SELECT substr(date, 1, 10), COUNT(*) FROM messages NOT INDEXED GROUP BY 1"
            ).fetchall(),
        )
        totals = report.totals
        print(
            f"report --since 365d: {totals.messages_in:,} in, {totals.replies_out:,} out, "
            f"{totals.closed:,} closed, {totals.first_response.count:,} first replies"
        )
        print(f"  ours:     median {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU over {args.runs} runs")
        print(f"  baseline: median {base_wall * 1000:.0f} ms wall, {base_cpu * 1000:.0f} ms CPU (full-scan)")
        print(f"  ratio {wall / base_wall:.2f}x wall; target <= 1 s: {'met' if wall <= 1.0 else 'MISSED'}")
        db.close()


if __name__ == "__main__":
    main()
