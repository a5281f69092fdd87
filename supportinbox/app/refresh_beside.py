"""The queue's refresh in a second process while a large fetch runs.

A first sync of thousands of messages spends about as long sorting them (threading, scoring,
incidents, Junk verdicts) as fetching them, and both are Python on one core. While the fetch
stores batch after batch, a second process refreshes what the batches brought (each batch
writes the change log that the partial refresh reads), so when the fetch ends only the last
batches are left to sort, on a machine with a second core to do it.

Each round recomputes what arrived since the one before, as a partial refresh does after an
ordinary sync, and holds the cache for writing as briefly: a round that would take more (the
fetch outran the process by thousands of messages) is not started, and the process leaves
the rest to the caller's refresh.

The queue is the same by construction: each round of the second process is an ordinary
refresh of the cache as it stood, at the sync's moment, and whatever it did not do (it lagged
behind, failed, or was stopped) the caller's own refresh after the fetch does, as it would
without it. The process is an accelerator, never the only way the queue gets sorted: it is
started only for a folder with :data:`START_FROM` new messages or more, its output is
discarded, and any failure to start or run it leaves the work to the caller.

The second process gets the cache's path, the config, the account and the moment through a
pipe (pickled: the same user's own process), and stops when the pipe closes, after a last
round, which the caller waits for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import struct
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from supportinbox import faults
from supportinbox.store.db import file_identity

if TYPE_CHECKING:
    import subprocess

    from supportinbox.app.context import AccountContext
    from supportinbox.config import AccountConfig, Config

log = logging.getLogger(__name__)

START_FROM = 1_000
"""A folder with this many new messages or more has its queue sorted beside the fetch."""

WAIT_SECONDS = 600.0
"""The longest the caller waits for the last round (a first sync of 100,000 messages takes
about a minute); past it the process is stopped and the caller's refresh does the rest."""

_PAUSE = 0.05  # seconds between looks at the change log when a round found nothing to do
_SIZE = struct.Struct("!I")


class RefreshBeside:
    """Starts the second process when a large fetch begins; :meth:`finish` waits for it.

    Used as the engine's progress callback (:meth:`progress`), passing every call on to the
    caller's own callback.
    """

    def __init__(self, ctx: AccountContext, db_path: Path | str) -> None:
        self.ctx = ctx
        self.db_path = str(db_path)
        self.process: subprocess.Popen[bytes] | None = None
        # A cache no other process can open, or one core that the two would share.
        self._tried = self.db_path == ":memory:" or cores() < 2

    def progress(self, folder: str, done: int, total: int) -> None:
        if total >= START_FROM and not self._tried:
            self._tried = True
            self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes] | None:
        # Loaded only here: every sync and the app import this module, few start the process.
        import pickle
        import subprocess

        payload = pickle.dumps(
            (self.db_path, file_identity(self.db_path), self.ctx.config, self.ctx.account, self.ctx.now()),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        # The test suite's crash points count the steps of one process: the second one's
        # own steps would shift them (tests kill this process on purpose instead).
        env = {k: v for k, v in os.environ.items() if k not in (faults.ENV, faults.STEPS_ENV)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            log.warning("the queue is sorted after the fetch: no second process (%s)", exc)
            return None
        assert process.stdin is not None
        try:
            process.stdin.write(_SIZE.pack(len(payload)) + payload)
            process.stdin.flush()
        except OSError:
            _stop(process)
            return None
        return process

    def finish(self, *, completed: bool) -> None:
        """The fetch is over: let a last round run and wait for it (``completed``), or stop
        the process at once (the fetch failed; the caller's next refresh sorts the rest)."""
        process, self.process = self.process, None
        if process is None:
            return
        if not completed:
            _stop(process)
            return
        import subprocess

        assert process.stdin is not None
        try:
            process.stdin.close()
            code = process.wait(WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("the queue's second process took over %.0f s: stopped", WAIT_SECONDS)
            _stop(process)
            return
        except BaseException:
            _stop(process)
            raise
        if code != 0:
            log.warning("the queue's second process ended with %s: sorting after the fetch", code)


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and reap it; a refresh it was writing is rolled back by SQLite."""
    import subprocess

    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()


def _read_exactly(stream: IO[bytes], count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = os.read(stream.fileno(), count - len(data))
        if not chunk:
            raise EOFError("the pipe closed before the settings were read")
        data += chunk
    return data


def run_rounds(stream: IO[bytes]) -> None:
    """The second process: refresh what the change log names until ``stream`` closes, then
    once more."""
    import pickle

    (size,) = _SIZE.unpack(_read_exactly(stream, _SIZE.size))
    db_path, identity, config, account, moment = pickle.loads(_read_exactly(stream, size))  # noqa: S301
    _rounds(stream, db_path, identity, config, account, moment)


def _rounds(
    stream: IO[bytes],
    db_path: str,
    identity: tuple[int, int] | None,
    config: Config,
    account: AccountConfig,
    moment: datetime,
) -> None:
    from supportinbox.store.db import Database, connect
    from supportinbox.store.triage_fresh import refresh_within
    from supportinbox.store.triage_incremental import MAX_CHANGES

    # The caller's file as it opened it (migrated, put right): never another one that a
    # rebuild has swapped in since (the transactions check it again before each write).
    if identity is None or file_identity(db_path) != identity:
        return
    with Database(connect(db_path), db_path, identity) as db:
        while True:
            # Rounds of a partial refresh's size, whose writes hold the cache briefly: a
            # fetch that outruns them is left to the caller's refresh from then on.
            worked = refresh_within(db, config, account, moment, MAX_CHANGES)
            if worked is None:
                return
            ready, _, _ = select.select([stream], [], [], 0 if worked else _PAUSE)
            if ready and not os.read(stream.fileno(), 1):
                break  # the fetch is over
        refresh_within(db, config, account, moment, MAX_CHANGES)


def main() -> int:
    # Stopped by the caller with SIGTERM: die at once (SQLite rolls back the open write).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        run_rounds(sys.stdin.buffer)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
