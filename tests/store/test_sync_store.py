"""Folder and message storage, the pending-op queue, and rebuilding the cache."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.errors import ConnectionFailed, StorageError
from supportinbox.mail.parse import Attachment, ParsedMessage
from supportinbox.store import messages as store
from supportinbox.store import pending
from supportinbox.store.db import open_database, utcnow_iso
from supportinbox.store.rebuild import FreshCache, rebuild_cache


def _parsed(subject: str = "hello", body: str = "body words") -> ParsedMessage:
    return ParsedMessage(
        subject=subject,
        from_addr="lina@customer.test",
        body_text=body,
        to_addrs=["support@acme.test", "b@acme.test"],
        attachments=[Attachment("a.pdf", "application/pdf", 10, "2")],
    )


def test_upsert_is_idempotent_and_keeps_the_row_id(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db:
        with db.transaction() as conn:
            folder = store.ensure_folder(conn, "INBOX", "inbox")
            first = store.upsert_message(
                conn,
                folder.id,
                7,
                flags=[b"\\Seen", b"\\Recent"],
                modseq=3,
                internaldate=None,
                size=5,
                parsed=_parsed(),
            )
            again = store.upsert_message(
                conn,
                folder.id,
                7,
                flags="\\Seen",
                modseq=4,
                internaldate=None,
                size=5,
                parsed=_parsed(subject="edited"),
            )
        assert first == again
        row = db.conn.execute("SELECT * FROM messages").fetchone()
        assert (row["subject"], row["flags"], row["modseq"], row["to_addrs"]) == (
            "edited",
            "\\Seen",
            4,
            "support@acme.test b@acme.test",
        )
        assert json.loads(row["attachments"])[0]["part"] == "2" and row["has_attachments"] == 1
        hits = db.conn.execute("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'edited'").fetchall()
        assert [h[0] for h in hits] == [first]


def test_flag_updates_deletes_and_folder_state(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db, db.transaction() as conn:
        folder = store.ensure_folder(conn, "Junk", "junk")
        rows = [
            store.message_row(folder.id, uid, flags="", modseq=1, internaldate=None, size=1, parsed=_parsed())
            for uid in (1, 2, 3)
        ]
        store.upsert_messages(conn, rows)
        assert store.update_flags(conn, folder.id, [(1, "\\Seen", 5), (2, "", 6), (99, "\\Seen", 7)]) == 1
        assert store.message_flags(conn, folder.id, 1) == {"\\Seen"}
        assert store.delete_uids(conn, folder.id, [2, 42]) == 1
        assert store.cached_uids(conn, folder.id) == {1, 3} and store.max_uid(conn, folder.id) == 3
        store.set_folder_state(conn, folder.id, uidvalidity=9, uidnext=4, highestmodseq=7, last_sync="t")
        assert store.get_folder(conn, "Junk") == store.Folder(folder.id, "Junk", "junk", 9, 4, 7, "t")
        assert store.clear_folder(conn, folder.id) == 2
        cleared = store.get_folder_by_role(conn, "junk")
        assert cleared is not None and cleared.uidvalidity is None
        assert db.conn.execute("SELECT COUNT(*) FROM messages_fts").fetchone()[0] == 0


def test_local_flag_changes_add_and_remove_in_the_stored_form(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db, db.transaction() as conn:
        folder = store.ensure_folder(conn, "INBOX", "inbox")
        row = store.message_row(
            folder.id, 1, flags="\\Seen", modseq=1, internaldate=None, size=1, parsed=_parsed()
        )
        store.upsert_messages(conn, [row])
        (rowid,) = conn.execute("SELECT id FROM messages").fetchone()
        assert store.change_flags(conn, rowid, add=["\\Answered", "$Junk"], remove=["\\Seen"])
        assert conn.execute("SELECT flags FROM messages").fetchone()[0] == "$Junk \\Answered"
        assert not store.change_flags(conn, rowid, add=["\\Answered"])  # nothing to change
        assert not store.change_flags(conn, rowid + 1, add=["\\Seen"])  # no such message
        assert store.change_flags(conn, rowid, add=["\\Recent"], remove=["$Junk"])
        assert store.message_flags(conn, folder.id, 1) == {"\\Answered"}  # \\Recent is never kept


def test_pending_ops_validate_and_record_failures(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.sqlite3") as db, db.transaction() as conn:
        op = pending.enqueue(conn, "move", {"folder": "INBOX", "uid": 3, "dest": "Junk"})
        for kind, payload in [
            ("delete_everything", {"folder": "INBOX", "uid": 1}),
            ("add_flags", {"folder": "INBOX", "uid": "1", "flags": ["x"]}),
            ("remove_flags", {"folder": "INBOX", "uid": 1, "flags": "\\Seen"}),
            ("move", {"folder": "INBOX", "uid": 1}),
        ]:
            with pytest.raises(ValueError):
                pending.enqueue(conn, kind, payload)
        pending.mark_failed(conn, op, "NO [TRYCREATE] no such folder")
        pending.mark_failed(conn, op, "NO again")
        [queued] = pending.list_pending(conn)
        assert (queued.attempts, queued.last_error, queued.payload["dest"]) == (2, "NO again", "Junk")
        pending.mark_done(conn, op)
        assert pending.count_pending(conn) == 0


def test_rebuild_keeps_local_only_rows_and_drops_mail() -> None:
    with open_database(account="support") as db, db.transaction() as conn:
        folder = store.ensure_folder(conn, "INBOX", "inbox")
        store.upsert_message(
            conn, folder.id, 1, flags="", modseq=None, internaldate=None, size=1, parsed=_parsed()
        )
        conn.execute(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
            ("<q@x>", "a@b.test", b"raw", "failed", utcnow_iso()),
        )
        conn.executemany(
            "INSERT INTO notes(conversation_id, author, created_at, body, uploaded) "
            "VALUES ('c', 'al', 't', ?, ?)",
            [("n", 0), ("u", 1)],
        )
        pending.enqueue(conn, "add_flags", {"folder": "INBOX", "uid": 1, "flags": ["\\Seen"]})
        conn.execute(
            "INSERT INTO support_events(key, conversation_id, kind, at) "
            "VALUES ('m:<a@x>', 'c', 'customer', 't')"
        )
        conn.execute(
            "INSERT INTO thread_overrides(kind, message_id, into_id, at, token) "
            "VALUES ('merge', '<b@x>', '<a@x>', 't', 'tok1')"
        )
        conn.execute(
            "INSERT INTO acknowledgements(message_id, conversation_id, customer, outbox_id, created_at) "
            "VALUES ('<a@x>', 'c', 'a@b.test', 1, 't')"
        )
        conn.executemany(
            "INSERT INTO incident_closes(incident_id, closed_at, author, uploaded) VALUES (?, 't', 'al', ?)",
            [("iwait", 0), ("ishared", 1)],
        )
        conn.executemany(
            "INSERT INTO followups(conversation_id, due_at, note, author, set_at, uploaded) "
            "VALUES (?, 't', 'call back', 'al', 't', ?)",
            [("cwait", 0), ("cshared", 1)],
        )
        conn.executemany(
            "INSERT INTO tag_changes(conversation_id, added, author, at, token, uploaded) "
            "VALUES ('c', 'billing', 'al', 't', ?, ?)",
            [("twait", 0), ("tshared", 1)],
        )

    outcome = rebuild_cache("support")

    kept = {
        "outbox": 1,  # a failed reply: unsent
        "outbox:sent": 0,
        "outbox:cancelled": 0,
        "pending_ops": 1,
        "conversation_state": 0,
        "team_sync": 0,
        "notes": 1,
        "incident_closes": 1,  # a close not shared yet is shared after the rebuild
        "support_events": 1,
        "thread_overrides": 1,  # a merge made by hand outlives the rebuild
        "acknowledgements": 1,  # never acknowledged twice, even after a rebuild
        "team_events": 0,  # what teammates did (none here)
        "followups": 1,  # set offline: shared after the rebuild, never lost
        "tag_changes": 1,
    }
    assert outcome.kept == kept
    assert outcome.backup is None
    with open_database(account="support") as db:
        assert db.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
        assert db.conn.execute("SELECT raw FROM outbox").fetchone()[0] == b"raw"
        assert db.conn.execute("SELECT body FROM notes").fetchall()[0][0] == "n"
        assert [r[0] for r in db.conn.execute("SELECT token FROM thread_overrides")] == ["tok1"]
        assert [r[0] for r in db.conn.execute("SELECT conversation_id FROM followups")] == ["cwait"]
        assert [r[0] for r in db.conn.execute("SELECT token FROM tag_changes")] == ["twait"]
        assert db.integrity_ok()


def test_rebuild_of_an_unreadable_cache_keeps_it_aside() -> None:
    path = paths.database_file("support")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not an SQLite database at all" * 100)
    outcome = rebuild_cache("support")
    assert outcome.backup is not None and outcome.backup.read_bytes().startswith(b"this is not")
    assert outcome.problem == "file is not a database"  # the reason, not the last table tried
    with open_database(account="support") as db:
        assert db.integrity_ok()


def test_what_a_rebuild_keeps_is_said_in_words() -> None:
    from supportinbox.store.rebuild import KEPT_TABLES, KEPT_WORDS, kept_words

    assert set(KEPT_TABLES) <= set(KEPT_WORDS)  # a new kept table needs its words
    said = kept_words(
        {"outbox:sent": 5, "outbox": 2, "pending_ops": 1, "team_sync": 4, "thread_overrides": 1, "notes": 0}
    )
    # The sent replies are kept as the guard against sending twice, not as replies still to go.
    assert said == (
        "2 unsent replies in the outbox, 1 change waiting for the server, 1 merge or split, "
        "5 sent replies remembered, so none is sent again"
    )
    assert kept_words({"outbox": 0, "outbox:sent": 1, "outbox:cancelled": 3}) == (
        "1 sent reply remembered, so it is never sent again"
    )


def test_rebuild_carries_what_was_written_to_the_old_cache_during_the_fetch() -> None:
    """The old cache stays in use while the new one is fetched: what is queued there is kept."""

    def meanwhile(fresh: FreshCache) -> None:
        with open_database(fresh.path) as db, db.transaction() as conn:
            conn.execute("DELETE FROM pending_ops")  # the fetch sent the queued change
        with open_database(account="support") as db, db.transaction() as conn:  # meanwhile, elsewhere
            pending.enqueue(conn, "add_flags", {"folder": "INBOX", "uid": 2, "flags": ["\\Flagged"]})
            conn.execute("UPDATE conversation_state SET status = 'closed', updated_at = 't2'")
            conn.execute(
                "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
                ("<late@x>", "a@b.test", b"raw", "queued", utcnow_iso()),
            )
            conn.execute(
                "INSERT INTO notes(conversation_id, author, created_at, body, uploaded) "
                "VALUES ('c1', 'al', 't', 'n', 0)"
            )

    with open_database(account="support") as db, db.transaction() as conn:
        pending.enqueue(conn, "add_flags", {"folder": "INBOX", "uid": 1, "flags": ["\\Seen"]})
        conn.execute(
            "INSERT INTO conversation_state(conversation_id, status, updated_at) VALUES ('c1', 'open', 't')"
        )
    rebuild_cache("support", meanwhile)

    with open_database(account="support") as db:
        ops = [json.loads(r[0])["uid"] for r in db.conn.execute("SELECT payload FROM pending_ops")]
        assert ops == [2]  # the one sent is not queued again; the new one is
        state = db.conn.execute("SELECT conversation_id, status FROM conversation_state").fetchall()
        assert [tuple(r) for r in state] == [("c1", "closed")]
        assert [r[0] for r in db.conn.execute("SELECT message_id FROM outbox")] == ["<late@x>"]
        assert [r[0] for r in db.conn.execute("SELECT body FROM notes")] == ["n"]


LOST = "the connection to the IMAP server x:993 was lost (EOF)"
FULL = "the disk holding x is full: free some space"


@pytest.mark.parametrize(
    ("failure", "cause"),
    [
        (ConnectionFailed(LOST, aftermath="try again"), LOST),
        (StorageError(FULL, aftermath="run the command again (nothing already cached was lost)"), FULL),
        (KeyboardInterrupt(), None),
    ],
    ids=["connection", "disk", "interrupt"],
)
def test_a_rebuild_whose_fetch_fails_keeps_nothing_of_it_and_says_so(
    failure: BaseException, cause: str | None
) -> None:
    """The old cache stays as it was; the error keeps its cause and tells the rebuild's own end."""
    with open_database(account="support") as db, db.transaction() as conn:
        conn.execute(
            "INSERT INTO conversation_state(conversation_id, status, updated_at) VALUES ('c1', 'open', 't')"
        )
    path = paths.database_file("support")
    before = path.read_bytes()
    seen: list[Path] = []

    def fetch(fresh: FreshCache) -> None:
        with open_database(fresh.path) as db, db.transaction() as conn:
            store.ensure_folder(conn, "INBOX", "inbox")
        seen.append(fresh.path)
        raise failure

    with pytest.raises(type(failure)) as caught:
        rebuild_cache("support", fetch)
    assert path.read_bytes() == before
    assert seen and not any(p.name.startswith(seen[0].name) for p in path.parent.iterdir())
    if cause is not None:
        # Not the sync's own aftermath: "try again" would retry a sync, not the rebuild.
        assert str(caught.value) == (
            f"{cause}; the rebuild stopped: the old cache is untouched and still in use, and nothing "
            "the rebuild fetched was kept; run 'supportinbox cache rebuild' again"
        )


