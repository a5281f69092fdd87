"""Incremental IMAP sync of Inbox, Junk and Sent into the local cache.

What is fetched: for a new message, its flags, INTERNALDATE, size, MODSEQ, BODYSTRUCTURE
and header block, then only the chosen text part (plain before HTML), capped at
:data:`~supportinbox.mail.parse.MAX_TEXT` bytes. Attachments are never downloaded here.

Crash safety: every batch is one transaction that also records the folder's UIDVALIDITY and
HIGHESTMODSEQ as seen when the folder was selected, so an interrupted sync keeps every
completed batch and the next run fetches only the messages still missing. ``UIDNEXT`` is
recorded only when a folder is complete, which is what the no-change fast path checks.

Incremental runs: a folder whose UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and message count are
unchanged costs one EXAMINE. Otherwise flag changes come from CONDSTORE ``CHANGEDSINCE``,
expunges from QRESYNC ``VANISHED`` (or a UID SEARCH ALL diff without QRESYNC), and a changed
UIDVALIDITY empties the folder's cache and fetches it again.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from supportinbox.config import AccountConfig
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import as_utc
from supportinbox.errors import ConnectionFailed, NotFound, StorageError
from supportinbox.faults import crash_point
from supportinbox.mail.fetcher import ByteCounter, Fetcher, answer_broke
from supportinbox.mail.imap import (
    NETWORK_ERRORS,
    connect,
    describe_network_error,
    discover_folders,
    logout,
)
from supportinbox.store import messages as store
from supportinbox.store.db import Database, utcnow_iso
from supportinbox.store.rebuild import clear_unfinished
from supportinbox.sync import reread
from supportinbox.sync.assemble import FIRST_PASS, parsed_message, request_texts
from supportinbox.sync.flush import flush_pending
from supportinbox.sync.hooks import SyncHook
from supportinbox.sync.lock import account_lock

log = logging.getLogger(__name__)

# A server whose answers break for this many messages in a row is broken as a whole: the
# sync stops with one line instead of reconnecting for every message of the folder.
_SKIPS_IN_A_ROW = 5

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(folder, done, total)`` while new messages are fetched; a caller may
report a step that has no count through the same callback with ``total`` 0."""

__all__ = ["FolderResult", "ProgressCallback", "SyncEngine", "SyncResult", "flush_pending"]


@dataclass
class FolderResult:
    """What one folder's sync changed in the cache."""

    name: str
    role: str
    new: int = 0
    updated: int = 0
    vanished: int = 0
    rebuilt: bool = False
    total: int = 0
    skipped: list[str] = field(default_factory=list)  # messages left on the server, and why


@dataclass
class SyncResult:
    """The outcome of one sync run."""

    folders: list[FolderResult] = field(default_factory=list)
    bytes_received: int = 0
    seconds: float = 0.0
    pending_done: int = 0
    pending_failed: int = 0
    problems: list[str] = field(default_factory=list)
    # A stopped rebuild's unfinished new cache this sync removed, in one line (or "").
    cleared: str = ""

    @property
    def new(self) -> int:
        return sum(f.new for f in self.folders)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.folders)

    @property
    def vanished(self) -> int:
        return sum(f.vanished for f in self.folders)

    @property
    def skipped(self) -> int:
        return sum(len(f.skipped) for f in self.folders)

    def folder(self, role_or_name: str) -> FolderResult | None:
        return next((f for f in self.folders if role_or_name in (f.role, f.name)), None)


def _ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for piece in text.split(","):
        low, _, high = piece.strip().partition(":")
        try:
            a, b = int(low), int(high or low)
        except ValueError:
            continue
        ranges.append((min(a, b), max(a, b)))
    return ranges


def _vanished_uids(responses: Iterable[Any], cached: Sequence[int]) -> set[int]:
    """Cached UIDs named in VANISHED responses (ranges are intersected, never expanded)."""
    found: set[int] = set()
    for response in responses:
        text = response.decode("ascii", "replace") if isinstance(response, bytes) else str(response)
        text = text.replace("(EARLIER)", "").strip()
        for low, high in _ranges(text):
            start = bisect.bisect_left(cached, low)
            end = bisect.bisect_right(cached, high)
            found.update(cached[start:end])
    return found


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return as_utc(value).isoformat(timespec="seconds")
    return None


def _modseq(data: dict[bytes, Any]) -> int | None:
    value = data.get(b"MODSEQ")
    if isinstance(value, tuple | list) and value:
        value = value[0]
    return int(value) if isinstance(value, int) else None


