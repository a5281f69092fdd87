"""The demo's sender: a reply is saved as an ``.eml`` file and filed in the cached Sent folder.

It stands where :class:`supportinbox.app.sending.SmtpSender` stands for a real account
(the :class:`~supportinbox.app.sending.Sender` port), so the app sends in the demo
exactly as it does on an account, and nothing leaves the machine.
"""

from __future__ import annotations

from supportinbox import paths
from supportinbox.app.context import AccountHome
from supportinbox.app.sending import RetryRound, SendResult
from supportinbox.errors import SendRefused
from supportinbox.mail.outbox import EDITING_NOTE
from supportinbox.mail.parse import parse_message
from supportinbox.store import after_send, conversations
from supportinbox.store import outbox as outbox_store
from supportinbox.store.db import open_database
from supportinbox.store.messages import ensure_folder, max_uid, upsert_message


class DemoSender:
    """Replies go to :func:`paths.demo_outbox_dir` and the cached Sent folder; nothing fails."""

    retries = False  # nothing fails, so nothing waits for a retry
    lost_on_quit = "the demo starts afresh each time it opens"

    def __init__(self, home: AccountHome) -> None:
        self.home = home

    @property
    def note(self) -> str:
        return f"DEMO — replies are saved to {paths.demo_outbox_dir()}, nothing is sent"

    def retry(self, outbox_id: int) -> SendResult:
        """Nothing fails in the demo: a reply left in the outbox is simply saved now."""
        return self.deliver(outbox_id)

    def send_anyway(self, outbox_id: int) -> SendResult:
        return self.deliver(outbox_id)

    def send_waiting(self) -> RetryRound:
        return RetryRound([])

    def deliver(self, outbox_id: int) -> SendResult:
        """Write the reply to the demo outbox folder and file it in the cached Sent folder."""
        directory = paths.ensure_private_dir(paths.demo_outbox_dir())
        with open_database(self.home.db_path) as db:
            row = outbox_store.get(db.conn, outbox_id)
            if row is not None and row.status == outbox_store.OutboxStatus.EDITING:
                raise SendRefused(EDITING_NOTE)
            if row is None or row.status != outbox_store.OutboxStatus.QUEUED:
                raise SendRefused("the reply was cancelled or is no longer in the outbox")
            with db.transaction() as conn:
                # Taken first: opened in an editor (or discarded) since it was read, it stays.
                if not outbox_store.claim(conn, outbox_id, from_statuses=(outbox_store.OutboxStatus.QUEUED,)):
                    raise SendRefused("the reply is no longer waiting to be sent")
            moment = self.home.clock()
            target = directory / f"{moment:%Y%m%d-%H%M%S}-reply-{outbox_id}.eml"
            target.write_bytes(row.raw)
            target.chmod(0o600)
            with db.transaction() as conn:
                outbox_store.mark_smtp_done(conn, outbox_id, "demo: saved, not sent")
                sent = ensure_folder(conn, "Sent", "sent")
                upsert_message(
                    conn,
                    sent.id,
                    max_uid(conn, sent.id) + 1,
                    flags=("\\Seen",),
                    modseq=None,
                    internaldate=moment.isoformat(timespec="seconds"),
                    size=len(row.raw),
                    parsed=parse_message(row.raw),
                )
                outbox_store.mark_sent(conn, outbox_id, "demo: saved, not sent")
            conversations.refresh_conversations(db, self.home.config, self.home.account, now=moment)
            if row.after_status and row.conversation_id:
                conversations.set_status(
                    db, row.conversation_id, row.after_status, agent=self.home.account.agent, now=moment
                )
            if row.conversation_id:
                after_send.apply(db, row.id, row.conversation_id, agent=self.home.account.agent, now=moment)
        return SendResult(outbox_id, True, f"Demo: the reply was saved to {target}, nothing was sent.")
