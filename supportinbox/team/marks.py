"""What the team's side of a sync compares to tell that it has nothing to do.

The sync hook (:mod:`supportinbox.team.hook`) skips each step whose inputs are as it left
them: the state folder and the notes folder by their STATUS against the marks kept in the
cache, the merge by a fingerprint of what it reads, the team mode by its age, the look for
old-scheme keywords by the cache's input version. ``supportinbox sync`` answered before
the program loads (:mod:`supportinbox.cli.quick_sync`) asks the same questions through
these functions, so each rule has one definition. Nothing here talks to a server: the
callers pass a folder's STATUS (item name -> number), or None when it does not exist.
"""

from __future__ import annotations

import hashlib
import sqlite3

# Not typing.TYPE_CHECKING: the quick sync loads this module and little else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from supportinbox.store.db import Database

#: Bumped by the cache on any change to messages (triage's change counter, migration 3).
TRIAGE_INPUT_VERSION = "triage_input_version"
#: The inputs of the last merge: an unchanged cache needs no merge.
MERGED = "team_merged_inputs"
#: Conversations whose local state waits for an inbox message to carry it (space-separated).
WAITING = "team_waiting_conversations"
#: The cache's input version when the inbox was last found free of old-scheme keywords.
LEGACY_CHECKED = "team_legacy_checked_version"

#: The hidden folder of the team's state (statefolder), before any namespace prefix.
STATE_FOLDER = "Support State"
#: The state folder's UIDVALIDITY, last UID read and STATUS mark (statefolder.sync_log).
STATE_VALIDITY = "team_state_uidvalidity"
STATE_LAST_UID = "team_state_last_uid"
STATE_UIDNEXT = "team_state_uidnext"
#: How this program reads the state folder, as :data:`STATE_READING` keeps it: an entry of a
#: kind (or a field) the reader did not know was passed over, so a cache read by an older
#: reading reads the whole folder again once. Raise it whenever the reader learns a kind or
#: takes a field it did not take before (a teammate who upgraded first writes them).
STATE_READER = "2"
STATE_READING = "team_state_reading"
#: What the state folder's STATUS is asked for.
STATE_STATUS_ITEMS = ("UIDNEXT", "UIDVALIDITY")

#: The notes folder's STATUS when its notes were last read (notes.download).
NOTES_STATUS = "team_notes_status"
NOTES_STATUS_ITEMS = ("UIDNEXT", "UIDVALIDITY", "MESSAGES")

#: The team mode found on the server, and when (seconds since the epoch) it was checked.
MODE = "team_mode"
MODE_CHECKED = "team_mode_checked"
KEYWORDS, FOLDER = "keywords", "folder"
#: A mode found less than this long ago is trusted without asking the server.
MODE_RECHECK_SECONDS = 6 * 3600


def state_mark(status: Mapping[str, object]) -> str:
    """The state folder's STATUS as :data:`STATE_UIDNEXT` keeps it."""
    return f"{status.get('UIDVALIDITY', '')}/{status.get('UIDNEXT', '')}"


def state_log_current(db: Database, status: Mapping[str, object]) -> bool:
    """Whether the state folder holds nothing that was not read into the cache yet (by this reading)."""
    return (
        db.get_meta(STATE_UIDNEXT) == state_mark(status)
        and db.get_meta(STATE_VALIDITY) == str(status.get("UIDVALIDITY", ""))
        and db.get_meta(STATE_READING) == STATE_READER
    )


def log_mark(db: Database) -> str:
    """Changes whenever new state-folder messages were read (for change fingerprints)."""
    validity, last = db.get_meta(STATE_VALIDITY) or "", db.get_meta(STATE_LAST_UID) or 0
    return f"{validity}/{last}/{db.get_meta(STATE_READING) or ''}"


def notes_mark(status: Mapping[str, object]) -> str:
    """The notes folder's STATUS as :data:`NOTES_STATUS` keeps it."""
    return ":".join(str(status.get(item, "")) for item in ("UIDVALIDITY", "UIDNEXT", "MESSAGES"))


def notes_current(db: Database, status: Mapping[str, object]) -> bool:
    """Whether nothing was added to or removed from the notes folder since the last look."""
    return db.get_meta(NOTES_STATUS) == notes_mark(status)


def merge_inputs(db: Database) -> str | None:
    """A fingerprint of what the merge reads: the message change counter and the local state.

    ``None`` when the cache keeps no change counter (then every sync merges).
    """
    version = db.get_meta(TRIAGE_INPUT_VERSION)
    if version is None:
        return None
    # Details and registry entries in the state folder change what the keywords mean.
    version += "|" + log_mark(db)
    rows = db.conn.execute(
        "SELECT conversation_id, status, snoozed_until, assigned_to FROM conversation_state "
        "ORDER BY conversation_id"
    ).fetchall()
    # A conversation whose state waits for an inbox message: merged again once it has more.
    waiting = (db.get_meta(WAITING) or "").split()
    if waiting:
        rows += db.conn.execute(
            f"SELECT id, message_count FROM conversations WHERE id IN ({', '.join('?' * len(waiting))})",
            waiting,
        ).fetchall()
    digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return f"{version}|{digest}"


def merge_due(db: Database, mode: str) -> bool:
    """Whether the merge would run: always on the state folder, else when its inputs changed."""
    inputs = merge_inputs(db)
    return mode == FOLDER or inputs is None or db.get_meta(MERGED) != inputs


def mode_trusted(db: Database, now: float, recheck_after: float | None) -> str | None:
    """The recorded team mode when it may be used without asking the server, else None."""
    checked = db.get_meta(MODE_CHECKED)
    known = db.get_meta(MODE)
    if recheck_after is None or known not in (KEYWORDS, FOLDER) or not checked:
        return None
    try:
        age = now - float(checked)
    except ValueError:
        return None
    return known if 0 <= age < recheck_after else None


def checked_at(now: float) -> str:
    """What :data:`MODE_CHECKED` keeps for a check made at ``now``: whole seconds, never ahead.

    Rounded to the nearest second it could lie up to half a second in the future, and a sync
    that soon after would find the check's age negative and ask the server again.
    """
    return str(int(now))


def legacy_look_due(db: Database) -> bool:
    """Whether cached mail changed since the inbox was last found free of old-scheme keywords."""
    return db.get_meta(LEGACY_CHECKED) != (db.get_meta(TRIAGE_INPUT_VERSION) or "0")


#: Local changes waiting to be shared, one query per kind (each ``uploaded = 0`` until sent).
_UNSHARED = (
    "SELECT EXISTS(SELECT 1 FROM notes WHERE uploaded = 0)",
    "SELECT EXISTS(SELECT 1 FROM thread_overrides WHERE uploaded = 0)",
    "SELECT EXISTS(SELECT 1 FROM followups WHERE uploaded = 0)",
    "SELECT EXISTS(SELECT 1 FROM tag_changes WHERE uploaded = 0)",
)


def anything_to_share(conn: sqlite3.Connection) -> bool:
    """Whether a note, merge or split, follow-up or tag change made here is not on the server yet."""
    return any(conn.execute(query).fetchone()[0] for query in _UNSHARED)
