"""The sync engine against a real Dovecot: initial, incremental, rebuild, resume, big mail."""

from __future__ import annotations

import json
import os
import quopri
import time
from typing import Any

import pytest
from imapclient import IMAPClient

import supportinbox.mail.fetcher as fetcher_module
import supportinbox.sync.engine as engine_module
from supportinbox.errors import ConnectionFailed, StorageError
from supportinbox.store.db import Database
from supportinbox.sync.engine import SyncEngine
from tests.harness.accounts import cached, imap_account, on_server, open_cache
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message

pytestmark = [pytest.mark.server, pytest.mark.both_servers]


def _engine(db: Database, server: Dovecot, **kwargs: Any) -> SyncEngine:
    account = imap_account(server, **kwargs.pop("account", {}))
    return SyncEngine(db, "support", account, password="secret", **kwargs)


class FetchSpy:
    """Records the FETCH commands and searches the engine sends."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fetches: list[tuple[str, list[str], list[str]]] = []
        self.searches: list[Any] = []
        original_send = fetcher_module._send_fetch
        original_search = IMAPClient.search

        def send(imap: IMAPClient, uid_set: str, items: Any, modifiers: Any = ()) -> Any:
            self.fetches.append((uid_set, list(items), list(modifiers)))
            return original_send(imap, uid_set, items, modifiers)

        def search(imap: IMAPClient, *args: Any, **kwargs: Any) -> Any:
            self.searches.append(args)
            return original_search(imap, *args, **kwargs)

        monkeypatch.setattr(fetcher_module, "_send_fetch", send)
        monkeypatch.setattr(IMAPClient, "search", search)


def test_initial_sync_caches_every_folder_with_decoded_fields(dovecot: Dovecot) -> None:
    append(
        dovecot,
        [
            make_message(
                sender="=?UTF-8?B?2YbYp9iv24zYpyDYsdi22KfbjNuM?= <Nadia@Customer.TEST>",
                subject="=?UTF-8?B?2LnYp9is2YQ6INmE2Kcg2YrYudmF2YQ=?=",
                body="My invoice number is zanzibarquokka 4411.",
                headers={"X-Spam-Score": "1.5", "X-Priority": "1 (Highest)"},
            ),
            make_message(subject="HTML only", body="", html="<p>Hello <b>team</b></p>"),
        ],
    )
    # HTML-only: replace the alternative with a single HTML part.
    append(dovecot, [b"From: a@b.test\r\nSubject: only html\r\nContent-Type: text/html\r\n\r\n<h1>Shop</h1>"])
    append(dovecot, [make_message(subject="win a prize")], folder="Junk")
    append(dovecot, [make_message(sender="support@acme.test", subject="Re: hello")], folder="Sent")
    db = open_cache()
    result = _engine(db, dovecot).run()

    assert [(f.role, f.new, f.total) for f in result.folders] == [
        ("inbox", 3, 3),
        ("junk", 1, 1),
        ("sent", 1, 1),
    ]
    row = db.conn.execute("SELECT * FROM messages WHERE uid = 1 AND folder_id = 1").fetchone()
    assert row["subject"] == "عاجل: لا يعمل"
    assert row["from_name"] == "نادیا رضایی"
    assert row["from_addr"] == "nadia@customer.test"
    assert json.loads(row["spam_headers"]) == {"x-spam-score": "1.5"}
    assert row["priority"] == 1
    assert row["date"].endswith("+00:00") and row["internaldate"].endswith("+00:00")
    html_only = db.conn.execute("SELECT body_text FROM messages WHERE subject = 'only html'").fetchone()
    assert html_only[0].strip() == "Shop"
    hits = db.conn.execute(
        "SELECT m.subject FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
        "WHERE messages_fts MATCH 'zanzibarquokka'"
    ).fetchall()
    assert [h[0] for h in hits] == ["عاجل: لا يعمل"]
    assert cached(db) == on_server(dovecot)


def test_every_body_arrives_when_text_sections_differ_within_batches(dovecot: Dovecot) -> None:
    messages = []
    for i in range(60):
        word = f"uniqueword{i}x"
        if i % 3 == 0:
            messages.append(make_message(subject=f"s{i}", body=f"plain {word}"))
        elif i % 3 == 1:  # multipart/alternative: text in section 1
            messages.append(make_message(subject=f"s{i}", body=f"alt {word}", html=f"<p>alt {word}</p>"))
        else:  # multipart/mixed around an alternative: text in section 1.1
            messages.append(
                make_message(
                    subject=f"s{i}", body=f"mixed {word}", html="<p>x</p>", attachment=("a.bin", b"1")
                )
            )
    append(dovecot, messages)
    db = open_cache()
    _engine(db, dovecot, account={"batch_size": 20}).run()
    bodies = {r[0]: r[1] for r in db.conn.execute("SELECT subject, body_text FROM messages")}
    assert len(bodies) == 60
    for i in range(60):
        assert f"uniqueword{i}x" in bodies[f"s{i}"], (i, bodies[f"s{i}"])


def test_a_format_flowed_body_is_cached_as_its_paragraphs(dovecot: Dovecot) -> None:
    # The section fetched alone carries no header: format and delsp come from BODYSTRUCTURE.
    flowed = (
        "seit heute Morgen funktioniert die Kalender-Synchronisation mit Outlook nicht \r\n"
        "mehr.\r\n\r\n> Die Synchronisation sollte jetzt wieder \r\n> laufen.\r\n"
    )
    head = "From: j@weiss.test\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: {}\r\n"
    plain = "text/plain; charset=iso-8859-1; format=flowed\r\nContent-Transfer-Encoding: quoted-printable"
    mixed = 'multipart/mixed; boundary="b"'
    append(
        dovecot,
        [
            (head.format("plain", plain) + "\r\n").encode() + quopri.encodestring(flowed.encode("latin-1")),
            (
                head.format("mixed", mixed)
                + "\r\n--b\r\nContent-Type: text/plain; format=Flowed; DelSp=Yes\r\n\r\n"
            ).encode()
            + b"Datei \r\nanbei\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n",
        ],
    )
    db = open_cache()
    _engine(db, dovecot).run()
    bodies = {r[0]: r[1] for r in db.conn.execute("SELECT subject, body_text FROM messages")}
    assert bodies["plain"] == (
        "seit heute Morgen funktioniert die Kalender-Synchronisation mit Outlook nicht mehr.\n\n"
        "> Die Synchronisation sollte jetzt wieder laufen.\n"
    )
    assert bodies["mixed"] == "Dateianbei"


def test_resync_without_changes_fetches_nothing(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    append(dovecot, [make_message(subject=f"m{i}") for i in range(20)])
    db = open_cache()
    first = _engine(db, dovecot).run()
    ids = db.conn.execute("SELECT id, uid FROM messages ORDER BY id").fetchall()
    spy = FetchSpy(monkeypatch)

    second = _engine(db, dovecot).run()

    assert (second.new, second.updated, second.vanished) == (0, 0, 0)
    assert spy.fetches == [] and spy.searches == []
    assert second.bytes_received < first.bytes_received
    assert db.conn.execute("SELECT id, uid FROM messages ORDER BY id").fetchall() == ids


def test_new_mail_flag_changes_and_expunges_are_picked_up(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(dovecot, [make_message(subject=f"m{i}") for i in range(6)])
    db = open_cache()
    _engine(db, dovecot).run()
    with client(dovecot) as imap:
        imap.select_folder("INBOX")
        imap.add_flags([1], [b"\\Seen"])
        imap.add_flags([2], [b"\\Flagged", b"si-claimed-bob"])
        imap.delete_messages([3])
        imap.expunge()
    append(dovecot, [make_message(subject="late one"), make_message(subject="later one")])
    spy = FetchSpy(monkeypatch)

    result = _engine(db, dovecot).run()

    inbox = result.folder("inbox")
    assert inbox is not None
    assert (inbox.new, inbox.updated, inbox.vanished) == (2, 2, 1)
    assert any(any(m.startswith("CHANGEDSINCE") for m in mods) for _, _, mods in spy.fetches)
    assert cached(db) == on_server(dovecot)
    assert cached(db)[2] == "\\Flagged si-claimed-bob"


def test_without_condstore_changes_are_found_by_comparison(plain_dovecot: Dovecot) -> None:
    server = plain_dovecot
    append(server, [make_message(subject=f"m{i}") for i in range(5)])
    db = open_cache()
    _engine(db, server).run()
    with client(server) as imap:
        assert b"CONDSTORE" not in imap.capabilities()
        imap.select_folder("INBOX")
        imap.add_flags([4], [b"\\Answered"])
        imap.delete_messages([1])
        imap.expunge()
    append(server, [make_message(subject="new")])

    result = _engine(db, server).run()

    inbox = result.folder("inbox")
    assert inbox is not None
    assert (inbox.new, inbox.updated, inbox.vanished) == (1, 1, 1)
    assert cached(db) == on_server(server)


def test_uidvalidity_change_rebuilds_the_folder(dovecot: Dovecot) -> None:
    append(dovecot, [make_message(subject="old spam 1"), make_message(subject="old spam 2")], folder="Junk")
    db = open_cache()
    _engine(db, dovecot).run()
    before = db.conn.execute("SELECT uidvalidity FROM folders WHERE name = 'Junk'").fetchone()[0]
    time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
    with client(dovecot) as imap:
        imap.delete_folder("Junk")
        imap.create_folder("Junk")
    append(dovecot, [make_message(subject="fresh spam")], folder="Junk")

    result = _engine(db, dovecot).run()

    after = db.conn.execute("SELECT uidvalidity FROM folders WHERE name = 'Junk'").fetchone()[0]
    assert after != before
    junk = result.folder("junk")
    assert junk is not None and junk.rebuilt and junk.new == 1
    subjects = db.conn.execute(
        "SELECT subject FROM messages WHERE folder_id = (SELECT id FROM folders WHERE name = 'Junk')"
    ).fetchall()
    assert [s[0] for s in subjects] == ["fresh spam"]


@pytest.mark.dovecot_only  # Cyrus refuses to store a message with NUL bytes
def test_malformed_message_is_cached_with_parse_error(dovecot: Dovecot) -> None:
    append(dovecot, [b"\x00\xff\xfe this is not a mail at all\r\n\r\nbody", make_message(subject="fine")])
    db = open_cache()
    result = _engine(db, dovecot).run()
    assert result.new == 2
    rows = db.conn.execute("SELECT subject, parse_error FROM messages ORDER BY uid").fetchall()
    assert rows[0]["parse_error"] and "malformed" in rows[0]["parse_error"]
    assert (rows[1]["subject"], rows[1]["parse_error"]) == ("fine", None)


def test_big_attachment_is_not_downloaded(dovecot: Dovecot) -> None:
    payload = os.urandom(20 * 1024 * 1024)
    append(
        dovecot,
        [make_message(subject="logs", body="See the attached dump.", attachment=("dump.bin", payload))],
    )
    db = open_cache()
    result = _engine(db, dovecot).run()
    assert result.new == 1
    assert result.bytes_received < 100_000, result.bytes_received
    row = db.conn.execute("SELECT body_text, attachments, size, has_attachments FROM messages").fetchone()
    assert row["body_text"].strip() == "See the attached dump."
    assert row["size"] > 20 * 1024 * 1024
    [attachment] = json.loads(row["attachments"])
    assert attachment["filename"] == "dump.bin" and attachment["part"] == "2"
    assert abs(attachment["size"] - len(payload)) < len(payload) // 100


def test_attachment_is_fetched_on_demand(dovecot: Dovecot) -> None:
    from supportinbox.mail.imap import connect, fetch_part

    payload = os.urandom(300_000)
    append(dovecot, [make_message(attachment=("report.pdf", payload))])
    db = open_cache()
    _engine(db, dovecot).run()
    part = json.loads(db.conn.execute("SELECT attachments FROM messages").fetchone()[0])[0]["part"]
    imap = connect("support", imap_account(dovecot), password="secret")
    try:
        assert fetch_part(imap, "INBOX", 1, part) == payload
    finally:
        imap.logout()


def test_killed_connection_mid_sync_resumes_to_exactly_the_server_set(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(dovecot, [make_message(subject=f"m{i}") for i in range(45)])
    db = open_cache()
    clients: list[IMAPClient] = []
    original_connect = engine_module.connect

    def recording_connect(*args: Any, **kwargs: Any) -> IMAPClient:
        imap = original_connect(*args, **kwargs)
        clients.append(imap)
        return imap

    def kill_after_first_batch(folder: str, done: int, total: int) -> None:
        if done == 10:
            import socket

            clients[-1].socket().shutdown(socket.SHUT_RDWR)

    monkeypatch.setattr(engine_module, "connect", recording_connect)
    with pytest.raises(ConnectionFailed, match=r"127\.0\.0\.1"):
        _engine(db, dovecot, account={"batch_size": 10}, progress=kill_after_first_batch).run()
    assert len(cached(db)) == 10  # the completed batch was kept
    assert max(cached(db)) == 45  # newest first

    result = _engine(db, dovecot, account={"batch_size": 10}).run()

    assert result.new == 35
    assert cached(db) == on_server(dovecot)
    total = db.conn.execute("SELECT COUNT(*), COUNT(DISTINCT uid) FROM messages").fetchone()
    assert tuple(total) == (45, 45)


def test_full_disk_keeps_the_cache_consistent(dovecot: Dovecot) -> None:
    append(dovecot, [make_message(subject=f"m{i}", body="x" * 3000) for i in range(60)])
    db = open_cache()
    pages = int(db.conn.execute("PRAGMA page_count").fetchone()[0])
    db.conn.execute(f"PRAGMA max_page_count = {pages + 40}")
    with pytest.raises(StorageError, match="full"):
        _engine(db, dovecot, account={"batch_size": 10}).run()
    assert db.integrity_ok()
    assert len(cached(db)) % 10 == 0  # only whole batches

    db.conn.execute("PRAGMA max_page_count = 1073741823")
    _engine(db, dovecot, account={"batch_size": 10}).run()
    assert cached(db) == on_server(dovecot)


def test_queued_changes_are_flushed_and_failures_stay_queued(dovecot: Dovecot) -> None:
    from supportinbox.store.pending import enqueue, list_pending

    append(dovecot, [make_message(subject=f"m{i}") for i in range(3)])
    db = open_cache()
    _engine(db, dovecot).run()
    with db.transaction() as conn:
        enqueue(conn, "add_flags", {"folder": "INBOX", "uid": 1, "flags": ["\\Flagged", "si-status-open"]})
        enqueue(conn, "move", {"folder": "INBOX", "uid": 2, "dest": "No Such Folder"})
        enqueue(conn, "move", {"folder": "INBOX", "uid": 3, "dest": "Junk"})
        enqueue(conn, "remove_flags", {"folder": "INBOX", "uid": 1, "flags": ["si-status-open"]})

    result = _engine(db, dovecot).run()

    assert (result.pending_done, result.pending_failed) == (3, 1)
    [left] = list_pending(db.conn)
    assert left.kind == "move" and left.attempts == 1 and left.last_error
    assert on_server(dovecot) == {1: "\\Flagged", 2: ""}
    assert len(on_server(dovecot, "Junk")) == 1
    assert cached(db) == on_server(dovecot)
    assert len(cached(db, "Junk")) == 1


def test_a_second_sync_waits_then_reports_busy(dovecot: Dovecot) -> None:
    from supportinbox.errors import SyncBusy
    from supportinbox.sync.lock import account_lock

    db = open_cache()
    with account_lock("support"), pytest.raises(SyncBusy, match=f"already running \\(pid {os.getpid()}\\)"):
        _engine(db, dovecot, lock_wait=0.2).run()
    _engine(db, dovecot, lock_wait=0.2).run()  # released: runs


def test_hooks_run_around_the_folders(dovecot: Dovecot) -> None:
    calls: list[tuple[str, Any]] = []

    class Hook:
        def before(self, imap: IMAPClient, db: Database, folders: Any) -> None:
            calls.append(("before", folders.by_role()))

        def after(self, imap: IMAPClient, db: Database, folders: Any) -> None:
            count = db.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            calls.append(("after", count))

    append(dovecot, [make_message()])
    _engine(open_cache(), dovecot, hooks=[Hook()]).run()
    assert calls == [("before", {"inbox": "INBOX", "junk": "Junk", "sent": "Sent"}), ("after", 1)]


def test_only_the_requested_folders_are_synced(dovecot: Dovecot) -> None:
    append(dovecot, [make_message()])
    append(dovecot, [make_message()], folder="Junk")
    db = open_cache()
    result = _engine(db, dovecot, folders=["junk"]).run()
    assert [f.name for f in result.folders] == ["Junk"]
    assert cached(db) == {} and len(cached(db, "Junk")) == 1


def test_wait_for_changes_sees_new_mail_by_idle(dovecot: Dovecot) -> None:
    _sees_new_mail(dovecot)


def test_wait_for_changes_sees_new_mail_by_polling(plain_dovecot: Dovecot) -> None:
    _sees_new_mail(plain_dovecot)


def _sees_new_mail(server: Dovecot) -> None:
    import threading

    from supportinbox.mail.idle import FolderWatch
    from supportinbox.mail.imap import connect

    imap = connect("support", imap_account(server), password="secret")
    imap.select_folder("INBOX", readonly=True)
    watch = FolderWatch(imap, timeout=10, noop_poll=0.1)
    try:
        assert not watch.wait(0.3)
        timer = threading.Timer(0.3, lambda: append(server, [make_message()]))
        timer.start()
        try:
            assert watch.wait(20).selected
        finally:
            timer.join()
    finally:
        watch.close()
