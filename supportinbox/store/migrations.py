"""Numbered schema migrations.

``PRAGMA user_version`` holds the number of the last migration applied. A migration is
never edited once released: schema changes are new numbers, tested from an old database
forward (tests/store/test_migrations.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per synced IMAP folder. role: inbox | junk | sent | notes | state
CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    uidvalidity   INTEGER,
    uidnext       INTEGER,
    highestmodseq INTEGER,
    last_sync     TEXT
);

-- One row per message in a synced folder. Addresses are lower-cased addr-specs;
-- list columns (to/cc/references/flags) are space-separated; times are ISO 8601 UTC.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    folder_id       INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid             INTEGER NOT NULL,
    modseq          INTEGER,
    message_id      TEXT,
    in_reply_to     TEXT,
    refs            TEXT NOT NULL DEFAULT '',
    from_name       TEXT NOT NULL DEFAULT '',
    from_addr       TEXT NOT NULL DEFAULT '',
    reply_to        TEXT NOT NULL DEFAULT '',
    to_addrs        TEXT NOT NULL DEFAULT '',
    cc_addrs        TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    date            TEXT,
    internaldate    TEXT,
    flags           TEXT NOT NULL DEFAULT '',
    size            INTEGER NOT NULL DEFAULT 0,
    body_text       TEXT NOT NULL DEFAULT '',
    body_truncated  INTEGER NOT NULL DEFAULT 0,
    has_attachments INTEGER NOT NULL DEFAULT 0,
    attachments     TEXT NOT NULL DEFAULT '[]',
    auth_results    TEXT NOT NULL DEFAULT '',
    spam_headers    TEXT NOT NULL DEFAULT '{}',
    priority        INTEGER,
    list_headers    INTEGER NOT NULL DEFAULT 0,
    raw_headers     TEXT NOT NULL DEFAULT '',
    parse_error     TEXT,
    conversation_id TEXT,
    UNIQUE (folder_id, uid)
);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_conversation ON messages(conversation_id, date);
CREATE INDEX messages_from ON messages(from_addr);

-- Full-text index over subject, sender and body, kept in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, from_name, from_addr, body_text,
    content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, subject, from_name, from_addr, body_text)
    VALUES (new.id, new.subject, new.from_name, new.from_addr, new.body_text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, subject, from_name, from_addr, body_text)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_addr, old.body_text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, from_name, from_addr, body_text
ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, subject, from_name, from_addr, body_text)
    VALUES ('delete', old.id, old.subject, old.from_name, old.from_addr, old.body_text);
    INSERT INTO messages_fts(rowid, subject, from_name, from_addr, body_text)
    VALUES (new.id, new.subject, new.from_name, new.from_addr, new.body_text);
END;

-- The triage queue: one row per conversation, recomputed from messages after a sync.
CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    subject          TEXT NOT NULL DEFAULT '',
    customer_email   TEXT NOT NULL DEFAULT '',
    customer_name    TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'open',
    derived_status   TEXT NOT NULL DEFAULT 'open',
    snoozed_until    TEXT,
    assigned_to      TEXT,
    first_message_at TEXT,
    last_message_at  TEXT,
    last_customer_at TEXT,
    last_agent_at    TEXT,
    waiting_since    TEXT,
    message_count    INTEGER NOT NULL DEFAULT 0,
    unread_count     INTEGER NOT NULL DEFAULT 0,
    followups        INTEGER NOT NULL DEFAULT 0,
    urgency          INTEGER NOT NULL DEFAULT 0,
    band             INTEGER NOT NULL DEFAULT 0,
    reasons          TEXT NOT NULL DEFAULT '[]',
    incident_id      TEXT,
    sort_key         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conversations_queue ON conversations(status, band DESC, sort_key DESC);
CREATE INDEX conversations_customer ON conversations(customer_email);

-- Manual state (status, snooze, claim, assignment): the one place that travels to
-- teammates through the server. Last writer wins by (modseq, updated_at).
CREATE TABLE conversation_state (
    conversation_id TEXT PRIMARY KEY,
    status          TEXT,
    snoozed_until   TEXT,
    assigned_to     TEXT,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL DEFAULT '',
    modseq          INTEGER
);

-- Server changes made while offline or waiting for the next connection.
CREATE TABLE pending_ops (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);

-- Replies: written here before the first SMTP byte. status: queued | sending | sent |
-- failed | cancelled. message_id is the idempotency key.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    conversation_id TEXT,
    reply_to_uid    INTEGER,
    reply_to_folder TEXT,
    recipients      TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    raw             BLOB NOT NULL,
    template        TEXT,
    after_status    TEXT,
    status          TEXT NOT NULL DEFAULT 'queued',
    not_before      TEXT,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    smtp_done_at    TEXT,
    sent_at         TEXT,
    filed_in_sent   INTEGER NOT NULL DEFAULT 0,
    answered_set    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_status ON outbox(status);

-- Spam-folder check verdicts, recomputed for Junk messages after each sync.
CREATE TABLE junk_verdicts (
    message_rowid INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    score         INTEGER NOT NULL,
    suspect       INTEGER NOT NULL,
    reasons       TEXT NOT NULL DEFAULT '[]'
);

-- Internal notes, shared through a server folder.
CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    author          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    body            TEXT NOT NULL,
    message_id      TEXT UNIQUE,
    uid             INTEGER,
    uploaded        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notes_conversation ON notes(conversation_id);
""",
    3: """
-- Triage: the clock-independent part of the score is stored so the SLA guard and snooze
-- wake-ups can be applied with a few indexed UPDATEs instead of a full recompute.
ALTER TABLE conversations ADD COLUMN base_urgency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN base_band INTEGER NOT NULL DEFAULT 1;
ALTER TABLE conversations ADD COLUMN sla_warn_at TEXT;
ALTER TABLE conversations ADD COLUMN sla_due_at TEXT;
ALTER TABLE conversations ADD COLUMN sla_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN unanswered_since TEXT;
CREATE INDEX conversations_sla_warn ON conversations(status, sla_level, sla_warn_at);
CREATE INDEX conversations_sla_due ON conversations(status, sla_level, sla_due_at);
CREATE INDEX conversations_snooze ON conversations(status, snoozed_until);
CREATE INDEX conversations_all ON conversations(band DESC, sort_key DESC);
CREATE INDEX messages_in_reply_to ON messages(in_reply_to);

-- Any change to the messages that triage reads bumps this counter, so a reader can tell
-- whether conversations must be recomputed.
INSERT OR IGNORE INTO meta(key, value) VALUES ('triage_input_version', '0');
CREATE TRIGGER triage_input_insert AFTER INSERT ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
END;
CREATE TRIGGER triage_input_delete AFTER DELETE ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
END;
CREATE TRIGGER triage_input_update AFTER UPDATE OF
    folder_id, uid, message_id, in_reply_to, refs, from_addr, to_addrs, subject, date,
    internaldate, flags, body_text, priority
ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
END;
""",
    5: """
-- Team: the shared state last agreed with the server, per conversation. It is the base of
-- the three-way merge between local changes (conversation_state) and the server's keywords.
CREATE TABLE team_sync (
    conversation_id TEXT PRIMARY KEY,
    status          TEXT,
    snoozed_until   TEXT,
    assigned_to     TEXT,
    synced_at       TEXT NOT NULL
);

-- What teammates did and which conflicts were resolved how, newest last.
CREATE TABLE team_events (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT,
    kind            TEXT NOT NULL,
    agent           TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

-- Servers without custom keywords: the state folder's messages, one row per message.
CREATE TABLE team_state_log (
    uid             INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    base_uid        INTEGER NOT NULL DEFAULT 0,
    status          TEXT,
    snoozed_until   TEXT,
    assigned_to     TEXT,
    author          TEXT NOT NULL DEFAULT '',
    written_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX team_state_log_conversation ON team_state_log(conversation_id, uid);
""",
    6: """
-- The state folder also holds the team's agent registry (slot numbers for the bounded
-- keyword scheme) and, on servers with keywords, the details of each status change.
ALTER TABLE team_state_log ADD COLUMN kind TEXT NOT NULL DEFAULT 'state';
ALTER TABLE team_state_log ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
CREATE INDEX team_state_log_kind ON team_state_log(kind, conversation_id, uid);
""",
    7: """
-- Contact forms: the customer is the Reply-To person, named by the Reply-To name.
ALTER TABLE messages ADD COLUMN reply_to_name TEXT NOT NULL DEFAULT '';
-- Who the customer is now also reads the sender's name and the Reply-To.
DROP TRIGGER triage_input_update;
CREATE TRIGGER triage_input_update AFTER UPDATE OF
    folder_id, uid, message_id, in_reply_to, refs, from_name, from_addr, reply_to, reply_to_name,
    to_addrs, subject, date, internaldate, flags, body_text, priority
ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
END;
""",
    8: """
-- Automated mail (auto-replies, bounces, lists, bulk) and what a bounce reports.
ALTER TABLE messages ADD COLUMN automated TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN automated_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN bounce_of TEXT;
ALTER TABLE messages ADD COLUMN bounce_recipient TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN bounce_reason TEXT NOT NULL DEFAULT '';
DROP TRIGGER triage_input_update;
CREATE TRIGGER triage_input_update AFTER UPDATE OF
    folder_id, uid, message_id, in_reply_to, refs, from_name, from_addr, reply_to, reply_to_name,
    to_addrs, subject, date, internaldate, flags, body_text, priority, automated, bounce_of
ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
END;
""",
    9: """
-- Incidents as entities: they keep their id, title and members from one refresh to the
-- next (answered members stay) until closed by hand or quiet (see domain/incidents.py).
CREATE TABLE incidents (
    id        TEXT PRIMARY KEY,
    title     TEXT NOT NULL DEFAULT '',
    stems     TEXT NOT NULL DEFAULT '',
    status    TEXT NOT NULL DEFAULT 'active',
    first_at  TEXT,
    last_at   TEXT,
    closed_at TEXT
);
CREATE TABLE incident_members (
    incident_id     TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    joined_order    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (incident_id, conversation_id)
);
CREATE INDEX incident_members_conversation ON incident_members(conversation_id);
-- The incidents of the last refresh become entities (their title comes with the next one).
INSERT INTO incidents(id, status, first_at, last_at)
    SELECT incident_id, 'active', MIN(COALESCE(unanswered_since, last_customer_at)),
           MAX(COALESCE(unanswered_since, last_customer_at))
    FROM conversations WHERE incident_id IS NOT NULL GROUP BY incident_id;
INSERT INTO incident_members(incident_id, conversation_id, joined_order)
    SELECT incident_id, id, rowid FROM conversations WHERE incident_id IS NOT NULL;
""",
    10: """
-- What happened in each conversation, for reports: customer messages, our replies (from
-- Sent, the outbox, other clients), closes and reopens. Never derived again from scratch:
-- kept through re-syncs and cache rebuilds, so history outlives archived mail.
-- key: 'm:' + Message-ID for messages, 'closed:' / 'reopened:' + conversation + time.
CREATE TABLE support_events (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    at              TEXT NOT NULL,
    agent           TEXT NOT NULL DEFAULT '',
    customer        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX support_events_at ON support_events(at);
CREATE INDEX support_events_conversation ON support_events(conversation_id, at);
""",
    11: """
-- Which promise an open conversation's SLA deadline is ('first reply|1800', 'reply|86400',
-- 'resolution|259200'), for the queue's reason line.
ALTER TABLE conversations ADD COLUMN sla_target TEXT NOT NULL DEFAULT '';
-- The starvation guard (domain/sla.py): when the queue lifts the conversation above newer
-- mail; a first reply is guarded no earlier than the next-reply target.
ALTER TABLE conversations ADD COLUMN sla_guard_warn_at TEXT;
ALTER TABLE conversations ADD COLUMN sla_guard_due_at TEXT;
ALTER TABLE conversations ADD COLUMN sla_guard_level INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_sla_guard_warn ON conversations(status, sla_guard_level, sla_guard_warn_at);
CREATE INDEX conversations_sla_guard_due ON conversations(status, sla_guard_level, sla_guard_due_at);
""",
    12: """
-- For the report's walk over every fact: POSIX seconds, and the order of the facts of one
-- second (a customer message before the reopen, reply or close it caused), read in that
-- order from one index alone.
ALTER TABLE support_events ADD COLUMN ts INTEGER
    GENERATED ALWAYS AS (CAST(strftime('%s', at) AS INTEGER)) VIRTUAL;
ALTER TABLE support_events ADD COLUMN step INTEGER GENERATED ALWAYS AS (
    CASE kind WHEN 'customer' THEN 0 WHEN 'reopened' THEN 1 WHEN 'reply' THEN 2 ELSE 3 END
) VIRTUAL;
CREATE INDEX support_events_walk ON support_events(conversation_id, ts, step, kind, agent, customer);
""",
    13: """
-- Outbox retries. A reply that failed for a reason that may pass (server down, SMTP 4xx)
-- is tried again by a sync from next_attempt_at on, waiting longer after each of its
-- consecutive failures; a permanent failure has no next_attempt_at and waits for the user.
-- status 'held': a teammate claimed, closed or answered the conversation (held_by).
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN held_by TEXT;
""",
    14: """
-- What changed since the last conversation refresh, so the next one recomputes only the
-- conversations it touches (store/triage_refresh.py). One row per inserted, changed or
-- deleted message (with the conversation it was linked to), per manual state change (what
-- the refresh reads of it: a server sequence number written back is none), per
-- outbox Message-ID (it makes a copy of the mail ours); kind 'flags' when only the flags of
-- a message changed, 'all' when a folder's role changed (everything is recomputed).
CREATE TABLE triage_dirty (
    seq             INTEGER PRIMARY KEY,
    message         INTEGER,
    conversation_id TEXT,
    kind            TEXT NOT NULL
);
-- Each conversation's threading keys as of the last refresh: the Message-IDs its messages
-- carry or refer to, and 's:' + customer + subject of each thread it was merged from. A
-- change recomputes every conversation sharing a key with it.
CREATE TABLE conversation_keys (
    key             TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    PRIMARY KEY (key, conversation_id)
) WITHOUT ROWID;
CREATE INDEX conversation_keys_conversation ON conversation_keys(conversation_id);
-- The reports of problems incident detection reads, as of the last refresh.
CREATE TABLE incident_candidates (
    conversation_id TEXT PRIMARY KEY,
    customer        TEXT NOT NULL,
    reported_at     TEXT NOT NULL,
    subject_terms   TEXT NOT NULL,
    text_terms      TEXT NOT NULL,
    failing         INTEGER NOT NULL,
    lang            TEXT NOT NULL
);

DROP TRIGGER triage_input_insert;
CREATE TRIGGER triage_input_insert AFTER INSERT ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
    INSERT INTO triage_dirty(message, conversation_id, kind) VALUES (NEW.id, NEW.conversation_id, 'message');
END;
DROP TRIGGER triage_input_delete;
CREATE TRIGGER triage_input_delete AFTER DELETE ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
    INSERT INTO triage_dirty(message, conversation_id, kind) VALUES (OLD.id, OLD.conversation_id, 'message');
END;
DROP TRIGGER triage_input_update;
CREATE TRIGGER triage_input_update AFTER UPDATE OF
    folder_id, uid, message_id, in_reply_to, refs, from_name, from_addr, reply_to, reply_to_name,
    to_addrs, cc_addrs, subject, date, internaldate, flags, body_text, priority, automated,
    automated_reason, bounce_of, bounce_recipient, bounce_reason
ON messages BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'triage_input_version';
    INSERT INTO triage_dirty(message, conversation_id, kind) VALUES (NEW.id, OLD.conversation_id,
        CASE WHEN NEW.folder_id IS OLD.folder_id AND NEW.message_id IS OLD.message_id
            AND NEW.in_reply_to IS OLD.in_reply_to AND NEW.refs IS OLD.refs
            AND NEW.from_name IS OLD.from_name AND NEW.from_addr IS OLD.from_addr
            AND NEW.reply_to IS OLD.reply_to AND NEW.reply_to_name IS OLD.reply_to_name
            AND NEW.to_addrs IS OLD.to_addrs AND NEW.cc_addrs IS OLD.cc_addrs
            AND NEW.subject IS OLD.subject AND NEW.date IS OLD.date
            AND NEW.internaldate IS OLD.internaldate AND NEW.body_text IS OLD.body_text
            AND NEW.priority IS OLD.priority AND NEW.automated IS OLD.automated
            AND NEW.automated_reason IS OLD.automated_reason AND NEW.bounce_of IS OLD.bounce_of
            AND NEW.bounce_recipient IS OLD.bounce_recipient AND NEW.bounce_reason IS OLD.bounce_reason
        THEN 'flags' ELSE 'message' END);
END;
CREATE TRIGGER triage_dirty_state_insert AFTER INSERT ON conversation_state BEGIN
    INSERT INTO triage_dirty(conversation_id, kind) VALUES (NEW.conversation_id, 'state');
END;
CREATE TRIGGER triage_dirty_state_update AFTER UPDATE ON conversation_state
WHEN OLD.conversation_id IS NOT NEW.conversation_id OR OLD.status IS NOT NEW.status
    OR OLD.snoozed_until IS NOT NEW.snoozed_until OR OLD.assigned_to IS NOT NEW.assigned_to
    OR OLD.updated_at IS NOT NEW.updated_at OR OLD.updated_by IS NOT NEW.updated_by
BEGIN
    INSERT INTO triage_dirty(conversation_id, kind) VALUES (OLD.conversation_id, 'state');
    INSERT INTO triage_dirty(conversation_id, kind) VALUES (NEW.conversation_id, 'state');
END;
CREATE TRIGGER triage_dirty_state_delete AFTER DELETE ON conversation_state BEGIN
    INSERT INTO triage_dirty(conversation_id, kind) VALUES (OLD.conversation_id, 'state');
END;
CREATE TRIGGER triage_dirty_outbox_insert AFTER INSERT ON outbox BEGIN
    INSERT INTO triage_dirty(message, conversation_id, kind)
        SELECT id, conversation_id, 'message' FROM messages WHERE message_id = NEW.message_id;
END;
CREATE TRIGGER triage_dirty_outbox_update AFTER UPDATE OF message_id ON outbox BEGIN
    INSERT INTO triage_dirty(message, conversation_id, kind)
        SELECT id, conversation_id, 'message' FROM messages
        WHERE message_id IN (OLD.message_id, NEW.message_id);
END;
CREATE TRIGGER triage_dirty_outbox_delete AFTER DELETE ON outbox BEGIN
    INSERT INTO triage_dirty(message, conversation_id, kind)
        SELECT id, conversation_id, 'message' FROM messages WHERE message_id = OLD.message_id;
END;
CREATE TRIGGER triage_dirty_folder_role AFTER UPDATE OF role ON folders BEGIN
    INSERT INTO triage_dirty(kind) VALUES ('all');
END;
""",
    15: """
-- Follow-ups: when a conversation must come back because we promised more. Set here, shared
-- through the state folder (team_state_log kind 'followup'); uid is the state-folder message
-- this row was last agreed with.
CREATE TABLE followups (
    conversation_id TEXT PRIMARY KEY,
    due_at          TEXT,
    note            TEXT NOT NULL DEFAULT '',
    author          TEXT NOT NULL DEFAULT '',
    set_at          TEXT NOT NULL,
    uploaded        INTEGER NOT NULL DEFAULT 0,
    uid             INTEGER
);
ALTER TABLE team_state_log ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- The active follow-up (or pending reminder) of a conversation, for the clock and the queue.
ALTER TABLE conversations ADD COLUMN followup_at TEXT;
ALTER TABLE conversations ADD COLUMN followup_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_followup ON conversations(followup_at) WHERE followup_at IS NOT NULL;
-- A template's follow-up (front matter 'followup: 3d'), set once its reply is sent.
ALTER TABLE outbox ADD COLUMN after_followup TEXT;
""",
    16: """
-- Tags: each conversation's current tags, and the changes made here (shared through the
-- state folder as 'tags' entries carrying their token; a change is applied on top of the
-- server's until its token comes back from there).
CREATE TABLE tags (
    conversation_id TEXT NOT NULL,
    tag             TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX tags_tag ON tags(tag);
CREATE TABLE tag_changes (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    added           TEXT NOT NULL DEFAULT '',
    removed         TEXT NOT NULL DEFAULT '',
    author          TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    token           TEXT NOT NULL UNIQUE,
    uploaded        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tag_changes_conversation ON tag_changes(conversation_id);
ALTER TABLE team_state_log ADD COLUMN changes TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '';
-- A template's tags (front matter 'tags: [bug]'), added once its reply is sent.
ALTER TABLE outbox ADD COLUMN after_tags TEXT;
""",
    17: """
-- Send later: the time the user chose for a reply (NULL: at once, after the undo window;
-- not_before then holds the same time). A scheduled reply the customer overtook (wrote
-- again before it left) becomes status 'draft': kept, sent only when the user says so.
ALTER TABLE outbox ADD COLUMN send_at TEXT;
""",
    18: """
-- Hand-overs: how many notes record that the conversation was handed to someone
-- (the notes starting 'Handed over to ', domain/handover.py), for the queue's reason.
ALTER TABLE conversations ADD COLUMN handovers INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET handovers = (
    SELECT COUNT(*) FROM notes n WHERE n.conversation_id = conversations.id
    AND substr(n.body, 1, 15) = 'Handed over to '
);
""",
    19: """
-- Merges and splits made by hand (domain/threading.py Override), by Message-ID so that they
-- hold after a re-sync or a rebuild. Shared through the state folder ('merge' and 'split'
-- entries carrying their token); uid is the entry's once seen there (the team's order),
-- NULL while it is this client's and not seen back yet.
CREATE TABLE thread_overrides (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    into_id     TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    target      TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    token       TEXT NOT NULL UNIQUE,
    uploaded    INTEGER NOT NULL DEFAULT 0,
    uid         INTEGER
);
""",
    20: """
-- Acknowledgements on arrival: the customer message each automatic acknowledgement answers
-- (never two for one conversation), its customer (at most one per customer in
-- [accounts.X.acknowledgement] min_hours_between) and its reply in the outbox. Kept by a
-- cache rebuild, like the outbox.
CREATE TABLE acknowledgements (
    message_id      TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    customer        TEXT NOT NULL,
    outbox_id       INTEGER,
    reason          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX acknowledgements_customer ON acknowledgements(customer, created_at);
CREATE INDEX acknowledgements_outbox ON acknowledgements(outbox_id);
""",
    21: """
-- Incidents closed by hand here, shared with the team as state-folder 'incident' entries
-- (uploaded = 0: not shared yet). Apart from 'incidents', which every refresh rewrites.
CREATE TABLE incident_closes (
    incident_id TEXT PRIMARY KEY,
    closed_at   TEXT NOT NULL,
    author      TEXT NOT NULL DEFAULT '',
    uploaded    INTEGER NOT NULL DEFAULT 0
);
""",
    22: """
-- Reopened by the customer: the time of the close they wrote after, while the conversation
-- waits for us again (NULL otherwise), for the queue's reason.
ALTER TABLE conversations ADD COLUMN reopened_after TEXT;
""",
    23: """
-- What the customer's message ended, for the queue's reason: 'closed' (reopened_after is
-- the close's time) or 'snoozed' (reopened_after is the end the snooze had); NULL otherwise.
ALTER TABLE conversations ADD COLUMN reopened_from TEXT;
""",
    24: """
-- Editing a scheduled reply: status 'editing' while it is open in an editor (never sent
-- while so), since when. Its text and time are replaced in place when the edit is saved.
ALTER TABLE outbox ADD COLUMN editing_since TEXT;
""",
    25: """
-- Which reading of HTML mail (mail/html.py READING) made the cached texts: a cache that
-- holds mail now was read by reading 1 (no mark), and its next sync reads that mail's HTML
-- again (sync/reread.py); a new, empty cache is marked with reading 2, so mail put into it
-- (a sync, a test's bulk cache) is not fetched twice.
INSERT INTO meta(key, value) SELECT 'html_reading', '2' WHERE NOT EXISTS (SELECT 1 FROM messages);
""",
    26: """
-- How much of Sent the cache held, whole, when a reply was queued (the folder's UIDVALIDITY
-- and UIDNEXT then; NULL when Sent was not synced through): a teammate's reply below it was
-- there to be asked about ("Send a second reply?"), one above it never was, and holds this
-- reply back at its send (team/collision.py).
ALTER TABLE outbox ADD COLUMN sent_uidvalidity INTEGER;
ALTER TABLE outbox ADD COLUMN sent_uidnext INTEGER;
""",
    27: """
-- Reading 3 of HTML mail (a one-cell layout table keeps its paragraphs apart): a new, empty
-- cache is marked with it, as with reading 2; one holding mail keeps its mark and its next
-- sync reads that mail's HTML again.
UPDATE meta SET value = '3' WHERE key = 'html_reading' AND NOT EXISTS (SELECT 1 FROM messages);
""",
    28: """
-- The user's "send it anyway" (--force, send-anyway) on a reply, kept until it goes out: a
-- send the mail server refused and a later retry sends it without the teammate check still,
-- instead of holding it for the teammate the user already chose to answer over.
ALTER TABLE outbox ADD COLUMN send_anyway INTEGER NOT NULL DEFAULT 0;
""",
    29: """
-- Which reading of whole messages (mail/reading.py MESSAGE_READING: attachments, forwards,
-- calendar invitations, bounces, no-text reasons) made the cached rows: a cache that holds
-- mail was read by reading 0 (no mark), and its next sync reads every cached message again
-- (sync/reread.py); a new, empty cache is marked with reading 1.
INSERT INTO meta(key, value) SELECT 'message_reading', '1' WHERE NOT EXISTS (SELECT 1 FROM messages);
""",
    30: """
-- Reading 2 of whole messages (the text inside Outlook's winmail.dat): a new, empty cache is
-- marked with it; one holding mail keeps its mark and its next sync reads that mail again.
UPDATE meta SET value = '2' WHERE key = 'message_reading' AND NOT EXISTS (SELECT 1 FROM messages);
""",
}


