"""The supportinbox terminal app: screens, background sync, errors, keys and themes.

The app itself stays small: it owns the :class:`InboxService`, the sync schedule, the
status shown in every status bar, and the one place where a failed worker becomes a
readable modal. Each screen lives in its own module under ``tui/screens``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.notifications import Notification, Notify, SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets._toast import ToastRack
from textual.worker import Worker, WorkerState, get_current_worker

from supportinbox.app.sending import RetryRound, SendResult
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import AuthenticationFailed, ConnectionFailed, CredentialsError, SyncBusy, UserError
from supportinbox.mail.imap import NETWORK_ERRORS
from supportinbox.mail.outbox import SendStatus
from supportinbox.tui import safe
from supportinbox.tui.screens.base import CacheChanged, ClockMoved, HoldsTyping
from supportinbox.tui.screens.help import HelpScreen
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ChooseModal, ConfirmModal, ErrorModal
from supportinbox.tui.service import InboxService, SyncOutcome
from supportinbox.tui.widgets import toasts
from supportinbox.tui.widgets.status_bar import SyncStatus

if TYPE_CHECKING:
    from supportinbox.tui.screens.editor import UndoModal

_log = logging.getLogger(__name__)

# Called to build the service of another account (switch account); None in the demo.
ServiceFactory = Callable[[str], InboxService]


# How often snoozes are woken and SLA thresholds applied while the app is open.
CLOCK_SECONDS = 30.0
PUSH_DELAY_SECONDS = 1.5  # after a read-state change, before it is sent to the server
# How often the outbox is looked at for changes made elsewhere (the command line, a cron sync).
OUTBOX_POLL_SECONDS = 2.0
TEAM_LINES = 4  # teammates' changes said in one toast after a sync (the rest: team status)


@dataclass(frozen=True)
class ClockTick:
    """How many conversations the clock changed (woken from snooze, past an SLA mark)."""

    changed: int


class SyncProgress(Message):
    """A step of a running sync; a newer one replaces an unprocessed older one."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgress)