def test_a_connection_open_over_a_rebuild_knows_its_file_was_replaced() -> None:
    """The app's reading connection learns that a rebuild swapped a new cache in under it."""
    with open_database(account="support") as db:
        with db.transaction() as conn:
            conn.execute(
                "INSERT INTO conversation_state(conversation_id, status, updated_at) VALUES ('c', 'o', 't')"
            )
        assert not db.replaced()  # writes, even through another connection, are no swap
        with open_database(account="support") as other, other.transaction() as conn:
            conn.execute("UPDATE conversation_state SET status = 'closed'")
        assert not db.replaced()
        rebuild_cache("support")
        assert db.replaced()
    with open_database(account="support") as db:
        assert not db.replaced()
        paths.database_file("support").unlink()
        assert not db.replaced()  # nothing newer to read
    with open_database(":memory:") as db:
        assert not db.replaced()


def test_a_rebuild_says_which_kept_rows_it_could_not_read() -> None:
    with open_database(account="support") as db, db.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
            ("<q@x>", "a@b.test", b"raw", "queued", utcnow_iso()),
        )
        conn.execute("DROP TABLE notes")
        conn.execute("CREATE TABLE notes(body TEXT)")  # damaged: no column saying what is shared
    outcome = rebuild_cache("support")
    assert outcome.problem == "notes not yet shared: no such column: uploaded"
    assert outcome.kept["outbox"] == 1 and outcome.backup is not None