def _reply_to_name(raw_headers: str) -> str:
    # The email package is imported by the data steps only: opening an up-to-date cache
    # (every command) does not load it.
    from email.header import decode_header, make_header
    from email.parser import HeaderParser
    from email.policy import compat32
    from email.utils import getaddresses

    try:
        value = HeaderParser(policy=compat32).parsestr(raw_headers, headersonly=True).get("reply-to")
        name = getaddresses([str(value or "")])[0][0]
        name = str(make_header(decode_header(name))) if "=?" in name else name
    except Exception:  # noqa: BLE001 - a hostile header block must not stop an upgrade
        return ""
    return " ".join(name.split())[:200].strip('"').strip()


def _reply_to_names(conn: sqlite3.Connection) -> None:
    """Fill ``reply_to_name`` of cached messages from their stored header block."""
    rows = conn.execute("SELECT id, raw_headers FROM messages WHERE reply_to != ''").fetchall()
    for rowid, raw in rows:
        name = _reply_to_name(str(raw or ""))
        if name:
            conn.execute("UPDATE messages SET reply_to_name = ? WHERE id = ?", (name, rowid))


# Header names that mark automated mail, to pick the few cached messages worth parsing.
_AUTOMATED_SIGNS = (
    "auto-submitted",
    "x-autore",
    "precedence",
    "list-id",
    "mailer-daemon",
    "postmaster",
    "report",
)


