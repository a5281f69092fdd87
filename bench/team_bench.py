"""What do shared team state and notes cost on every sync, and how fast is a claim?

Starts a private Dovecot with a mailbox of --messages customer messages (one conversation
each), two clients with separate caches, then measures in the same run:

* the baseline: a sync with nothing changed, without the team hook (the engine plus the
  triage refresh it needs: none, as nothing changed);
* the same no-change sync with the team hook (notes folder, keyword merge);
* one claim (conditional STORE on the server + cache), median over --claims claims;
* the sync of the other client that pulls all those claims, and its no-change sync after.

Run: ``.venv/bin/python bench/team_bench.py [--messages 5000] [--claims 200]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supportinbox.app import team_actions
from supportinbox.app.context import AccountContext
from supportinbox.config import Config, parse_config
from supportinbox.store.conversations import refresh_if_stale
from supportinbox.store.db import Database, open_database
from supportinbox.sync.engine import SyncEngine
from supportinbox.sync.hooks import default_hooks
from supportinbox.team.hook import TeamSyncHook
from tests.harness.dovecot import Dovecot, make_root


def _message(index: int) -> bytes:
    when = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=index)
    return (
        f"From: Customer {index} <c{index}@customer.test>\r\nTo: support@acme.test\r\n"
        f"Subject: Question number {index}\r\nDate: {format_datetime(when)}\r\n"
        f"Message-ID: <q{index}@customer.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hello, this is question {index}. " * 20
    ).encode()


def _config(server: Dovecot, agent: str) -> Config:
    return parse_config(
        f"""
[accounts.support]
email = "support@acme.test"
agent = "{agent}"
username = "support"
password_command = "printf %s {server.users["support"]}"
imap_host = "127.0.0.1"
imap_port = {server.imap_port}
imap_security = "none"
smtp_security = "none"
timeout = 60
"""
    )


HOOK_SECONDS: list[float] = []


def _time_the_hook() -> None:
    """Record how long each TeamSyncHook.after takes (the team share of a sync)."""
    original = TeamSyncHook.after

    def after(self: TeamSyncHook, *args: Any) -> None:
        started = time.perf_counter()
        try:
            original(self, *args)
        finally:
            HOOK_SECONDS.append(time.perf_counter() - started)

    TeamSyncHook.after = after  # type: ignore[method-assign]


def _hook_ms(count: int) -> str:
    taken = HOOK_SECONDS[-count:]
    return f"team hook {statistics.median(taken) * 1000:.1f} ms"


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _sync(db: Database, config: Config, hooks: bool) -> None:
    name, account = config.account()
    SyncEngine(db, name, account, hooks=default_hooks(config, name, account) if hooks else []).run()
    refresh_if_stale(db, config, account)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _time_the_hook()
    root = make_root("si-team-bench-")
    home = Path(tempfile.mkdtemp(prefix="si-team-bench-home-"))
    os.environ["SUPPORTINBOX_HOME"] = str(home)
    server = Dovecot(root)
    try:
        server.start()
        server.deliver_files([_message(i) for i in range(args.messages)])
        alice_cfg, bob_cfg = _config(server, "alice"), _config(server, "bob")
        alice = open_database(home / "alice.sqlite3")
        bob = open_database(home / "bob.sqlite3")
        first = _timed(lambda: _sync(alice, alice_cfg, True))
        _sync(bob, bob_cfg, True)
        baseline = [_timed(lambda: _sync(alice, alice_cfg, False)) for _ in range(args.repeat)]
        with_hook = [_timed(lambda: _sync(alice, alice_cfg, True)) for _ in range(args.repeat)]
        hook_idle = _hook_ms(args.repeat)
        ids = [
            r[0] for r in bob.conn.execute("SELECT id FROM conversations ORDER BY id LIMIT ?", (args.claims,))
        ]
        name, account = bob_cfg.account()
        ctx = AccountContext(bob, bob_cfg, name, account)
        claims = [_timed(lambda cid=cid: team_actions.claim(ctx, cid)) for cid in ids]
        pull = _timed(lambda: _sync(alice, alice_cfg, True))
        hook_pull = _hook_ms(1)
        held = alice.conn.execute("SELECT COUNT(*) FROM conversations WHERE assigned_to = 'bob'").fetchone()[
            0
        ]
        after = [_timed(lambda: _sync(alice, alice_cfg, True)) for _ in range(args.repeat)]
        hook_after = _hook_ms(args.repeat)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)

    base = statistics.median(baseline)
    print(f"mailbox: {args.messages:,} messages; initial sync with team hook {first:.2f} s")
    print(f"no-change sync, no team hook (baseline): {base * 1000:8.1f} ms (median of {args.repeat})")
    hook = statistics.median(with_hook)
    print(
        f"no-change sync, team hook:               {hook * 1000:8.1f} ms  ({hook / base:.2f}x baseline; "
        f"{hook_idle})"
    )
    print(
        f"claim (server + cache), median of {len(claims)}:    {statistics.median(claims) * 1000:8.1f} ms"
        f"  (max {max(claims) * 1000:.1f} ms)"
    )
    print(
        f"sync pulling {held} claims:                {pull * 1000:8.1f} ms  ({pull / base:.2f}x baseline; "
        f"{hook_pull}; the rest is the queue refresh the flag changes trigger)"
    )
    tail = statistics.median(after)
    print(
        f"no-change sync, {held} claimed:           {tail * 1000:8.1f} ms  ({tail / base:.2f}x baseline; "
        f"{hook_after})"
    )
    if held != len(claims):
        raise SystemExit(f"expected {len(claims)} conversations held by bob, found {held}")


if __name__ == "__main__":
    main()