@contextmanager
def _fewer_checkpoints(db: Database) -> Iterator[None]:
    """Let the write-ahead log grow to 64 MB during a sync instead of 4 MB.

    Every batch is its own transaction; with the default threshold nearly each commit of a
    first sync would also copy the log into the database and fsync it.
    """
    previous = int(db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    db.conn.execute("PRAGMA wal_autocheckpoint = 16384")
    try:
        yield
    finally:
        db.conn.execute(f"PRAGMA wal_autocheckpoint = {previous}")


class _Renumbered(Exception):
    """The server gave a cached UID to another message without changing UIDVALIDITY."""


def _renumbered(folder: store.Folder, uidvalidity: int, uidnext: int | None, max_cached: int) -> str:
    """Why the folder's cached UIDs no longer name the server's messages ("" when they do)."""
    if folder.uidvalidity is not None and folder.uidvalidity != uidvalidity:
        return "UIDVALIDITY changed"
    if folder.uidvalidity == uidvalidity and uidnext is not None and max_cached and uidnext <= max_cached:
        # UIDs only grow: a server handing out a UID it gave before reuses it (RFC 3501 2.3.1.1).
        return f"UIDNEXT went back to {uidnext} (a cached UID is {max_cached}) under the same UIDVALIDITY"
    return ""


class SyncEngine:
    """Brings the cache of one account in step with its server.

    ``folders`` limits the run to some folders (names or roles: inbox, junk, sent).
    """

    def __init__(
        self,
        db: Database,
        account_name: str,
        account: AccountConfig,
        *,
        password: str | None = None,
        progress: ProgressCallback | None = None,
        hooks: Sequence[SyncHook] = (),
        folders: Sequence[str] | None = None,
        lock_wait: float = 2.0,
    ) -> None:
        self.db = db
        self.account_name = account_name
        self.account = account
        self.password = password
        self.progress = progress
        self.hooks = list(hooks)
        self.only = set(folders) if folders else None
        self.lock_wait = lock_wait
        self._condstore = False
        self._qresync = False
        # The connection in use: a FETCH answer that breaks the protocol leaves a connection
        # out of step with its answers, and a new one replaces it (_reconnect).
        self._imap: IMAPClient | None = None
        self._counter = ByteCounter()

    def run(self) -> SyncResult:
        """Sync once; raise ConnectionFailed / AuthenticationFailed / StorageError / SyncBusy."""
        started = time.monotonic()
        with account_lock(self.account_name, wait=self.lock_wait):
            imap = self._imap = connect(self.account_name, self.account, password=self.password)
            self._counter.attach(imap)
            try:
                cleared = self._clear_unfinished_rebuild()
                with _fewer_checkpoints(self.db):
                    result = self._run(imap)
                result.cleared = cleared
            except NETWORK_ERRORS as exc:
                raise describe_network_error(exc, self.account, self.account_name) from None
            except imap_errors.IMAPClientError as exc:
                first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise ConnectionFailed(
                    f"the IMAP server {self.account.imap_host}:{self.account.imap_port} refused a command "
                    f"during sync ({first})",
                    aftermath="what was synced so far is kept",
                ) from None
            finally:
                logout(self._imap)
        result.bytes_received = self._counter.count
        result.seconds = time.monotonic() - started
        return result

    def _clear_unfinished_rebuild(self) -> str:
        """Remove what a rebuild stopped before its swap left (see :func:`clear_unfinished`):
        the lock held here, no rebuild is running, unless this sync is its fetch."""
        try:
            return clear_unfinished(self.account_name, in_use=Path(self.db.path))
        except StorageError as exc:
            return exc.message

    def _run(self, imap: IMAPClient) -> SyncResult:
        result = SyncResult()
        imap.normalise_times = False
        roles = discover_folders(imap, self.account)
        result.problems.extend(roles.problems)
        capabilities = imap.capabilities()
        self._qresync = b"QRESYNC" in capabilities
        self._condstore = self._qresync or b"CONDSTORE" in capabilities
        if self._qresync:
            imap.enable("QRESYNC")
        elif self._condstore:
            imap.enable("CONDSTORE")
        chosen = self._chosen(roles.by_role())  # a folder that is not synced is said before any change
        result.pending_done, result.pending_failed = flush_pending(imap, self.db)
        if reread.stale(self.db):
            if self.progress is not None:
                self.progress(reread.STEP, 0, 0)
            self._imap, _ = reread.reread(imap, self.db, lambda: self._reconnect("INBOX", None))
        for hook in self.hooks:
            hook.before(self._current(), self.db, roles)
        for role, name in roles.by_role().items():
            if role not in chosen:
                continue
            folder = self._sync_folder(self._current(), name, role)
            result.folders.append(folder)
            result.problems.extend(folder.skipped)
        for hook in self.hooks:
            hook.after(self._current(), self.db, roles)
        return result

    def _chosen(self, synced: dict[str, str]) -> set[str]:
        """The roles to sync: every one, or those ``folders`` names by role (any case) or name.

        Raises :class:`NotFound` naming the folders there are for a name that is neither.
        """
        if self.only is None:
            return set(synced)
        chosen: set[str] = set()
        for wanted in sorted(self.only):
            role = next((r for r, name in synced.items() if wanted.lower() == r or wanted == name), None)
            if role is None:
                there = ", ".join(f"{r} ({one_line(name, limit=60)})" for r, name in synced.items())
                raise NotFound(f"folder {one_line(wanted, limit=60)!r} is not one that is synced: {there}")
            chosen.add(role)
        return chosen

    def _current(self) -> IMAPClient:
        assert self._imap is not None, "only while run() is connected"
        return self._imap

    def _reconnect(self, name: str, uidvalidity: int | None) -> IMAPClient:
        """A new connection with ``name`` selected; the old one is dropped, not logged out.

        After a broken answer the old connection's next bytes may still belong to it (or to
        pipelined commands), so nothing more is read from it.
        """
        with contextlib.suppress(Exception):
            self._current().shutdown()
        imap = self._imap = connect(self.account_name, self.account, password=self.password)
        self._counter.attach(imap)
        imap.normalise_times = False
        if self._qresync:
            imap.enable("QRESYNC")
        elif self._condstore:
            imap.enable("CONDSTORE")
        info = imap.select_folder(name, readonly=True)
        if uidvalidity is not None and int(info[b"UIDVALIDITY"]) != uidvalidity:
            raise ConnectionFailed(
                f"the UIDVALIDITY of {name!r} changed during the sync",
                aftermath="what was synced so far is kept: sync again",
            )
        return imap

    def _sync_folder(self, imap: IMAPClient, name: str, role: str) -> FolderResult:
        info = imap.select_folder(name, readonly=True)
        uidvalidity = int(info[b"UIDVALIDITY"])
        uidnext = int(info[b"UIDNEXT"]) if isinstance(info.get(b"UIDNEXT"), int) else None
        raw_hms = info.get(b"HIGHESTMODSEQ") if self._condstore else None
        highestmodseq = int(raw_hms) if isinstance(raw_hms, int) else None
        exists = int(info.get(b"EXISTS", 0))
        result = FolderResult(name=name, role=role, total=exists)
        with self.db.transaction() as conn:
            folder = store.ensure_folder(conn, name, role)
            renumbered = _renumbered(folder, uidvalidity, uidnext, store.max_uid(conn, folder.id))
            if renumbered:
                log.warning("%s of %s: cache of the folder rebuilt", renumbered, name)
                store.clear_folder(conn, folder.id)
                result.rebuilt = True
                folder = store.ensure_folder(conn, name, role)
            cached = sorted(store.cached_uids(conn, folder.id))
        unchanged = store.in_step(
            folder,
            uidvalidity=uidvalidity,
            uidnext=uidnext,
            highestmodseq=highestmodseq,
            exists=exists,
            cached=len(cached),
        )
        if unchanged:
            with self.db.transaction() as conn:
                conn.execute("UPDATE folders SET last_sync = ? WHERE id = ?", (utcnow_iso(), folder.id))
            return result

        try:
            vanished = self._apply_changes(imap, folder, cached, highestmodseq, result)
        except _Renumbered as exc:
            # A UID names another message now: nothing cached for this folder can be trusted.
            log.warning("%s of %s: cache of the folder rebuilt", exc, name)
            with self.db.transaction() as conn:
                store.clear_folder(conn, folder.id)
            rebuilt = self._sync_folder(imap, name, role)
            rebuilt.rebuilt = True
            return rebuilt
        complete = folder.uidnext is not None and folder.uidvalidity == uidvalidity
        cached_set = set(cached) - vanished
        if self._qresync and complete and cached:
            found = imap.search(["UID", f"{cached[-1] + 1}:*"])
            new = {int(u) for u in found if int(u) > cached[-1]}
            if len(cached_set) + len(new) != exists:
                new, gone = self._diff_all(imap, cached_set)
                vanished |= gone
        else:
            new, gone = self._diff_all(imap, cached_set)
            vanished |= gone
        if vanished:
            with self.db.transaction() as conn:
                result.vanished += store.delete_uids(conn, folder.id, vanished)

        state = {"uidvalidity": uidvalidity, "highestmodseq": highestmodseq}
        self._fetch_new(imap, folder.id, name, sorted(new, reverse=True), state, result)
        with self.db.transaction() as conn:
            # A folder whose cache does not hold exactly the server's count (mail arrived
            # or left meanwhile) is not marked complete: the next sync compares all UIDs.
            complete_now = len(store.cached_uids(conn, folder.id)) == exists
            store.set_folder_state(
                conn, folder.id, uidnext=uidnext if complete_now else None, last_sync=utcnow_iso(), **state
            )
        crash_point("sync.folder_done")
        return result

    def _diff_all(self, imap: IMAPClient, cached: set[int]) -> tuple[set[int], set[int]]:
        """(new, gone) by comparing every UID on the server with the cache."""
        on_server = {int(u) for u in imap.search(["ALL"])}
        return on_server - cached, cached - on_server

    def _apply_changes(
        self,
        imap: IMAPClient,
        folder: store.Folder,
        cached: list[int],
        highestmodseq: int | None,
        result: FolderResult,
    ) -> set[int]:
        """Pick up flag changes (and, with QRESYNC, expunges) of cached messages."""
        if not cached:
            return set()
        # Size and arrival time tell a message apart from another that took over its UID.
        items = ["UID", "FLAGS", "RFC822.SIZE", "INTERNALDATE"]
        if self._condstore:
            items.append("MODSEQ")
        modifiers: list[str] = []
        since = folder.highestmodseq
        if self._condstore and since is not None and highestmodseq is not None:
            if since == highestmodseq:
                return set()
            modifiers.append(f"CHANGEDSINCE {since}")
            if self._qresync:
                modifiers.append("VANISHED")
        answer = Fetcher(imap).fetch(f"1:{cached[-1]}", items, modifiers)
        response = answer.messages
        vanished = set()
        if self._qresync and modifiers:
            vanished = _vanished_uids(answer.vanished, cached)
        self._check_identity(folder.id, response)
        changes = [
            (uid, store.flags_text(data.get(b"FLAGS", ())), _modseq(data))
            for uid, data in response.items()
            if uid not in vanished
        ]
        if changes:
            with self.db.transaction() as conn:
                result.updated += store.update_flags(conn, folder.id, changes)
        return vanished

    def _check_identity(self, folder_id: int, response: dict[int, dict[bytes, Any]]) -> None:
        """Raise :class:`_Renumbered` if a cached UID now names a message of another size or date."""
        known = {
            int(row[0]): (row[1], row[2])
            for row in self.db.conn.execute(
                "SELECT uid, size, internaldate FROM messages WHERE folder_id = ?", (folder_id,)
            )
        }
        for uid, data in response.items():
            cached = known.get(uid)
            size, arrived = data.get(b"RFC822.SIZE"), _iso(data.get(b"INTERNALDATE"))
            if cached is None or not cached[0] or not cached[1] or not isinstance(size, int) or not arrived:
                continue  # nothing to compare (a server that did not say, now or then)
            if (size, arrived) != (cached[0], cached[1]):
                raise _Renumbered(
                    f"UID {uid} now names another message under the same UIDVALIDITY "
                    f"(size {cached[0]} -> {size}, arrived {cached[1]} -> {arrived})"
                )

    def _fetch_new(
        self,
        imap: IMAPClient,
        folder_id: int,
        name: str,
        uids: list[int],
        state: dict[str, int | None],
        result: FolderResult,
    ) -> None:
        """Fetch new messages newest first, one transaction per batch.

        A FETCH whose answer breaks the protocol, or that the server refuses, would stop
        every later sync at the same message. The connection is opened again, the messages
        that were in flight (three batches of the pipeline) are fetched one at a time, and
        one that still fails is left on the server and reported in ``result.skipped``: the
        folder is then not complete, so every later sync tries it again.
        """
        total = len(uids)
        if self.progress is not None:
            self.progress(name, 0, total)
        remaining = uids
        while remaining:
            try:
                self._fetch_batches(imap, folder_id, name, remaining, state, result, total)
                return
            except (*NETWORK_ERRORS, imap_errors.IMAPClientError) as exc:
                if not answer_broke(exc):
                    raise
                log.warning("FETCH in %s failed (%s): fetching message by message", name, exc)
            imap = self._reconnect(name, state["uidvalidity"])
            with self.db.transaction() as conn:
                stored = store.cached_uids(conn, folder_id)
            left = [uid for uid in remaining if uid not in stored]
            in_flight = 3 * self.account.batch_size
            in_a_row = 0
            for uid in left[:in_flight]:
                try:
                    self._fetch_batches(imap, folder_id, name, [uid], state, result, total)
                    in_a_row = 0
                except (*NETWORK_ERRORS, imap_errors.IMAPClientError) as exc:
                    in_a_row += 1
                    if not answer_broke(exc) or in_a_row >= _SKIPS_IN_A_ROW:
                        raise
                    result.skipped.append(
                        f"{name}: message UID {uid} skipped, the server's answer for it is broken "
                        f"({one_line(str(exc), limit=120)}); it stays on the server and every sync "
                        "tries it again (if this repeats, tell the mail provider)"
                    )
                    log.warning("%s: message UID %d skipped: %s", name, uid, exc)
                    imap = self._reconnect(name, state["uidvalidity"])
            remaining = left[in_flight:]

    def _fetch_batches(
        self,
        imap: IMAPClient,
        folder_id: int,
        name: str,
        uids: list[int],
        state: dict[str, int | None],
        result: FolderResult,
        total: int,
    ) -> None:
        """Fetch ``uids`` in pipelined batches; ``total`` is what progress counts to."""
        size = self.account.batch_size
        batches = [uids[start : start + size] for start in range(0, len(uids), size)]
        # The header block only as far as parsing reads it: the answer's size is then bounded
        # by what was asked (mail/imap.py refuses more), whatever the message holds.
        items = [
            "UID",
            "FLAGS",
            "INTERNALDATE",
            "RFC822.SIZE",
            *FIRST_PASS,
        ]
        if self._condstore:
            items.append("MODSEQ")
        done = result.new + len(result.skipped)
        fetcher = Fetcher(imap)
        first_tag = fetcher.send(batches[0], items) if batches else None
        # A software pipeline: while batch k-1 is decoded and stored, the server already
        # works on the text parts of batch k and the first pass of batch k+1, so neither
        # side waits for the other. Batches are still stored in order, one transaction each.
        previous: tuple[list[int], list[Any]] | None = None
        for index, batch in enumerate(batches):
            fetcher.wait(first_tag)
            text_tags = request_texts(fetcher, fetcher.get(batch))
            if index + 1 < len(batches):
                first_tag = fetcher.send(batches[index + 1], items)
            if previous is not None:
                done += self._store_batch(fetcher, folder_id, name, previous, state, result, done, total)
            previous = (batch, text_tags)
        if previous is not None:
            self._store_batch(fetcher, folder_id, name, previous, state, result, done, total)

    def _store_batch(
        self,
        fetcher: Fetcher,
        folder_id: int,
        name: str,
        batch: tuple[list[int], list[Any]],
        state: dict[str, int | None],
        result: FolderResult,
        done: int,
        total: int,
    ) -> int:
        """Wait for a batch's text parts, store it in one transaction, report progress."""
        uids, text_tags = batch
        for tag in text_tags:
            fetcher.wait(tag)
        rows = self._rows(folder_id, fetcher.take(uids))
        with self.db.transaction() as conn:
            store.upsert_messages(conn, rows)
            # UIDNEXT stays unset until the folder is complete: an interrupted run
            # must not look up to date to the next one.
            store.set_folder_state(conn, folder_id, uidnext=None, last_sync=utcnow_iso(), **state)
            crash_point("sync.batch_uncommitted")
        crash_point("sync.batch")
        result.new += len(rows)
        if self.progress is not None:
            self.progress(name, done + len(uids), total)
        return len(uids)

    def _rows(self, folder_id: int, fetched: dict[int, dict[bytes, Any]]) -> list[dict[str, Any]]:
        """Cache rows from the merged answers (first pass and text part) of a batch."""
        rows = []
        for uid, data in fetched.items():
            parsed = parsed_message(data)
            if parsed is None:
                continue
            size = data.get(b"RFC822.SIZE")
            rows.append(
                store.message_row(
                    folder_id,
                    uid,
                    flags=data.get(b"FLAGS", ()),
                    modseq=_modseq(data),
                    internaldate=_iso(data.get(b"INTERNALDATE")),
                    size=size if isinstance(size, int) else 0,
                    parsed=parsed,
                )
            )
        return rows