def _header_values(raw_headers: str) -> dict[str, str]:
    """The headers the automated-mail check reads, from a stored header block."""
    from email.parser import HeaderParser
    from email.policy import compat32

    from supportinbox.domain import automated

    try:
        parsed = HeaderParser(policy=compat32).parsestr(raw_headers, headersonly=True)
        return {name: str(parsed.get(name) or "") for name in automated.HEADERS if name in parsed}
    except Exception:  # noqa: BLE001 - a hostile header block must not stop an upgrade
        return {}


def _classify_automated(conn: sqlite3.Connection) -> None:
    """Classify cached messages as automated from their stored header block."""
    where = " OR ".join("raw_headers LIKE ?" for _ in _AUTOMATED_SIGNS)
    rows = conn.execute(
        f"SELECT id, from_addr, raw_headers FROM messages WHERE {where}", [f"%{s}%" for s in _AUTOMATED_SIGNS]
    ).fetchall()
    from supportinbox.domain import automated  # only an upgrade needs the rule

    for rowid, from_addr, raw in rows:
        found = automated.classify(_header_values(str(raw or "")), str(from_addr))
        if found:
            conn.execute(
                "UPDATE messages SET automated = ?, automated_reason = ? WHERE id = ?",
                (found.kind, found.reason, rowid),
            )


# Steps that need more than SQL, run in the same transaction right after that number's SQL.
MIGRATION_STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {
    7: _reply_to_names,
    8: _classify_automated,
}
