"""Push: one connection that waits for changes, reconnecting after anything ends it.

:class:`PushWatcher` keeps a :class:`~supportinbox.mail.idle.FolderWatch` on the inbox
(with the notes, Junk, Sent and team state folders watched on the same connection) and
reports through three callbacks, from its own thread:

- ``changed(changes)`` when the server announces a change;
- ``offline(reason)`` as soon as the connection is lost or cannot be made (one readable
  line), then again only when the reason changes;
- ``online()`` once the connection is up again after being offline (and on the first
  connection).

A machine that slept (a laptop's lid closed) wakes with a connection that may have died
meanwhile without a word, and the keep-alive counts only time awake (the monotonic clock
stops in suspend): when the wall clock moved on further than the monotonic one during a
wait, the connection is asked for an answer at once: dead, it is left within the account's
timeout, and ``online`` (after ``offline``) has the app fetch what came while asleep.

Any disconnect (end of file, reset, TLS error, ``BYE``, a server silent past the
keep-alive) is followed by a new connection after 1 s, then 2 s, 4 s, capped at
:data:`RECONNECT_MAX_SECONDS`, so the return of the server is noticed within seconds
while a dead one costs one connection attempt every few seconds. A refused login is not a
network event: it is retried only every ``slow_retry`` seconds (a wrong password tried
every few seconds can lock an account).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportinbox.config import AccountConfig
from supportinbox.errors import ConnectionFailed, UserError
from supportinbox.mail.idle import KEEPALIVE_SECONDS, Changes, FolderWatch
from supportinbox.mail.imap import (
    NETWORK_ERRORS,
    connect,
    describe_network_error,
    discover_folders,
    logout,
    own_folder,
)

log = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 5.0
# How long one wait lasts before the watcher looks whether it should stop or the machine
# slept (stop() also breaks a wait at once by closing the socket).
WAIT_SLICE_SECONDS = 60.0
# The wall clock ahead of the monotonic one by this much over one wait: the machine slept.
SLEPT_SECONDS = 30.0


class PushWatcher:
    """Watches one account's mailbox until :meth:`stop`; see the module docstring."""

    def __init__(
        self,
        account_name: str,
        account: AccountConfig,
        *,
        changed: Callable[[Changes], object],
        offline: Callable[[str], object],
        online: Callable[[], object],
        slow_retry: float,
        keepalive: float = KEEPALIVE_SECONDS,
        extra_folders: tuple[str, ...] = (),
    ) -> None:
        self.account_name = account_name
        self.account = account
        self._changed = changed
        self._offline = offline
        self._online = online
        self._slow_retry = slow_retry
        self.keepalive = keepalive
        self._extra = extra_folders
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watch: FolderWatch | None = None
        self.connected = threading.Event()
        self.mode = ""
        self.folders: tuple[str, ...] = ()  # the inbox, then the other folders watched
        self._lost_at: float | None = None
        self._reported = ""
        self._delay = RECONNECT_FIRST_SECONDS

    def stop(self) -> None:
        """End :meth:`run` (from any thread): a wait in progress is broken at once."""
        self._stop.set()
        with self._lock:
            watch = self._watch
        if watch is not None:
            watch.close()

    def run(self) -> None:
        """Watch, reconnecting with backoff, until :meth:`stop`."""
        while not self._stop.is_set():
            try:
                self._watch_once()
            except (UserError, IMAPClientError, *NETWORK_ERRORS) as exc:
                if self._stop.is_set():
                    return
                self.connected.clear()
                if self._stop.wait(self._lost(self._describe(exc))):
                    return

    def _lost(self, error: UserError) -> float:
        """Report a failed or broken connection; how long to wait before the next attempt."""
        if not isinstance(error, ConnectionFailed):
            # Not a network event (refused login, bad config): slow retries; the sync shows it.
            log.warning("push: %s; trying again in %.0f s", error.message, self._slow_retry)
            return self._slow_retry
        if self._lost_at is None:
            self._lost_at = time.monotonic()
            self._delay = RECONNECT_FIRST_SECONDS
        if error.message != self._reported:
            self._reported = error.message
            log.warning("push: %s; reconnecting with backoff", error.message)
            self._offline(error.message)
        delay, self._delay = self._delay, min(self._delay * 2, RECONNECT_MAX_SECONDS)
        return delay

    def _up(self) -> None:
        self.connected.set()
        if self._lost_at is not None:
            offline = time.monotonic() - self._lost_at
            log.info("push: connected again after %.0f s offline (%s)", offline, self.mode)
        else:
            log.info("push: watching %s (%s)", ", ".join(self.folders), self.mode)
        self._lost_at, self._reported = None, ""
        self._online()

    def _watch_once(self) -> None:
        client = connect(self.account_name, self.account)
        try:
            watch = self._open(client)
        except BaseException:
            logout(client)
            raise
        with self._lock:
            self._watch = watch
        try:
            if self._stop.is_set():
                return
            self._up()
            while not self._stop.is_set():
                wall, awake = time.time(), time.monotonic()
                changes = watch.wait(WAIT_SLICE_SECONDS)
                slept = (time.time() - wall) - (time.monotonic() - awake)
                if slept > SLEPT_SECONDS and not self._stop.is_set():
                    log.info("push: the machine slept for about %.0f s: asking the server", slept)
                    watch.check()
                if changes and not self._stop.is_set():
                    self._changed(changes)
        finally:
            with self._lock:
                self._watch = None
            watch.close()

    def _open(self, client: IMAPClient) -> FolderWatch:
        roles = discover_folders(client, self.account)
        # The shared folders are watched even before a teammate creates them.
        others = [name for name in (roles.junk, roles.sent) if name]
        # Ours live in the personal namespace (Courier: "INBOX.Notes"), as notes and state put them.
        others += [own_folder(client, name) for name in (self.account.notes_folder, *self._extra)]
        client.select_folder(roles.inbox, readonly=True)
        watch = FolderWatch(client, timeout=self.account.timeout, others=others, keepalive=self.keepalive)
        self.mode = watch.mode
        self.folders = (roles.inbox, *others)
        return watch

    def _describe(self, exc: BaseException) -> UserError:
        if isinstance(exc, UserError):
            return exc
        return describe_network_error(exc, self.account, self.account_name)
