"""Starting the cache afresh without losing anything that exists only locally.

Mail itself can always be fetched again, but some rows exist only in the cache: replies in
the outbox (sent ones too: they are the guard against sending twice), queued server
changes, manual conversation state, and notes, follow-ups and tag changes not yet shared.
:func:`rebuild_cache` builds a new cache beside the old one holding exactly those rows, lets
its caller fill it from the server, and only then swaps it in: a rebuild that loses the
server or is killed halfway leaves the old cache in use, as it was, and keeps nothing of
what it fetched. If the old cache cannot be read (it is corrupt), it is kept beside the new
one instead of being deleted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.errors import StorageError, UserError
from supportinbox.faults import crash_point
from supportinbox.store.db import BUSY_TIMEOUT_MS, open_database, storage_error
from supportinbox.store.outbox import OutboxStatus
from supportinbox.store.swap import SIDECARS, aside, put_right

# Table -> rows kept (WHERE clause). Everything else is mail, fetched again by a sync.
KEPT_TABLES: dict[str, str] = {
    "outbox": "1",
    "pending_ops": "1",
    "conversation_state": "1",
    # What the server last held of the shared state: without it, the kept manual state
    # would look like fresh local changes and overwrite teammates' newer ones.
    "team_sync": "1",
    "notes": "uploaded = 0",
    "incident_closes": "uploaded = 0",
    # Report history: mail archived or expunged on the server keeps its facts.
    "support_events": "1",
    # Merges and splits: the state folder has the team's, but one made here may not be
    # shared yet, and without the rest a rebuild while offline would undo them until then.
    "thread_overrides": "1",
    # Which customers were acknowledged automatically, and when: never twice.
    "acknowledgements": "1",
    # What teammates did, as this client was told (the `team` command's history).
    "team_events": "1",
    # Follow-ups and tag changes made here and not shared yet (offline, say): the state
    # folder has the rest, and the next exchange shares these as it would have.
    "followups": "uploaded = 0",
    "tag_changes": "uploaded = 0",
}

# The outbox's sent replies, counted apart from its unsent ones (which "outbox" counts):
# kept as the guard against sending twice, not as anything still to go out.
SENT_REPLIES = "outbox:sent"
# Its replies that count under neither: cancelled ones, kept as they were.
OTHER_REPLIES = "outbox:cancelled"

# What each kept table holds, in words (singular, plural); None: nothing worth telling.
KEPT_WORDS: dict[str, tuple[str, str] | None] = {
    "outbox": ("unsent reply in the outbox", "unsent replies in the outbox"),
    "pending_ops": ("change waiting for the server", "changes waiting for the server"),
    "conversation_state": ("conversation status", "conversation statuses"),
    "team_sync": None,
    "notes": ("note not yet shared", "notes not yet shared"),
    "incident_closes": ("incident close not yet shared", "incident closes not yet shared"),
    "support_events": ("report entry", "report entries"),
    "thread_overrides": ("merge or split", "merges and splits"),
    "acknowledgements": ("automatic acknowledgement", "automatic acknowledgements"),
    "team_events": ("team event", "team events"),
    "followups": ("follow-up not yet shared", "follow-ups not yet shared"),
    "tag_changes": ("tag change not yet shared", "tag changes not yet shared"),
    SENT_REPLIES: (
        "sent reply remembered, so it is never sent again",
        "sent replies remembered, so none is sent again",
    ),
    OTHER_REPLIES: None,
}


def kept_words(kept: dict[str, int]) -> str:
    """``3 unsent replies in the outbox, 1 merge or split``: what a rebuild kept, for a person,
    in the order of :data:`KEPT_WORDS` (the sent replies last: nothing to do with them)."""
    said = []
    for key, words in KEPT_WORDS.items():
        count = kept.get(key, 0)
        if count and words is not None:
            said.append(f"{count:,} {words[0] if count == 1 else words[1]}")
    return ", ".join(said)


def _outbox_counts(columns: list[str], rows: list[tuple[object, ...]]) -> dict[str, int]:
    """The kept outbox rows by what they are: unsent (``outbox``), sent, cancelled."""
    where = columns.index("status")
    statuses = [row[where] for row in rows]
    sent = statuses.count(OutboxStatus.SENT)
    other = statuses.count(OutboxStatus.CANCELLED)
    return {"outbox": len(rows) - sent - other, SENT_REPLIES: sent, OTHER_REPLIES: other}


# Set in a rebuilt cache until its first full team exchange: the notes, tags, follow-ups
# and regroupings it downloads again were reported before the rebuild, so they are taken
# in quietly instead of announced as teammates' news.
TEAM_QUIET_META = "team_quiet_after_rebuild"


@dataclass
class RebuildResult:
    path: Path
    kept: dict[str, int]  # rows kept per table; the outbox's by what they are (see _outbox_counts)
    backup: Path | None = None
    problem: str | None = None


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")]


def _read_kept(path: Path) -> tuple[dict[str, tuple[list[str], list[tuple[object, ...]]]], str | None]:
    """The rows to keep from the old cache, and a problem if it could not be read."""
    kept: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    if not path.exists():
        return kept, None
    try:
        conn = sqlite3.connect(str(path), timeout=15)
    except sqlite3.Error as exc:
        return kept, str(exc)
    failed: dict[str, str] = {}
    try:
        for table, where in KEPT_TABLES.items():
            try:
                columns = _columns(conn, table)
                if not columns:
                    continue
                rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}").fetchall()
            except sqlite3.Error as exc:
                failed[table] = str(exc)
                continue
            kept[table] = (columns, [tuple(r) for r in rows])
    finally:
        conn.close()
    return kept, _unread_words(failed, anything_read=bool(kept))


def _unread_words(failed: dict[str, str], *, anything_read: bool) -> str | None:
    """What could not be read, for a person: the reason alone when nothing could be (a file
    that is no database), else which rows could not be carried over and why."""
    if not failed:
        return None
    reasons = set(failed.values())
    if not anything_read and len(reasons) == 1:
        return reasons.pop()
    said = []
    for table, reason in failed.items():
        words = KEPT_WORDS.get(table)
        said.append(f"{words[1] if words else table.replace('_', ' ')}: {reason}")
    return "; ".join(said)


def _remove_sidecars(path: Path) -> None:
    for suffix in SIDECARS:
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


@dataclass
class FreshCache:
    """A new cache beside the account's own, holding the kept rows, not swapped in yet."""

    path: Path
    target: Path
    kept: dict[str, int]
    problem: str | None = None
    # The kept rows as they were read, to find those written to the old cache meanwhile.
    read: dict[str, tuple[list[str], list[tuple[object, ...]]]] = field(default_factory=dict)
    # What a rebuild stopped before its swap had left and this one removed (see clear_unfinished).
    left: str = ""


