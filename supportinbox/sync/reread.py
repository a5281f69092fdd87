"""Cached mail read again after the way it is read changed.

The cache keeps each message's text, not its HTML (the engine fetches the text part only).
When :func:`~supportinbox.mail.html.html_to_text` reads mail differently (hidden preheaders
dropped, tables kept as rows), mail cached before would show and score its old text until
a ``cache rebuild``. The number of the reading that read the cache
(:data:`~supportinbox.mail.reading.READING`) is kept in its meta; at a sync whose cache was
read by an older one, each cached folder's BODYSTRUCTUREs are fetched once (a small answer
per message), then the text part of each message whose text is HTML, which is read again.
Only a text that changed is written, so the queue rescores only those conversations.

When what a message shows besides its HTML is read differently (forwarded messages read
inline, calendar invitations, bounces, the reason a message has no text:
:data:`~supportinbox.mail.reading.MESSAGE_READING`), a cache made by an older reading reads
every cached message again, as the sync reads a new one (:mod:`supportinbox.sync.assemble`):
the cache keeps no raw message, so this costs what a first sync fetches — the header
block, the structure and the text sections of each message, never an attachment — once.
Only the message's own reading is written (its flags, and what the team and the user
changed, stay); a row that reads the same is not written, so the queue rescores only the
conversations that changed. Each batch is one transaction and the mark is set only when
every folder was read: a sync stopped half-way (a crash, the network) reads it all again
at the next, writing only what still differs.

A folder that is gone or was renumbered (its UIDVALIDITY changed) is left to its sync,
which fetches it anew. Done once per cache: a server that breaks on it is logged, not
asked again at every sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from supportinbox.domain.message import to_row
from supportinbox.mail.fetcher import Fetcher
from supportinbox.mail.parse import MAX_TEXT, limit_text
from supportinbox.mail.reading import MESSAGE_META, MESSAGE_READING, META, READING
from supportinbox.store import messages as store
from supportinbox.store.db import Database
from supportinbox.sync.assemble import FIRST_PASS, parsed_message, request_texts, text_of
from supportinbox.sync.structure import TextPart, parse_structure

log = logging.getLogger(__name__)

BATCH = 500  # messages per FETCH of structures (and of their HTML texts)
STEP = "reading cached mail again"  # what progress shows meanwhile


def stale(db: Database) -> bool:
    """Whether the cache holds mail an older reading read (its HTML, or whole messages)."""
    return db.get_meta(META) != str(READING) or _whole_stale(db)


def _whole_stale(db: Database) -> bool:
    return db.get_meta(MESSAGE_META) != str(MESSAGE_READING)


def reread(imap: IMAPClient, db: Database, reconnect: Callable[[], IMAPClient]) -> tuple[IMAPClient, int]:
    """Read the cached mail again if an older reading read it: every message when the
    reading of whole messages changed, else the HTML ones. The connection to go on with (a
    new one after a broken answer: ``reconnect``) and how many messages changed."""
    whole = _whole_stale(db)
    changed = 0
    if db.conn.execute("SELECT EXISTS(SELECT 1 FROM messages)").fetchone()[0]:
        folders = db.conn.execute("SELECT id, name, uidvalidity FROM folders ORDER BY id").fetchall()
        for folder_id, name, uidvalidity in folders:
            try:
                changed += _folder(imap, db, int(folder_id), str(name), uidvalidity, whole=whole)
            except imap_errors.IMAPClientError as exc:
                # Not the network (that stops the sync, and the next one tries again): an
                # answer that breaks. The folder keeps its reading; the connection is new.
                log.warning("%s: cached mail not read again: %s", name, exc)
                imap = reconnect()
    with db.transaction():
        db.set_meta(META, str(READING))
        db.set_meta(MESSAGE_META, str(MESSAGE_READING))
    if changed:
        log.info("%d cached messages read again", changed)
    return imap, changed


def _folder(
    imap: IMAPClient, db: Database, folder_id: int, name: str, uidvalidity: int | None, *, whole: bool
) -> int:
    uids = sorted(store.cached_uids(db.conn, folder_id))
    if not uids:
        return 0
    try:
        info = imap.select_folder(name, readonly=True)
    except imap_errors.IMAPClientError:
        return 0  # gone or not selectable: its sync says so
    if uidvalidity is None or int(info[b"UIDVALIDITY"]) != uidvalidity:
        return 0  # renumbered: its sync fetches it anew
    if whole:
        return _whole_messages(imap, db, folder_id, uids)
    changed = 0
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        fetcher = Fetcher(imap)
        fetcher.wait(fetcher.send(batch, ["BODYSTRUCTURE"]))
        texts: dict[int, TextPart] = {}
        groups: dict[str, list[int]] = {}
        for uid, data in fetcher.take(batch).items():
            text = parse_structure(data.get(b"BODYSTRUCTURE")).text
            if text is not None and text.html:
                texts[uid] = text
                groups.setdefault(f"{text.section}]<0.{MAX_TEXT}>", []).append(uid)
        for tag in [fetcher.send(group, [f"BODY.PEEK[{item}"]) for item, group in groups.items()]:
            fetcher.wait(tag)
        answers = fetcher.take(texts)
        rows = []
        for uid, text in texts.items():
            data = answers.get(uid, {})
            if not isinstance(data.get(f"BODY[{text.section}]<0>".encode()), bytes):
                continue
            body_text, truncated = limit_text(*text_of(data, text))
            rows.append((body_text, int(truncated), folder_id, uid, body_text))
        with db.transaction() as conn:
            for row in rows:
                changed += conn.execute(
                    "UPDATE messages SET body_text = ?, body_truncated = ? "
                    "WHERE folder_id = ? AND uid = ? AND body_text IS NOT ?",
                    row,
                ).rowcount
    return changed


def _whole_messages(imap: IMAPClient, db: Database, folder_id: int, uids: list[int]) -> int:
    """Read each cached message of the folder again as a sync reads a new one."""
    changed = 0
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        fetcher = Fetcher(imap)
        fetcher.wait(fetcher.send(batch, FIRST_PASS))
        for tag in request_texts(fetcher, fetcher.get(batch)):
            fetcher.wait(tag)
        rows = []
        for uid, data in fetcher.take(batch).items():
            parsed = parsed_message(data)
            if parsed is not None:
                rows.append((uid, to_row(parsed)))
        with db.transaction() as conn:
            for uid, row in rows:
                columns = list(row)
                assigned = ", ".join(f"{c} = ?" for c in columns)
                same = " AND ".join(f"{c} IS ?" for c in columns)
                values = list(row.values())
                changed += conn.execute(
                    f"UPDATE messages SET {assigned} WHERE folder_id = ? AND uid = ? AND NOT ({same})",
                    [*values, folder_id, uid, *values],
                ).rowcount
    return changed