class MailboxChanged(Message):
    """The server announced a change (push); merged while one waits."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MailboxChanged)


class ServerReachable(Message):
    """The push connection was lost (``offline`` says why) or is up again (``offline`` empty)."""

    def __init__(self, offline: str) -> None:
        self.offline = offline
        super().__init__()


class SupportInboxApp(App[None]):
    """Keyboard-driven support inbox on one account's local cache."""

    CSS_PATH = "app.tcss"
    TITLE = "supportinbox"

    def _fatal_error(self) -> None:
        """An unexpected error ends the app: one line on the terminal, the traceback in the log.

        Textual's own handler prints the traceback with every local variable, which may hold
        mail text, addresses or a password. (A Textual internal of the version pinned in
        pyproject.toml; tests/tui/test_conversation_gone.py fails if it stops being called.)
        """
        error = sys.exc_info()[1]
        _log.error("internal error in the app", exc_info=True)
        name = type(error).__name__ if error is not None else "unknown"
        self._exit_renderables.append(
            safe.terminal_line(
                f"supportinbox: internal error ({name}); the details are in the log: "
                "see 'supportinbox locate log'"
            )
        )
        self._close_messages_no_wait()

    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [  # noqa: RUF012
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave supportinbox"),
        Binding("question_mark,f1", "help", "Keys", id="help", tooltip="Every key of this screen"),
        Binding("s", "sync_asked", "Sync", id="sync", tooltip="Fetch new mail now"),
        Binding(
            "O",
            "outbox",
            "Outbox",
            id="outbox",
            show=False,
            tooltip="Replies not sent yet: retry, discard, send anyway",
        ),
        Binding("A", "switch_account", "Account", id="switch_account", show=False, tooltip="Switch account"),
        Binding("T", "toggle_theme", "Theme", id="toggle_theme", show=False, tooltip="Light / dark theme"),
    ]

    sync_status: reactive[SyncStatus] = reactive(SyncStatus)

    def __init__(self, service: InboxService, *, service_factory: ServiceFactory | None = None) -> None:
        super().__init__()
        self.service = service
        self._service_factory = service_factory
        ui = service.config.ui
        self.theme = ui.theme if ui.theme in self.available_themes else "textual-dark"
        self._keymap_from_config = dict(ui.keys)
        self._skipped: tuple[str, ...] = ()  # messages the last sync left on the server
        self._sync_again = False
        self._sync_by_user = False  # the running sync was asked for with its key
        self._stopping = threading.Event()  # set on exit: ends waits of background workers
        self._retry_timer: Timer | None = None
        self._retry_at: datetime | None = None
        self._warned_held: set[int] = set()  # replies sent knowing a teammate holds them
        self._while_writing: list[Notification] = []  # "While you write" toasts on screen
        self.sync_status = SyncStatus(
            account=service.account_name,
            label=service.label,
            has_server=service.has_server,
            last_sync=service.last_sync(),
            outbox=service.outbox_count(),
        )

    def now(self) -> datetime:
        return self.service.now()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast whose message and title are plain text, whatever the caller asked.

        Toasts carry subjects, file names, server replies and teammates' names; Textual
        would read markup in them (a click action, a crash on ``[/]``). Every
        ``notify`` of a screen or widget of this app lands here.
        """
        del markup  # never markup: see supportinbox/tui/safe.py
        self.toast(message, title=safe.plain(title), severity=severity, timeout=timeout)

    def toast(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> Notification:
        """``notify``, returning the toast for ``withdraw`` when what it says turns out false."""
        shown = Notification(
            safe.plain_text(message),
            safe.plain(title),
            severity,
            self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
            markup=False,
        )
        self.post_message(Notify(shown))
        return shown

    def _refresh_notifications(self) -> None:
        """Show the notifications on the current screen as our toasts (widgets/toasts.py).

        Textual's own refresh has the screen's ``ToastRack`` mount Textual's toast, which
        leaves a right-to-left field that wraps isolated on its first row only.
        """
        try:
            rack = self.screen.get_child_by_type(ToastRack)
        except (ScreenStackError, NoMatches):
            return  # no screen yet, or none with toasts: the next refresh shows them
        self.call_later(toasts.show, rack, self._notifications)

    def withdraw(self, toast: Notification) -> None:
        """Take a toast off the screen before its time (one already gone is no matter)."""
        if toast in self._notifications:
            self._unnotify(toast)

    def on_mount(self) -> None:
        self.set_keymap(self._keymap_from_config)
        self.push_screen(InboxScreen())
        self.set_interval(CLOCK_SECONDS, self._tick_clock)
        self.set_interval(OUTBOX_POLL_SECONDS, self._poll_cache)
        self.outbox_changed()
        if self.service.has_server:
            self.action_sync()
            self.set_interval(self.service.config.ui.sync_interval_seconds, self._background_sync)
            if self.service.config.ui.idle:
                self._watch_inbox()

    async def action_quit(self) -> None:
        """Quit; first say what would be lost: a reply in its undo window, text being written."""
        from supportinbox.tui.screens.editor import UndoModal

        countdown = self.screen if isinstance(self.screen, UndoModal) else None
        if countdown is not None:
            self._ask_quit_in_countdown(countdown)
            return
        lost = next(
            (
                said
                for screen in reversed(self.screen_stack)
                if isinstance(screen, HoldsTyping) and (said := screen.unsaved_text())
            ),
            "",
        )
        if not lost:
            self.exit()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()

        self.push_screen(
            ConfirmModal("Quit and lose what you wrote?", f"{lost} Cancel goes back to it.", yes="Quit"),
            answered,
        )

    def _ask_quit_in_countdown(self, countdown: UndoModal) -> None:
        countdown.pause()

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()
            else:
                countdown.resume()

        whom = one_line(countdown.recipient, limit=80)
        if lost := self.service.sender.lost_on_quit:
            question = "Quit before the reply is saved?"
            fate = (
                f"The reply to {whom} is lost: {lost}. "
                "Cancel goes back to its countdown (Enter there saves it now, u undoes it)."
            )
        else:
            question = "Quit while a reply waits to be sent?"
            if countdown.held_for:
                then = f"waits there while {one_line(countdown.held_for, limit=40)} holds the conversation"
            else:
                then = "the next sync sends it: when supportinbox opens again, or at a `supportinbox sync`"
            fate = (
                f"The reply to {whom} stays in the outbox, and {then}. "
                "Cancel goes back to its countdown (u there undoes it)."
            )
        self.push_screen(ConfirmModal(question, fate, yes="Quit"), answered)

    def on_unmount(self) -> None:
        self._stopping.set()
        self.service.close()

    # -- sync -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="clock", description="Waking snoozes")
    def _tick_clock(self) -> ClockTick:
        return ClockTick(self.service.tick_clock())

    def _background_sync(self) -> None:
        if not self.sync_status.syncing:
            self.action_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="idle", description="Waiting for new mail")
    def _watch_inbox(self) -> None:
        """Hold the push connection: sync when the server reports a change, show offline/online.

        The watcher reconnects by itself after any disconnect; nothing it meets is shown as
        an error (the timer keeps syncing, and the sync reports errors).
        """
        self.service.watch(
            changed=lambda _changes: self.post_message(MailboxChanged()),
            offline=lambda reason: self.post_message(ServerReachable(reason)),
            online=lambda: self.post_message(ServerReachable("")),
        )

    @on(MailboxChanged)
    def _mailbox_changed(self) -> None:
        if self.sync_status.syncing:
            self._sync_again = True  # the running sync may have passed that folder already
        else:
            self.action_sync()

    @on(ServerReachable)
    def _server_reachable(self, message: ServerReachable) -> None:
        was_offline = bool(self.sync_status.offline)
        self.sync_status = self.sync_status.update(offline=message.offline)
        if was_offline and not message.offline:
            self._retry_failed_now()
            self._mailbox_changed()  # catch up on what happened while offline

    @work(thread=True, exclusive=True, exit_on_error=False, group="outage", description="Retrying replies")
    def _retry_failed_now(self) -> int:
        """Replies that failed while the server was away go now, not at their retry time (the
        cache poll sees them due and schedules the retry)."""
        return self.service.retry_failed_now()

    def action_sync_asked(self) -> None:
        """The user asked for a sync: if it cannot reach the server, they are told why in full
        (the status bar has room for the start of the reason only)."""
        self._sync_by_user = True
        self.action_sync()

    def action_sync(self) -> None:
        """Fetch new mail now (with no server behind the cache, say that nothing is fetched)."""
        if not self.service.has_server:
            name = self.service.label or "this mailbox"
            self.notify(f"{name[:1].upper()}{name[1:]}: there is no server to sync with.", title="Sync")
            return
        self.sync_status = self.sync_status.update(syncing=True, progress="connecting")
        self._run_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync", description="Syncing mail")
    def _run_sync(self) -> SyncOutcome:
        def progress(text: str) -> None:
            self.post_message(SyncProgress(text))

        return self.service.sync(progress)

    @on(SyncProgress)
    def _sync_progress(self, message: SyncProgress) -> None:
        self.sync_status = self.sync_status.update(progress=message.text)

    def _sync_finished(self, outcome: SyncOutcome) -> None:
        self._sync_by_user = False
        if self.sync_status.offline:
            self._retry_failed_now()  # back online (without push, only a sync says so)
        self.notice_new_cache()  # the sync wrote to the path's file: read that one
        self.sync_status = self.sync_status.update(
            syncing=False,
            progress="",
            offline="",
            last_sync=outcome.synced_at,
        )
        self.outbox_changed()
        if outcome.skipped and outcome.skipped != self._skipped:
            # Said once per change, not at every sync: every sync tries them again.
            self.notify("\n".join(outcome.skipped), title="Messages left on the server", severity="warning")
        self._skipped = outcome.skipped
        if outcome.cleared:
            self.notify(outcome.cleared, title="Cache", markup=False, timeout=15)
        self.refresh_views()
        if outcome.team:
            said = list(outcome.team[:TEAM_LINES])
            if len(outcome.team) > TEAM_LINES:
                said.append(f"and {len(outcome.team) - TEAM_LINES} more: supportinbox team status")
            self.notify("\n".join(said), title="Teammates", timeout=20)
        self._warn_replies_being_written(outcome)
        if outcome.notice and outcome.notice_warns:
            self.notify(outcome.notice, title="Outbox", markup=False, severity="warning", timeout=30)
        elif outcome.notice:
            self.notify(outcome.notice, title="Outbox", markup=False)
        self._sync_if_asked()

    def _warn_replies_being_written(self, outcome: SyncOutcome) -> None:
        """Say what a teammate did (a claim, a close, a note) to a conversation one is writing a reply to."""
        from supportinbox.tui.screens.editor import ReplyEditorScreen
        from supportinbox.tui.screens.reply import TemplatePickerScreen

        writing = {s.draft.conversation_id for s in self.screen_stack if isinstance(s, ReplyEditorScreen)}
        writing |= {s.conversation_id for s in self.screen_stack if isinstance(s, TemplatePickerScreen)}
        said = [text for cid, text in outcome.teammates if cid in writing and text not in outcome.team]
        if said:
            said = said[:TEAM_LINES]
            said.append(
                "Your reply is checked again when you send it: if they hold, closed or answered "
                "the conversation, it waits in the outbox until you send it anyway."
            )
            # Kept to be taken off when the send they warn of ends in a modal saying the same.
            self._while_writing.append(
                self.toast("\n".join(said), title="While you write", severity="warning", timeout=20)
            )

    def _sync_if_asked(self) -> None:
        if self._sync_again and not self.sync_status.syncing:
            self._sync_again = False
            self.action_sync()

    def refresh_views(self, skip: object = None) -> None:
        """Tell every screen on the stack (but ``skip``) that the cache changed."""
        for screen in self.screen_stack:
            if screen is not skip:
                screen.post_message(CacheChanged())

    def read_state_changed(self, skip: object = None) -> None:
        """Mail was marked read or unread: re-read the other screens, send it soon."""
        self.refresh_views(skip)
        self.schedule_push()

    def schedule_push(self) -> None:
        """Send queued flag changes shortly (a burst of them, e.g. J J J, goes in one connection)."""
        if self.service.has_server:
            self._push_changes()

    @work(thread=True, exclusive=True, exit_on_error=False, group="push", description="Sending read state")
    def _push_changes(self) -> bool:
        worker = get_current_worker()
        if self._stopping.wait(PUSH_DELAY_SECONDS) or worker.is_cancelled:
            return False
        return self.service.push_changes()

    def send_reply(
        self, outbox_id: int, *, replaces: int | None = None, anyway: bool = False, warned: bool = False
    ) -> None:
        """Send a queued reply in the background (its undo window is over); ``replaces``: the
        outbox reply it is an edited copy of, dropped first. ``anyway``: over a teammate's
        claim; ``warned``: the user was told a teammate holds it, so held it is said quietly."""
        if warned:
            self._warned_held.add(outbox_id)
        self._deliver(outbox_id, replaces, anyway)

    @work(thread=True, exit_on_error=False, group="send", description="Sending a reply")
    def _deliver(self, outbox_id: int, replaces: int | None = None, anyway: bool = False) -> SendResult:
        if replaces is not None:
            self.service.replace(replaces, outbox_id)
        if anyway:
            return self.service.send_anyway(outbox_id)
        return self.service.deliver(outbox_id)

    # -- the outbox ---------------------------------------------------------------------------

    def _poll_cache(self) -> None:
        self.notice_new_cache()
        self.outbox_changed()

    def notice_new_cache(self) -> bool:
        """Read the new cache a ``cache rebuild`` run elsewhere swapped in; say so once.

        Until then every screen would show the old cache, deleted, while writes (a sync, a
        status set) go to the new one. True if a new cache was found.
        """
        if not self.service.reopen_if_replaced():
            return False
        self.sync_status = self.sync_status.update(last_sync=self.service.last_sync())
        self.notify(
            "The cache was rebuilt by 'supportinbox cache rebuild': showing the new one.",
            title="Cache",
        )
        self.outbox_changed()
        self.refresh_views()
        return True

    def outbox_changed(self) -> None:
        """Re-read the outbox: the status bar's count, an open Outbox screen, the next retry.

        Called after every send, cancel or failure here, and on a timer for changes made by
        another process (``supportinbox outbox retry``, a cron sync).
        """
        count = self.service.outbox_count()
        if count != self.sync_status.outbox:
            self.sync_status = self.sync_status.update(outbox=count)
        self._schedule_retry(self.service.next_retry())
        from supportinbox.tui.screens.outbox import OutboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, OutboxScreen):
                screen.refresh_from_cache()

    def _schedule_retry(self, when: datetime | None) -> None:
        """Try failed replies again at ``when`` (the earliest retry time in the outbox)."""
        if when == self._retry_at or not self.service.sender.retries:
            return
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self._retry_at = when
        if when is not None:
            # A second late: the retry time has surely passed when the timer fires.
            delay = max((when - datetime.now(UTC)).total_seconds(), 0.0) + 1.0
            self._retry_timer = self.set_timer(delay, self._retry_due)

    def _retry_due(self) -> None:
        # _retry_at stays set: the same retry time is not scheduled twice, and a try that
        # fails gets a new time from the outbox, which schedules the next one.
        self._retry_timer = None
        if self.sync_status.syncing:
            self._retry_timer = self.set_timer(5.0, self._retry_due)
            return
        if self.service.scheduled_due():
            # Fetch first: a scheduled reply the customer overtook must not leave.
            self.action_sync()
            return
        self._send_waiting()

    @work(thread=True, exclusive=True, exit_on_error=False, group="retry", description="Retrying replies")
    def _send_waiting(self) -> RetryRound:
        return self.service.send_waiting()

    def action_outbox(self) -> None:
        """Open the outbox (replies not sent yet)."""
        from supportinbox.tui.screens.outbox import OutboxScreen

        if not isinstance(self.screen, OutboxScreen):
            self.push_screen(OutboxScreen())

    def key_for(self, binding_id: str, default: str) -> str:
        """How the key of ``binding_id`` is shown, as remapped in ``[ui.keys]``."""
        keys = self._keymap_from_config.get(binding_id, default).split(",")[0].strip() or default
        return self.get_key_display(Binding(keys, ""))

    def send_finished(self, result: SendResult) -> None:
        """Say what became of a reply sent from a screen: a toast, or a modal when it did not go out."""
        self.outbox_changed()
        self.refresh_views()
        if result.sent:
            self.notify(one_line(result.message) or "Reply sent.", title="Reply")
            return
        warned = result.outbox_id in self._warned_held
        self._warned_held.discard(result.outbox_id)
        if result.status == SendStatus.HELD and warned:
            # The user chose the outbox knowing a teammate holds it: a word, not a question.
            self.notify(one_line(self.not_sent_text(result), limit=300), title="Held", severity="warning")
            return
        title = "Held" if result.status == SendStatus.HELD else "Not sent"
        # The warnings given while it was written are in the modal's reason now; left on
        # screen they would cover its keys (a narrow terminal) for their 20 s.
        for toast in self._while_writing:
            self.withdraw(toast)
        self._while_writing.clear()
        self.push_screen(ErrorModal(title, self.not_sent_text(result)))

    def not_sent_text(self, result: SendResult) -> str:
        """Why a reply did not go out and what happens to it now, naming this app's keys."""
        outbox = self.key_for("outbox", "O")
        reason = result.message.strip()
        for said in ("The reply was not sent:", "not sent:", "Not sent:"):
            reason = reason.removeprefix(said).strip()  # the reason may already say so: not twice
        reason = reason.rstrip(".") or "the reply did not go out"
        if result.status == SendStatus.HELD:
            return (
                f"Held back: {reason}. The reply stays in the outbox ({outbox}): there "
                f"{self.key_for('outbox_send_anyway', 'S')} sends it anyway and "
                f"{self.key_for('outbox_discard', 'd')} drops it."
            )
        if result.status == SendStatus.DRAFT:
            return (
                f"Not sent: {reason}. It waits in the outbox ({outbox}): there "
                f"{self.key_for('outbox_retry', 'r')} sends it as it is and "
                f"{self.key_for('outbox_discard', 'd')} drops it."
            )
        if result.status == SendStatus.FAILED and result.retry_at is not None:
            when = when_words(result.retry_at, self.service.now(), ahead=True)
            # Offline: the server's return sends it (_server_reachable), or the retry time first.
            then = (
                f"goes as soon as the server is back (tried again {when} meanwhile)"
                if self.sync_status.offline
                else f"is tried again {when}"
            )
            return f"Not sent: {reason}. It stays in the outbox ({outbox}) and {then}."
        if result.status == SendStatus.FAILED:
            return (
                f"Not sent: {reason}. It waits in the outbox ({outbox}) until you try it again or discard it."
            )
        return f"Not sent: {reason}. See the outbox ({outbox})."

    def _retried(self, round_: RetryRound) -> None:
        """A quiet word on each reply an automatic retry handled (no modal: nobody pressed a key)."""
        for result in round_.results:
            if result.sent:
                what = "The scheduled reply" if result.scheduled else "A reply that had failed"
                self.notify(f"{what} went out (#{result.outbox_id}).", title="Reply")
            elif result.status.kept or result.status == SendStatus.DRAFT:
                self.notify(
                    one_line(self.not_sent_text(result), limit=300),
                    title=safe.plain(f"Reply #{result.outbox_id}"),
                    severity="warning",
                )
        self.outbox_changed()
        self.refresh_views()

    # -- errors -----------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.SUCCESS and isinstance(worker.result, ClockTick):
            if worker.result.changed:
                self.refresh_views()
            else:
                for screen in self.screen_stack:
                    screen.post_message(ClockMoved())
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, SyncOutcome):
            self._sync_finished(worker.result)
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, SendResult):
            self.send_finished(worker.result)
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, RetryRound):
            self._retried(worker.result)
        elif event.state == WorkerState.ERROR:
            if worker.group in ("send", "retry"):
                self.outbox_changed()
            self.worker_failed(worker)

    def worker_failed(self, worker: Worker[object]) -> None:
        """The one place a failed worker is shown: a modal, or the offline mark for sync."""
        error = worker.error
        if worker.group == "sync":
            self.sync_status = self.sync_status.update(syncing=False, progress="")
            # What it cached before it failed is shown, and the queue settles (a conversation
            # that left a view during the sync is said only then).
            self.refresh_views()
            asked, self._sync_by_user = self._sync_by_user, False
            if isinstance(error, SyncBusy) and not asked:
                # A cron sync or a 'cache rebuild' holds the account: what it brings is read
                # when it ends (the cache poll, the next sync); no modal takes the keys.
                return
            if isinstance(error, ConnectionFailed):
                self.sync_status = self.sync_status.update(offline=error.message)
                if asked:
                    self.notify(error.message, title="Still offline", severity="warning", timeout=15)
                return
            if isinstance(error, (AuthenticationFailed, CredentialsError)):
                # Every background sync meets a refused login again: the modal says it once
                # (and when a sync is asked for), then the status bar keeps saying it, so no
                # modal takes the keys of a reply being typed every few minutes.
                said = self.sync_status.offline == error.message
                self.sync_status = self.sync_status.update(offline=error.message)
                if said and not asked:
                    return
        self.show_error(error)

    def show_error(self, error: BaseException | None) -> None:
        """A readable modal for ``error``; internal errors say where the log is.

        A network error that no lower layer put in words is still a network event, never
        an internal error: it is shown as a lost connection (and logged).
        """
        if isinstance(error, UserError):
            self.push_screen(ErrorModal(error.title, error.message))
        elif isinstance(error, NETWORK_ERRORS):
            _log.warning("connection lost during an action: %r", error)
            reason = one_line(str(error), limit=120) or type(error).__name__
            self.push_screen(
                ErrorModal(
                    "Connection failed",
                    f"The connection to the mail server broke off ({reason}). "
                    "Nothing was lost: try again once the network is back.",
                )
            )
        else:
            from supportinbox import paths

            # Into the log file the modal names (Textual's own log reaches only its console).
            trace = (type(error), error, error.__traceback__) if error is not None else None
            _log.error("internal error: %r", error, exc_info=trace)
            self.push_screen(
                ErrorModal(
                    "Internal error",
                    f"{type(error).__name__}: something went wrong inside supportinbox. "
                    f"Details are in {paths.log_file()}.",
                )
            )

    # -- keys, help, palette, themes, accounts ---------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers every key binding of the current screen, then the system's."""
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            name = binding.description or binding.action
            if not binding.description or name in seen or not active.enabled:
                continue
            seen.add(name)
            help_text = f"{binding.tooltip or name} ({self.get_key_display(binding)})"
            del key
            # The palette reads both as markup; a remapped key may be "[" or "\\".
            yield SystemCommand(
                safe.escape_markup(name),
                safe.escape_markup(help_text),
                partial(self.run_action, binding.action, active.node),
            )
        yield from super().get_system_commands(screen)

    def action_switch_account(self) -> None:
        names = sorted(self.service.config.accounts)
        if self._service_factory is None or len(names) < 2:
            self.notify("Only one account is configured.", title="Accounts")
            return
        current = self.service.account_name
        accounts = self.service.config.accounts
        choices = [
            (name, f"{name} — {accounts[name].email}" + (" (open now)" if name == current else ""))
            for name in names
        ]
        # The cursor starts on the next account: with two, A then Enter goes to the other.
        following = names[(names.index(current) + 1) % len(names)] if current in names else None
        self.push_screen(ChooseModal("Switch to account", choices, highlight=following), self._switch_to)

    def _switch_to(self, name: str | None) -> None:
        if name is None or name == self.service.account_name or self._service_factory is None:
            return
        # After the chooser has closed: the screens of the old account are replaced as a whole.
        self.call_later(self._open_account, name)

    async def _open_account(self, name: str) -> None:
        assert self._service_factory is not None
        self.workers.cancel_group(self, "sync")
        self.workers.cancel_group(self, "idle")
        self.service.close()
        self.service = self._service_factory(name)
        self.sync_status = SyncStatus(
            account=name, last_sync=self.service.last_sync(), outbox=self.service.outbox_count()
        )
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(InboxScreen())
        self.action_sync()
        if self.service.config.ui.idle:
            self._watch_inbox()