def _start(account_name: str) -> FreshCache:
    """Build the new cache beside the old one, which stays in use until :func:`_finish`.

    A left-over new file (from a rebuild killed before its swap) is removed first.
    """
    left = clear_unfinished(account_name)  # first: on a disk it filled, reading needs room
    path = paths.database_file(account_name)
    kept, problem = _read_kept(path)
    fresh = paths.rebuild_file(account_name)
    counts: dict[str, int] = {}
    with open_database(fresh) as db:
        try:
            with db.transaction() as conn:
                for table, (old_columns, rows) in kept.items():
                    columns = [c for c in old_columns if c in set(_columns(conn, table))]
                    indexes = [old_columns.index(c) for c in columns]
                    conn.executemany(
                        f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        [tuple(row[i] for i in indexes) for row in rows],
                    )
                    if table == "outbox" and "status" in old_columns:
                        counts.update(_outbox_counts(old_columns, rows))
                    else:
                        counts[table] = len(rows)
                db.set_meta(TEAM_QUIET_META, "1")
        except StorageError:
            fresh.unlink(missing_ok=True)
            raise
    return FreshCache(path=fresh, target=path, kept=counts, problem=problem, read=kept, left=left)


def _carry_meanwhile(fresh: FreshCache) -> None:
    """Copy into the new cache the kept rows added or changed in the old one since it was read.

    The old cache stays in use during the fetch: a status set, a note written or a reply
    queued meanwhile (from the app or another command) must not vanish with it. A queued
    change is added under a new id, after those the fetch left; other rows replace theirs.
    """
    if fresh.problem is not None:
        return
    later, _ = _read_kept(fresh.target)
    with open_database(fresh.path) as db, db.transaction() as conn:
        for table, (old_columns, rows) in later.items():
            before = set(fresh.read.get(table, ([], []))[1])
            added = [row for row in rows if row not in before]
            if not added:
                continue
            present = set(_columns(conn, table))
            columns = [c for c in old_columns if c in present and not (table == "pending_ops" and c == "id")]
            indexes = [old_columns.index(c) for c in columns]
            marks = ", ".join("?" * len(columns))
            conn.executemany(
                f"INSERT OR REPLACE INTO {table}({', '.join(columns)}) VALUES ({marks})",
                [tuple(row[i] for i in indexes) for row in added],
            )


