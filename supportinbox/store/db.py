"""Opening the cache: WAL, busy timeout, migrations, and errors a user can read."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from supportinbox import paths
from supportinbox.errors import StorageError
from supportinbox.faults import crash_point
from supportinbox.store.migrations import MIGRATION_STEPS, MIGRATIONS
from supportinbox.store.swap import put_right

SCHEMA_VERSION = max(MIGRATIONS)
BUSY_TIMEOUT_MS = 15_000


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Less free space than this beside the cache makes a "disk I/O error" a full disk: SQLite
# reports a shared-memory or journal file it cannot grow as I/O, not as SQLITE_FULL.
FULL_BELOW_BYTES = 1 << 20


def _nearly_full(path: Path | str) -> bool:
    try:
        found = os.statvfs(Path(path).parent)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < FULL_BELOW_BYTES


def storage_error(exc: sqlite3.Error, path: Path | str) -> StorageError:
    """Turn an SQLite error into one line that says what to do."""
    text = str(exc)
    lowered = text.lower()
    if "disk is full" in lowered or ("disk i/o error" in lowered and _nearly_full(path)):
        return StorageError(
            f"the disk holding {path} is full: free some space",
            aftermath="run the command again (nothing already cached was lost)",
        )
    if "readonly" in lowered or "read-only" in lowered:
        return StorageError(f"{path} is read-only: check the permissions of the file and its folder")
    if "unable to open" in lowered:
        return StorageError(f"cannot open the cache {path}: check that the folder exists and is writable")
    if "malformed" in lowered or "not a database" in lowered:
        return StorageError(
            f"the cache {path} is corrupt: run 'supportinbox cache rebuild' to fetch it again from the server"
        )
    if "locked" in lowered or "busy" in lowered:
        return StorageError(f"the cache {path} is busy in another process: try again in a moment")
    return StorageError(f"cache error in {path}: {text}")


class Database:
    """A connection to one account's cache.

    The connection is opened with ``check_same_thread=False`` so a UI can hand it to one
    worker thread at a time; callers must not use it from two threads at once.
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path | str, identity: tuple[int, int] | None = None
    ) -> None:
        self.conn = conn
        self.path = path
        # The file this connection reads (device, inode), taken before it was opened.
        self._identity = identity

    def replaced(self) -> bool:
        """Whether another file now stands at this cache's path: a ``cache rebuild`` swapped
        its new cache in, and this connection still reads the old one, deleted.

        A connection that stays open (the app's) asks this now and then, and reopens. No file
        at the path at all is not a replacement: there is nothing newer to read.
        """
        if self._identity is None:
            return False
        now = file_identity(self.path)
        return now is not None and now != self._identity

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None
        if self.replaced():
            # A rebuild swapped its new cache in: a write to this one, deleted, would be lost.
            self.conn.rollback()
            raise StorageError(
                f"the cache {self.path} was replaced by 'supportinbox cache rebuild' meanwhile: "
                "nothing was changed; do it again"
            )
        try:
            yield self.conn
        except sqlite3.Error as exc:
            self.conn.rollback()
            raise storage_error(exc, self.path) from None
        except BaseException:
            self.conn.rollback()
            raise
        else:
            crash_point("db.commit")
            try:
                self.conn.commit()
            except sqlite3.Error as exc:
                self.conn.rollback()
                raise storage_error(exc, self.path) from None
            crash_point("db.committed")

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def integrity_ok(self) -> bool:
        row = self.conn.execute("PRAGMA integrity_check").fetchone()
        return row is not None and row[0] == "ok"

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database; return the resulting version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number in sorted(n for n in MIGRATIONS if n > version):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(MIGRATIONS[number]):
                conn.execute(statement)
            step = MIGRATION_STEPS.get(number)
            if step is not None:
                step(conn)
            conn.execute(f"PRAGMA user_version = {int(number)}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        version = number
        # Each migration's pages go into the file before the next one: left in the log, a
        # new cache's schema took its room some three times over (a page rewritten by each
        # migration is logged again), and on a nearly full disk no mail fitted beside it.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return version


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows where they end)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        if not current and (not line.strip() or line.strip().startswith("--")):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def file_identity(path: Path | str) -> tuple[int, int] | None:
    """The (device, inode) of the file at ``path``; None for none (or ``:memory:``)."""
    if str(path) == ":memory:":
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def open_current(path: Path) -> Database | None:
    """The cache at ``path`` as it is, if it exists and is of this program's schema; else None.

    For the quick answers of ``list --json`` and ``sync``, which read or touch a cache the full
    command keeps: anything else (no cache yet, a migration due) is the full command's to do.
    """
    put_right(path)
    if not path.is_file():
        return None
    identity = file_identity(path)
    db = Database(connect(path), path, identity)
    try:
        current = int(db.conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
    except BaseException:
        db.close()
        raise
    if not current:
        db.close()
        return None
    return db


def open_database(path: Path | str | None = None, *, account: str | None = None) -> Database:
    """Open (creating and migrating if needed) the cache at ``path`` or of ``account``."""
    if path is None:
        if account is None:
            raise ValueError("open_database needs a path or an account")
        path = paths.database_file(account)
    if str(path) != ":memory:":
        target = Path(path)
        put_right(target)
        try:
            paths.ensure_private_dir(target.parent)
            if not target.exists():
                target.touch(mode=0o600)
        except OSError as exc:
            raise StorageError(f"cannot create the cache {target}: {exc.strerror or exc}") from None
    identity = file_identity(path)
    try:
        conn = connect(path)
        migrate(conn)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from None
    return Database(conn, path, identity)