def test_a_write_meeting_a_rebuild_is_refused_never_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process's write while a rebuild swaps: held off during the swap, then refused
    on the old file with a line that says so; nothing vanishes with the old file unsaid."""
    from supportinbox.store import rebuild

    elsewhere = open_database(account="support")  # a command or the app, opened before the swap
    elsewhere.conn.execute("PRAGMA busy_timeout = 0")
    during: list[str] = []
    carry = rebuild._carry_meanwhile

    def carry_then_write(fresh: FreshCache) -> None:
        carry(fresh)
        with pytest.raises(StorageError) as held, elsewhere.transaction() as conn:
            conn.execute(
                "INSERT INTO conversation_state(conversation_id, status, updated_at) VALUES ('x', 'o', 't')"
            )
        during.append(str(held.value))

    monkeypatch.setattr(rebuild, "_carry_meanwhile", carry_then_write)
    rebuild_cache("support")
    assert during and "busy" in during[0]  # the old cache is write-locked until the swap is done
    with pytest.raises(StorageError) as refused, elsewhere.transaction() as conn:
        conn.execute(
            "INSERT INTO conversation_state(conversation_id, status, updated_at) VALUES ('y', 'o', 't')"
        )
    assert "was replaced by 'supportinbox cache rebuild' meanwhile: nothing was changed; do it again" in str(
        refused.value
    )
    elsewhere.close()
    with open_database(account="support") as db, db.transaction() as conn:
        assert conn.execute("SELECT COUNT(*) FROM conversation_state").fetchone()[0] == 0
        conn.execute(
            "INSERT INTO conversation_state(conversation_id, status, updated_at) VALUES ('z', 'o', 't')"
        )


def test_a_swap_that_cannot_rename_leaves_the_old_cache_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename that swaps the new cache in fails: the old cache, with what only its
    write-ahead log holds yet, is the one in use, as the line says."""
    from supportinbox.store import rebuild

    path = paths.database_file("support")
    held = open_database(account="support")  # open meanwhile: the log is not copied into the file
    held.conn.execute("PRAGMA wal_autocheckpoint = 0")
    with held.transaction() as conn:
        conn.execute(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) "
            "VALUES ('<r1@acme.test>', 'lina@customer.test', x'00', 'queued', 't')"
        )
    assert Path(f"{path}-wal").stat().st_size > 0
    replace = os.replace

    def no_rename_onto_the_cache(source: object, target: object) -> None:
        if Path(str(target)) == path:
            raise OSError(errno.EIO, "Input/output error")
        replace(source, target)  # type: ignore[arg-type]

    with monkeypatch.context() as patch, pytest.raises(StorageError) as stopped:
        patch.setattr(rebuild.os, "replace", no_rename_onto_the_cache)
        rebuild_cache("support")
    held.close()
    assert sorted(p.name for p in path.parent.iterdir() if "rebuild" in p.name or "replaced" in p.name) == []
    with open_database(account="support") as db:
        assert [tuple(r) for r in db.conn.execute("SELECT message_id FROM outbox")] == [("<r1@acme.test>",)]
    assert str(stopped.value) == (
        f"cannot replace the cache {path}: Input/output error; the rebuild stopped: the old cache is "
        "untouched and still in use, and nothing the rebuild fetched was kept; run 'supportinbox cache "
        "rebuild' again"
    )


def test_a_stop_asked_for_during_the_swap_comes_too_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the new cache is swapped in: the swap ends and the rebuild is complete,
    never half done while the command says the old cache is in use."""
    from supportinbox.store import rebuild

    carry = rebuild._carry_meanwhile

    def carry_then_stop(fresh: FreshCache) -> None:
        carry(fresh)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(rebuild, "_carry_meanwhile", carry_then_stop)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        done = rebuild_cache("support")
    finally:
        signal.signal(signal.SIGINT, before)
    assert done.path == paths.database_file("support")
    assert not paths.rebuild_file("support").exists()
    with open_database(account="support") as db:
        assert db.get_meta("team_quiet_after_rebuild") == "1"  # the new cache is the one in use
