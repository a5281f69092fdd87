"""From a conversation and a template to a reply in the outbox (shared by the CLI and TUI).

:func:`prepare_draft` finds the customer's last message in the cache and renders the
template; the caller may let the agent edit the body; :func:`draft_message` builds the
e-mail; :func:`queue_draft` writes it to the outbox with the undo delay. Sending is
:func:`supportinbox.mail.outbox.send_due`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses
from pathlib import Path

from supportinbox.config import AccountConfig, Config
from supportinbox.domain import automated, replies, templates
from supportinbox.domain.conversation import ConversationDetail, MessageView
from supportinbox.domain.customer import own_addresses
from supportinbox.domain.message import AGENT_HEADER
from supportinbox.domain.safetext import one_line
from supportinbox.domain.when import when_words
from supportinbox.errors import Held, NotFound, UserError
from supportinbox.mail import signatures
from supportinbox.mail.outbox import queue_reply, waiting_state
from supportinbox.mail.parse import decode_header_value
from supportinbox.store import acknowledgements, after_send, scheduled
from supportinbox.store import outbox as outbox_store
from supportinbox.store.conversations import get_conversation
from supportinbox.store.db import Database
from supportinbox.store.outbox import OutboxStatus


@dataclass(frozen=True)
class Draft:
    """A rendered reply, not yet queued."""

    conversation_id: str
    original: replies.Original
    reply_to_uid: int
    reply_to_folder: str
    template: templates.Template
    body: str
    reply_all: bool
    to: str = ""  # who the reply goes to, as the To header will read ("Name <address>, ...")
    # No customer mail is left in the conversation: the reply follows up our own earlier one
    # (threaded under it, and nothing is flagged answered).
    follows_up: bool = False
    # The message answered is automated (an out-of-office, a notification): its kind and why
    # ("auto-reply, X-Autoreply"); "" for a person's message.
    answers_automated: str = ""


def customer_message(
    db: Database, account: AccountConfig, conversation_id: str, now: datetime | None = None
) -> tuple[str, MessageView]:
    """(full conversation id, the latest message in it from the conversation's customer).

    Only the conversation's own customer is answered: a message someone else added to the
    thread (a colleague in Cc, another person through the same contact form) is not. With
    no mail of the customer left (another client deleted or moved it), it is our latest
    reply to them (:func:`follows_up`), never a bounce or an auto-reply.
    """
    detail, message = _answered(db, account, conversation_id, now)
    return detail.summary.id, message


def _answered(
    db: Database, account: AccountConfig, conversation_id: str, now: datetime | None
) -> tuple[ConversationDetail, MessageView]:
    detail = get_conversation(db, conversation_id, now)
    theirs = [m for m in detail.messages if not m.from_us]
    wanted = detail.summary.customer_email.lower()
    own = own_addresses(account)
    of_customer = [m for m in theirs if original_from(m).customer(own).email == wanted]
    if not of_customer and wanted:
        of_customer = [m for m in detail.messages if follows_up(m, wanted)]
    theirs = of_customer or theirs
    # What a person wrote comes first: an out-of-office that answered our reply is no message
    # to answer (its subject, text and Message-ID would lead the reply).
    theirs = [m for m in theirs if not m.automated] or theirs
    if not theirs:
        raise NotFound(f"conversation {detail.summary.id} has no message from a customer to reply to")
    # Dates have one-second precision; among equal dates the higher UID arrived later.
    return detail, max(theirs, key=lambda m: (m.date or "", m.uid))


def follows_up(message: MessageView, customer: str) -> bool:
    """Whether ``message`` is a reply of ours (not an automatic one) that went to ``customer``."""
    return (
        message.from_us
        and not message.automated
        and customer in (a.lower() for a in (*message.to, *message.cc))
    )


def original_from(message: MessageView, names: Mapping[str, str] | None = None) -> replies.Original:
    """The cached message as the reply builder sees it (``names``: see :func:`recipient_names`)."""
    return replies.Original(
        from_name=message.from_name,
        from_addr=message.from_addr,
        subject=message.subject,
        message_id=message.message_id,
        references=list(message.refs),
        reply_to=message.reply_to.split(),
        reply_to_name=message.reply_to_name,
        to_addrs=list(message.to),
        cc_addrs=list(message.cc),
        body_text=message.body_text,
        names=names or {},
    )


def recipient_names(db: Database, message: MessageView) -> dict[str, str]:
    """The display names of the message's To and Cc addresses, by lower-cased address, read
    from its stored headers (the cache keeps the addresses alone)."""
    row = db.conn.execute("SELECT raw_headers FROM messages WHERE id = ?", (message.rowid,)).fetchone()
    headers = HeaderParser(policy=compat32).parsestr(str(row[0]) if row else "", headersonly=True)
    values = [decode_header_value(v) for name in ("To", "Cc") for v in headers.get_all(name) or []]
    return {addr.lower(): name for name, addr in getaddresses(values) if name and addr}


def _followed_up(message: MessageView, customer: str, name: str) -> replies.Original:
    """Our earlier reply to ``customer`` as the reply builder sees it: as if the customer had
    sent it (the reply goes to them, threaded under ours), with nothing of ours quoted.
    ``name``: the conversation's, which the refresh takes from our reply's To."""
    return replies.Original(
        from_name=name,
        from_addr=customer,
        subject=message.subject,
        message_id=message.message_id,
        references=list(message.refs),
        cc_addrs=[a for a in (*message.to, *message.cc) if a.lower() != customer],
    )


def prepare_draft(
    db: Database,
    config: Config,
    account: AccountConfig,
    conversation_id: str,
    template_name: str | None,
    *,
    reply_all: bool | None = None,
    templates_dir: Path | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Draft:
    """Render ``template_name`` for the customer's latest message in the conversation.

    ``None``: a blank reply (:data:`templates.BLANK`), threaded the same way.
    """
    template = (
        templates.BLANK if template_name is None else templates.load_template(template_name, templates_dir)
    )
    detail, message = _answered(db, account, conversation_id, now)
    ident, customer = detail.summary.id, detail.summary.customer_email.lower()
    following = message.from_us
    original = (
        _followed_up(message, customer, detail.summary.customer_name)
        if following
        else original_from(message, recipient_names(db, message))
    )
    send_to_all = config.replies.reply_all if reply_all is None else reply_all
    # Built now, so a message that names nobody to answer is refused before any editing.
    sent_to = replies.addressees(original, account, reply_all=send_to_all)
    signature = signatures.signature_for(account)
    if template is templates.BLANK:
        body = ""
    else:
        values = replies.template_variables(
            original,
            account,
            ident,
            fallback_first_name=config.replies.first_name_fallback,
            today=today,
            signature=signature or "",
        )
        body = templates.render(template, values)
    if signature and account.auto_signature and not templates.places(template, "signature"):
        body = signatures.signed(body, signature)
    return Draft(
        to=sent_to.to,
        conversation_id=ident,
        original=original,
        reply_to_uid=message.uid,
        reply_to_folder=message.folder,
        template=template,
        body=body,
        reply_all=send_to_all,
        follows_up=following,
        answers_automated=""
        if following or not message.automated
        else ", ".join(x for x in (message.automated, message.automated_reason) if x),
    )


def mail_gone(db: Database, draft: Draft) -> str:
    """Why the reply answers no customer mail in the cache, said before it is sent ("" when it does).

    Another client may delete or move the customer's mail while the reply is written, or
    before: the reply still goes out (to whom our earlier reply went), but not unsaid.
    """
    # Short: the To line is shown beside it (the draft, the editor's head).
    if draft.follows_up:
        if not draft.original.references:
            return "the customer has not written in this conversation: the reply follows up ours"
        return (
            "the customer's mail is gone from the server (deleted, or moved out of the inbox): "
            "the reply follows up our earlier one"
        )
    found = db.conn.execute(
        "SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.name = ? AND (m.uid = ? OR m.message_id = ?) LIMIT 1",
        (draft.reply_to_folder, draft.reply_to_uid, draft.original.message_id),
    ).fetchone()
    if found is not None:
        return ""
    return (
        "the customer's mail this reply answers is gone from the server (deleted, or moved out "
        "of the inbox); the reply still goes to them"
    )


def wrote_again(db: Database, draft: Draft, now: datetime | None = None) -> str:
    """Said when the customer wrote again after the message the draft answers (while the
    reply was being written): what they wrote may change the answer ("" otherwise)."""
    try:
        messages = get_conversation(db, draft.conversation_id, now).messages
    except NotFound:
        return ""
    answered = draft.original.message_id
    base = next((m for m in messages if answered and m.message_id == answered), None)
    if base is None or not base.date:
        return ""  # the answered mail is gone: mail_gone says so
    latest = scheduled.wrote_since(messages, answered, base.date)
    if latest is None:
        return ""
    who = one_line(latest.from_name or latest.from_addr, limit=40) or "the customer"
    when = when_words(latest.date, now)
    said = one_line(latest.body_text, limit=80)
    return f"{who} wrote again {when}, after the message this answers" + (f": “{said}”" if said else "")


def bounced(db: Database, draft: Draft) -> str:
    """Said when our last reply to the draft's recipient bounced and they have not written
    since: this reply would most likely bounce too ("" otherwise)."""
    try:
        messages = get_conversation(db, draft.conversation_id).messages
    except NotFound:
        return ""
    to = {addr.lower() for _, addr in getaddresses([draft.to])}
    said = [
        automated.Said(
            ours=m.from_us,
            person=not m.automated,
            sender=m.from_addr.lower(),
            bounce=automated.Bounce(None, m.bounce_recipient.lower(), m.bounce_reason)
            if m.automated == automated.BOUNCE and m.bounce_recipient
            else None,
        )
        for m in messages
    ]
    found = automated.bounced_reply(said, to)
    if found is None:
        return ""
    bounce = messages[found]
    reason = one_line(bounce.bounce_reason, limit=120)
    return f"our last reply to {bounce.bounce_recipient} bounced ({reason}): this one may not arrive either"


def answers_a_machine(draft: Draft) -> str:
    """Said when the message the draft answers was sent by a machine, not written by a
    person (an out-of-office, a notification): nobody may read the reply ("" otherwise)."""
    if not draft.answers_automated:
        return ""
    return (
        f"the message this answers was sent by a machine ({draft.answers_automated}), not a person: "
        "nobody may read the reply"
    )


def warnings(db: Database, draft: Draft) -> list[str]:
    """What to say before the draft is sent: the customer's mail gone, a bounced address, a
    message no person wrote, another customer of the same name."""
    said = (
        mail_gone(db, draft),
        wrote_again(db, draft),
        bounced(db, draft),
        answers_a_machine(draft),
        same_name_elsewhere(db, draft),
    )
    return [w for w in said if w]


def same_name_elsewhere(db: Database, draft: Draft) -> str:
    """Said when another customer has the same full name as the one answered, from another
    address (the customer profile's hint): perhaps the same person, perhaps the one meant."""
    from supportinbox.store.customers import same_name_hint

    try:
        summary = get_conversation(db, draft.conversation_id).summary
    except NotFound:
        return ""
    return same_name_hint(db, summary.customer_name, summary.customer_email)


def with_body(draft: Draft, body: str) -> Draft:
    """The draft with an edited body; an empty body is refused."""
    if not signatures.without_signature(body).strip():
        raise UserError("the reply is empty: nothing was queued or sent")
    return replace(draft, body=body)


def addressees(draft: Draft, account: AccountConfig) -> replies.Addressees:
    """Where the draft's reply goes (To, Cc) and whether Reply-To sends it elsewhere than From."""
    return replies.addressees(draft.original, account, reply_all=draft.reply_all)


def draft_message(
    draft: Draft, config: Config, account: AccountConfig, *, now: datetime | None = None
) -> EmailMessage:
    """The reply e-mail for ``draft`` (a fresh Message-ID each call), dated ``now`` (default: the clock)."""
    return replies.build_reply(
        draft.original,
        account,
        draft.body,
        reply_all=draft.reply_all,
        subject_prefix=draft.template.subject_prefix,
        format_flowed=config.replies.format_flowed,
        now=now,
    )


def queue_draft(
    db: Database,
    draft: Draft,
    msg: EmailMessage,
    undo_seconds: float = 0.0,
    *,
    send_at: datetime | None = None,
    first_for: AccountConfig | None = None,
    beside_held: bool = True,
    replaces: int | None = None,
) -> int:
    """Put the reply in the outbox; it becomes due after ``undo_seconds``, or at ``send_at``
    (scheduled: kept as a draft instead if the customer writes first, see
    :mod:`supportinbox.store.scheduled`).

    With ``first_for`` (the account), only as the first reply since the customer last wrote:
    when one is filed in Sent or on its way (:func:`earlier_reply`), :class:`RepliedMeanwhile`
    is raised and nothing is queued. Without ``beside_held``, only while no other reply to
    the conversation since then is held for a teammate (``replaces``, the held reply this
    is an edited copy of, aside): else :class:`ReplyHeld`. A held reply does not go out by
    itself, so the first check passes it; a second one queued beside it was held too, and
    'send anyway' on both sent two. Checked as the reply is written, under the cache's
    write lock: the same command run twice at once (two cron jobs, a script started again)
    queues one reply, where a check before it, made by both, passed both.
    """
    guard = None
    if first_for is not None or not beside_held:
        account = first_for

        def guard() -> None:
            try:
                detail = get_conversation(db, draft.conversation_id)
            except NotFound:
                return  # gone from the mailbox meanwhile: queued all the same, held when sent
            held = None if beside_held else _held_reply(db, detail, besides=replaces)
            if held is not None:
                raise ReplyHeld(held)
            earlier = _earlier_reply(db, account, detail) if account is not None else None
            if earlier is not None:
                raise RepliedMeanwhile(earlier)

    not_before = datetime.now(UTC) + timedelta(seconds=undo_seconds) if undo_seconds > 0 else None
    outbox_id = queue_reply(
        db,
        msg,
        draft.conversation_id,
        draft.reply_to_uid,
        None if draft.follows_up else draft.reply_to_folder,  # our own mail is not flagged answered
        draft.template.name or None,
        draft.template.status,
        not_before,
        send_at=send_at,
        guard=guard,
    )
    after_send.remember(db, outbox_id, draft.template)
    return outbox_id


@dataclass(frozen=True)
class EarlierReply:
    """A reply of ours to the conversation since the customer last wrote.

    ``outbox_state`` is set for one that has not gone out yet (it waits in the outbox).
    """

    when: str | None
    who: str
    outbox_id: int | None = None
    outbox_state: str | None = None

    def describe(self) -> str:
        """``alice replied today 10:02`` (as :func:`~supportinbox.domain.when.when_words` says a
        moment), or ``reply #3 by alice is still in the outbox (...)``."""
        if self.outbox_state is not None:
            return f"reply #{self.outbox_id} by {self.who} is still in the outbox ({self.outbox_state})"
        return f"{self.who} replied {when_words(self.when) or 'earlier'}"


class RepliedMeanwhile(UserError):
    """A reply of ours to the customer was filed or queued while this one was being prepared
    (another process, the same command run twice at once): this one was not queued."""

    def __init__(self, earlier: EarlierReply) -> None:
        super().__init__(f"not sent: {earlier.describe()}, and the customer has not written since")
        self.earlier = earlier


class ReplyHeld(Held):
    """A reply of ours to the conversation since the customer last wrote is held in the
    outbox for a teammate: another was not queued beside it. ``row`` is the held reply; the
    CLI and the app each say how to send, edit or drop it (``advice``) in their own terms."""

    def __init__(self, row: outbox_store.OutboxRow, *, advice: str = "") -> None:
        reason = one_line(row.reason, limit=200)
        said = f"held: {reason}" if reason else waiting_state(row)  # "held: bob claimed conversation …"
        message = f"not queued: reply #{row.id} to this conversation is already in the outbox ({said})"
        super().__init__(f"{message}; {advice}" if advice else message, by=row.held_by or "", reason=reason)
        self.row = row


def earlier_reply(db: Database, account: AccountConfig, conversation_id: str) -> EarlierReply | None:
    """Our latest reply to the conversation after the customer's latest message, if any:
    filed in Sent, or on its way (in the outbox and sent without the user acting again).
    None when the customer wrote last. A held reply, or one that waits for the user after a
    permanent failure, does not count: it reaches the customer only if the user decides so."""
    return _earlier_reply(db, account, get_conversation(db, conversation_id))


def _earlier_reply(db: Database, account: AccountConfig, detail: ConversationDetail) -> EarlierReply | None:
    # An auto-reply (out of office) to our answer is not the customer writing again.
    theirs = [m.date or "" for m in detail.messages if not m.from_us and not m.automated]
    since = max(theirs, default="")
    found: list[EarlierReply] = []
    for message in detail.messages:
        # Our automatic acknowledgement (Auto-Submitted) is no reply to ask about.
        if message.from_us and not message.automated and (message.date or "") >= since:
            found.append(EarlierReply(message.date, _writer(db, message)))
    cached = {m.message_id for m in detail.messages if m.message_id}
    on_its_way = (
        OutboxStatus.QUEUED,
        OutboxStatus.EDITING,  # a scheduled reply open in an editor: still on its way
        OutboxStatus.SENDING,
        OutboxStatus.FAILED,
        OutboxStatus.SENT,
    )
    automatic = acknowledgements.outbox_ids(db.conn)
    for row in outbox_store.list_rows(db.conn, on_its_way):
        if row.conversation_id != detail.id or row.message_id in cached or row.created_at < since:
            continue
        if row.id in automatic:
            continue
        if row.status == OutboxStatus.FAILED and not row.next_attempt_at:
            continue  # waits for the user, like a held one: not on its way to the customer
        if row.status == OutboxStatus.SENT:
            found.append(EarlierReply(row.sent_at or row.created_at, account.agent))
        else:
            state = waiting_state(row)
            found.append(EarlierReply(row.created_at, account.agent, row.id, state))
    return max(found, key=lambda r: r.when or "") if found else None


def awaiting_answer(db: Database, account: AccountConfig, conversation_ids: Iterable[str]) -> list[str]:
    """Of these conversations (an incident's), the open ones whose customer still waits for
    us: nothing of ours sent or on its way since they last wrote (:func:`earlier_reply`),
    and no reply of ours kept in the outbox for the user to decide on (:func:`kept_reply`).
    Answering an incident twice would otherwise send each customer a second reply, or put
    a second one beside the first held for a teammate."""
    found = []
    for ident in conversation_ids:
        detail = get_conversation(db, ident)  # read once for every question
        if (
            detail.summary.status == "open"
            and _earlier_reply(db, account, detail) is None
            and _kept_reply(db, detail) is None
        ):
            found.append(ident)
    return found


def kept_reply(db: Database, conversation_id: str) -> int | None:
    """Our reply to the conversation since the customer last wrote that the outbox keeps for
    the user (held for a teammate, a draft, a failure no retry will mend): its outbox id."""
    return _kept_reply(db, get_conversation(db, conversation_id))


def held_reply(
    db: Database, conversation_id: str, *, besides: int | None = None
) -> outbox_store.OutboxRow | None:
    """Our reply to the conversation since the customer last wrote that is held in the
    outbox for a teammate (the first one, if several; ``besides`` left out)."""
    return _held_reply(db, get_conversation(db, conversation_id), besides=besides)


def _held_reply(
    db: Database, detail: ConversationDetail, besides: int | None = None
) -> outbox_store.OutboxRow | None:
    theirs = [m.date or "" for m in detail.messages if not m.from_us and not m.automated]
    since = max(theirs, default="")
    for row in outbox_store.list_rows(db.conn, (OutboxStatus.HELD,)):
        if row.conversation_id == detail.id and row.created_at >= since and row.id != besides:
            return row
    return None


def _kept_reply(db: Database, detail: ConversationDetail) -> int | None:
    theirs = [m.date or "" for m in detail.messages if not m.from_us and not m.automated]
    since = max(theirs, default="")
    kept = (OutboxStatus.HELD, OutboxStatus.DRAFT, OutboxStatus.FAILED)
    for row in outbox_store.list_rows(db.conn, kept):
        if row.conversation_id != detail.id or row.created_at < since:
            continue
        if row.status == OutboxStatus.FAILED and row.next_attempt_at:
            continue  # on its way: a retry sends it (earlier_reply counts it)
        return row.id
    return None


def _writer(db: Database, message: MessageView) -> str:
    """Who wrote one of our replies: its agent header, else its sender."""
    row = db.conn.execute("SELECT raw_headers FROM messages WHERE id = ?", (message.rowid,)).fetchone()
    headers = HeaderParser(policy=compat32).parsestr(str(row[0]) if row else "", headersonly=True)
    agent = one_line(decode_header_value(headers.get(AGENT_HEADER)), limit=64)
    return agent or one_line(message.from_name or message.from_addr, limit=64) or "someone"