def _discard(fresh: Path) -> None:
    """Remove a new cache that will not be swapped in (and its sidecar files)."""
    fresh.unlink(missing_ok=True)
    _remove_sidecars(fresh)


def clear_unfinished(account_name: str, *, in_use: Path | None = None) -> str:
    """Remove the new cache a rebuild stopped before its swap left (``kill -9``, a power cut);
    what was removed, in one line, or "" when there was none.

    The caller holds the account's sync lock, which a rebuild holds from start to swap: a
    new cache found then belongs to no rebuild running. Nothing in it is only there: its
    kept rows were read from the old cache, and its mail is on the server. What a rebuild
    stopped in its swap had set aside of the old cache is put back first
    (:func:`~supportinbox.store.swap.put_right`). ``in_use``: the cache the caller works in,
    never removed (a rebuild's own fetch). Raises :class:`StorageError` when it cannot be removed.
    """
    put_back = put_right(paths.database_file(account_name), locked=True)
    fresh = paths.rebuild_file(account_name)
    try:
        size = fresh.stat().st_size + sum(
            Path(str(fresh) + suffix).stat().st_size
            for suffix in SIDECARS
            if Path(str(fresh) + suffix).exists()
        )
        if in_use is not None and in_use.exists() and fresh.samefile(in_use):
            return ""
        _discard(fresh)
    except FileNotFoundError:
        return put_back
    except OSError as exc:
        raise StorageError(
            f"cannot remove the unfinished new cache {fresh} a stopped rebuild left: {exc.strerror or exc}"
        ) from None
    removed = (
        f"removed the unfinished new cache a stopped 'cache rebuild' had left ({fresh}, {_megabytes(size)})"
    )
    return f"{put_back}; {removed}" if put_back else f"{removed}; the cache in use was never touched"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1_000:.0f} kB"


@contextlib.contextmanager
def _writes_held(path: Path, problem: str | None) -> Iterator[None]:
    """Hold the old cache's write lock from the carry-over until the swap is done.

    A write made elsewhere meanwhile then either lands before the carry-over reads it, or
    waits and finds the cache replaced (:meth:`Database.transaction` refuses it): never one
    lost in the old file. Readers are not held up (WAL). An unreadable cache, or one busy
    past the timeout, is swapped without it.
    """
    conn = None
    if problem is None and path.exists():
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            if conn is not None:
                conn.close()
            conn = None
    try:
        yield
    finally:
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.rollback()
            conn.close()


def _finish(fresh: FreshCache) -> RebuildResult:
    """Swap the new cache in for the old one in one rename (the new one must be closed)."""
    with _writes_held(fresh.target, fresh.problem):
        return _swap(fresh)


def _fold_log(path: Path) -> None:
    """Copy the new cache's write-ahead log into its file, which then holds the whole cache.

    Closing the last connection does that too, but on a disk too full for the file to grow
    it fails without a word, and the log keeps what the file lacks: the swap, which never
    moves a log beside the file it replaces, would then swap in a corrupt cache. Here a
    full disk is an error that stops the rebuild instead.
    """
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            busy, logged, copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy or logged != copied:
                raise StorageError(f"the new cache {path} could not be completed: it is in use elsewhere")
            # No log from now on: the file alone is the cache (the next open turns WAL on again).
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from None


