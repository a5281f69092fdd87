"""Schema migrations, tested from an old database forward."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from supportinbox.store.db import SCHEMA_VERSION, connect, open_database
from supportinbox.store.migrations import MIGRATIONS

FORM_HEADERS = (
    "From: Acme Website <noreply@acme.test>\r\n"
    "Reply-To: =?utf-8?q?Lina_Hadd=C3=A1d?= <lina@customer.test>\r\n"
    "Subject: Contact form\r\n\r\n"
)


def _database_at(path: Path, version: int) -> None:
    conn = connect(path)
    for number in sorted(n for n in MIGRATIONS if n <= version):
        conn.executescript(MIGRATIONS[number])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO folders(id, name, role) VALUES (1, 'INBOX', 'inbox')")
    conn.execute(
        "INSERT INTO messages(folder_id, uid, from_name, from_addr, reply_to, raw_headers) "
        "VALUES (1, 1, 'Acme Website', 'noreply@acme.test', 'lina@customer.test', ?)",
        (FORM_HEADERS,),
    )
    conn.execute(
        "INSERT INTO messages(folder_id, uid, from_name, from_addr, raw_headers) "
        "VALUES (1, 2, 'Omar', 'omar@e.test', 'From: Omar <omar@e.test>\r\n\r\n')"
    )
    conn.close()


def test_version_6_cache_gets_reply_to_names_from_its_stored_headers(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _database_at(path, 6)
    with open_database(path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = dict(db.conn.execute("SELECT uid, reply_to_name FROM messages").fetchall())
        assert names == {1: "Lina Haddád", 2: ""}
        assert db.integrity_ok()


def test_changing_a_reply_to_marks_the_queue_for_a_refresh(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _database_at(path, 6)
    with open_database(path) as db:
        before = db.get_meta("triage_input_version")
        db.conn.execute("UPDATE messages SET reply_to = 'other@e.test' WHERE uid = 1")
        assert db.get_meta("triage_input_version") != before


def test_a_hostile_header_block_does_not_stop_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _database_at(path, 6)
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE messages SET raw_headers = ? WHERE uid = 1", ("Reply-To: =?x-bogus?b?////?= <a@b>\r\n",)
    )
    conn.commit()
    conn.close()
    with open_database(path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_version_7_cache_classifies_automated_mail_from_its_stored_headers(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _database_at(path, 7)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO messages(folder_id, uid, from_addr, raw_headers) VALUES (1, 3, 'claire@b.test', ?)",
        ("From: claire@b.test\r\nAuto-Submitted: auto-replied\r\nSubject: Absent\r\n\r\n",),
    )
    conn.execute(
        "INSERT INTO messages(folder_id, uid, from_addr, raw_headers) "
        "VALUES (1, 4, 'mailer-daemon@mx.test', ?)",
        ("From: MAILER-DAEMON@mx.test\r\nSubject: Undelivered\r\n\r\n",),
    )
    conn.commit()
    conn.close()
    with open_database(path) as db:
        kinds = dict(db.conn.execute("SELECT uid, automated FROM messages").fetchall())
        assert kinds == {1: "", 2: "", 3: "auto-reply", 4: "bounce"}


def test_a_cache_before_follow_ups_keeps_its_team_log_and_gains_follow_ups(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    before = next(n for n, sql in MIGRATIONS.items() if "CREATE TABLE followups" in sql) - 1
    _database_at(path, before)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO team_state_log(uid, conversation_id, kind, author, written_at) "
        "VALUES (5, 'k3m9x2qa', 'detail', 'bob', '2026-12-01T09:00:00+00:00')"
    )
    conn.commit()
    conn.close()
    with open_database(path) as db:
        assert [tuple(r) for r in db.conn.execute("SELECT uid, note FROM team_state_log")] == [(5, "")]
        assert db.conn.execute("SELECT COUNT(*) FROM followups").fetchone()[0] == 0
        columns = {r[1] for r in db.conn.execute("PRAGMA table_info(conversations)")}
        assert {"followup_at", "followup_reason"} <= columns
        assert db.integrity_ok()


def test_a_cache_before_tags_gains_them_empty(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _database_at(path, next(n for n, sql in MIGRATIONS.items() if "CREATE TABLE tags" in sql) - 1)
    with open_database(path) as db:
        assert db.conn.execute("SELECT COUNT(*) FROM tags").fetchone()[0] == 0
        columns = {r[1] for r in db.conn.execute("PRAGMA table_info(outbox)")}
        assert {"after_followup", "after_tags"} <= columns
        assert db.integrity_ok()


def test_a_cache_before_shared_incident_closes_gains_none_to_share(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    number = next(n for n, sql in MIGRATIONS.items() if "CREATE TABLE incident_closes" in sql)
    _database_at(path, number - 1)
    with open_database(path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # Incidents closed before the upgrade are not announced to the team afterwards.
        assert db.conn.execute("SELECT COUNT(*) FROM incident_closes").fetchone()[0] == 0
        assert db.integrity_ok()


def test_a_cache_holding_mail_is_read_again_and_a_new_one_is_not(tmp_path: Path) -> None:
    from supportinbox.sync import reread

    old = tmp_path / "old.sqlite"
    _database_at(old, 24)
    with open_database(old) as db:
        assert reread.stale(db)  # its HTML mail was read by the older reading
    read_by_two = tmp_path / "reading-2.sqlite"
    _database_at(read_by_two, 26)  # marked by reading 2, then filled
    with open_database(read_by_two) as db:
        assert reread.stale(db)  # one-cell layouts ran their paragraphs together
    with open_database(tmp_path / "new.sqlite") as db:
        assert not reread.stale(db)  # mail put into it is read by this one


def test_a_new_cache_holds_its_schema_in_its_file_not_its_log(tmp_path: Path) -> None:
    # Left in the log, the schema took its room twice on a nearly full disk: the first
    # batch of mail of a first sync no longer fitted beside it.
    path = tmp_path / "cache.sqlite3"
    db = open_database(path)
    try:
        wal = Path(f"{path}-wal")
        assert path.stat().st_size > 100_000
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        db.close()