def _swap(fresh: FreshCache) -> RebuildResult:
    path, problem = fresh.target, fresh.problem
    _carry_meanwhile(fresh)
    crash_point("rebuild.carried")
    _fold_log(fresh.path)
    crash_point("rebuild.folded")
    backup = None
    moved: list[tuple[Path, Path]] = []  # (from, to): moved before the rename, back if it fails
    try:
        if problem is not None and path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            backup = path.with_name(f"{path.name}.unreadable-{stamp}")
            for suffix in ("", "-wal", "-shm"):
                side = Path(str(path) + suffix)
                if side.exists():
                    os.replace(side, Path(str(backup) + suffix))
                    moved.append((side, Path(str(backup) + suffix)))
        else:
            # A stale write-ahead log must never be replayed into the new file: the old
            # cache's goes aside until the rename is done (stopped halfway, the next start
            # puts it back: supportinbox.store.swap).
            for suffix in SIDECARS:
                side = Path(str(path) + suffix)
                if side.exists():
                    os.replace(side, aside(path, suffix))
                    moved.append((side, aside(path, suffix)))
                    crash_point("rebuild.aside")
        _remove_sidecars(fresh.path)
        os.replace(fresh.path, path)
        crash_point("rebuild.swapped")
    except OSError as exc:
        for origin, now in reversed(moved):
            with contextlib.suppress(OSError):
                os.replace(now, origin)
        raise StorageError(f"cannot replace the cache {path}: {exc.strerror or exc}") from None
    if backup is None:
        for _origin, set_aside in moved:
            set_aside.unlink(missing_ok=True)
    return RebuildResult(path=path, kept=fresh.kept, backup=backup, problem=problem)


REBUILD_INTERRUPTED = "the old cache is untouched and still in use, and nothing the rebuild fetched was kept"
"""What a rebuild stopped before its swap leaves: no partial fetch is ever kept."""

REBUILD_STOPPED = f"the rebuild stopped: {REBUILD_INTERRUPTED}; run 'supportinbox cache rebuild' again"
"""What a rebuild whose fetch failed says after the cause."""


def _fetch_nothing(fresh: FreshCache) -> None:
    """No fetch: the new cache holds the kept rows alone, and the next sync brings the mail."""


def rebuild_cache(account_name: str, fetch: Callable[[FreshCache], object] = _fetch_nothing) -> RebuildResult:
    """Replace the account's cache with a new one that keeps local-only rows and what ``fetch`` adds.

    ``fetch`` fills the new cache at ``fresh.path`` (from the server) while the old one stays
    in use; rows kept that are written to the old one meanwhile are carried over at the
    swap. If ``fetch`` fails or is interrupted, the new cache is deleted and the old one left
    untouched; a :class:`UserError` then says so after its cause (:data:`REBUILD_STOPPED`).
    The caller must hold the account's sync lock and have closed its own connection.
    """
    try:
        fresh = _start(account_name)
        fetch(fresh)
    except UserError as exc:
        _discard(paths.rebuild_file(account_name))
        exc.message = f"{exc.cause}; {REBUILD_STOPPED}"
        raise
    except BaseException:
        # Ctrl-C, or SIGTERM where the caller makes it an exception: nothing is left behind.
        _discard(paths.rebuild_file(account_name))
        raise
    with _stops_held():
        try:
            return _finish(fresh)
        except UserError as exc:
            # Failed before its rename (a full disk): the old cache is still the one in use.
            _discard(paths.rebuild_file(account_name))
            exc.message = f"{exc.cause}; {REBUILD_STOPPED}"
            raise


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM off while the new cache is swapped in (well under a second).

    Stopped halfway, the rebuild would be neither done nor undone, and its caller would say
    the old cache is in use when the new one may be. A stop asked for meanwhile comes too
    late: the rebuild is complete (or failed on its own), and the command ends at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers are the main thread's
        return

    def too_late(_signum: int, _frame: object) -> None:
        pass

    # Python runs handlers in the main thread whichever thread the signal reached, so this
    # holds where a signal mask (per thread) would not.
    before = {stop: signal.getsignal(stop) for stop in (signal.SIGINT, signal.SIGTERM)}
    held = [stop for stop, handler in before.items() if handler not in (None, signal.SIG_IGN)]
    for stop in held:
        signal.signal(stop, too_late)
    try:
        yield
    finally:
        for stop in held:
            signal.signal(stop, before[stop])
