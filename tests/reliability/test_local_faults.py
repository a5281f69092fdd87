"""Local faults: a full disk, a read-only cache folder, a corrupted cache.

Each gives one clear line and a non-zero exit, and loses nothing already cached; a
corrupted cache is rebuilt from the server with ``supportinbox cache rebuild`` (keeping the
outbox). The full disk and the read-only folder are real: a small tmpfs mounted over the
data folder (root only; elsewhere the disk-full test is skipped, and the engine-level
disk-full test with ``PRAGMA max_page_count`` in tests/server/test_sync_engine.py still
runs) remounted read-only, or, without root, a folder without write permission.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.store.db import open_database
from supportinbox.store.outbox import insert
from tests.harness.cliproc import (
    assert_one_clear_line,
    cached_uids,
    config_text,
    database_path,
    integrity_ok,
    open_cache,
    query,
    run_cli,
    server_uids,
    write_config,
)
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

STORAGE_EXIT = 6


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (skips the test where that is impossible)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Dovecot:
    # Bodies of ~8 KB: 60 of them need about half a megabyte of cache.
    append(dovecot, [make_message(subject=f"Case {i}", body=f"Detail {i} " * 800) for i in range(60)])
    return dovecot


def _total(home: Path) -> int:
    with open_cache(home) as conn:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def test_disk_full_is_one_line_and_loses_nothing(mailbox: Dovecot, supportinbox_home: Path) -> None:
    write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port, batch_size=10))
    # Room for the empty cache (~320 KB with every migration) and a few batches, not for all 60.
    with small_disk(supportinbox_home / "data", "800k") as data:
        full = run_cli(supportinbox_home, "sync")
        assert_one_clear_line(full)
        assert full.returncode == STORAGE_EXIT and "full" in full.stderr, full.describe()
        assert integrity_ok(supportinbox_home)
        before = {(r[0], r[1]) for r in query(supportinbox_home, "SELECT uid, subject FROM messages")}
        assert before, "the disk filled before the first batch: the test would prove little"

        # Still full: another attempt fails the same way and keeps what it had.
        again = run_cli(supportinbox_home, "sync")
        assert again.returncode == STORAGE_EXIT
        assert _total(supportinbox_home) >= len(before)

        _remount(data, "size=20m")
        healed = run_cli(supportinbox_home, "sync")
        assert healed.returncode == 0, healed.describe()
        assert integrity_ok(supportinbox_home)
        after = {(r[0], r[1]) for r in query(supportinbox_home, "SELECT uid, subject FROM messages")}
        assert before <= after
        assert cached_uids(supportinbox_home) == server_uids(mailbox)


def test_disk_full_under_the_log_too_is_one_line(mailbox: Dovecot, supportinbox_home: Path) -> None:
    # A real full disk holds the log beside the cache: the line saying so cannot be logged,
    # and that must not print a "--- Logging error ---" traceback above it.
    with small_disk(supportinbox_home, "800k"):
        write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port, batch_size=10))
        full = run_cli(supportinbox_home, "sync")
        assert full.returncode == STORAGE_EXIT and "full" in full.stderr, full.describe()
        assert_one_clear_line(full)
        assert full.stderr.count("\n") == 1 and "Logging error" not in full.stderr, full.describe()
        assert integrity_ok(supportinbox_home)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` read-only: a read-only remount as root (where modes do not bind),
    else taking the write bits away."""
    if os.geteuid() == 0:
        with small_disk(folder, "20m"):
            yield
        return
    yield


def test_read_only_cache_folder_is_one_line_and_loses_nothing(
    mailbox: Dovecot, supportinbox_home: Path
) -> None:
    write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port, batch_size=10))
    data = supportinbox_home / "data"
    with read_only(data):
        assert run_cli(supportinbox_home, "sync").returncode == 0
        count = _total(supportinbox_home)
        append(mailbox, [make_message(subject="arrived while read-only")])
        files = [data, *data.iterdir()]
        if os.geteuid() == 0:
            _remount(data, "ro")
        else:
            for path in files:
                path.chmod(0o500 if path.is_dir() else 0o400)
        try:
            sync = run_cli(supportinbox_home, "sync")
            assert sync.returncode == STORAGE_EXIT, sync.describe()
            assert "read-only" in sync.stderr or "writable" in sync.stderr, sync.describe()
            assert_one_clear_line(sync)
        finally:
            if os.geteuid() == 0:
                _remount(data, "rw")
            else:
                for path in files:
                    path.chmod(0o700 if path.is_dir() else 0o600)
        assert _total(supportinbox_home) == count
        assert run_cli(supportinbox_home, "sync").returncode == 0
        assert cached_uids(supportinbox_home) == server_uids(mailbox)


def _corrupt(path: Path, where: str) -> None:
    data = bytearray(path.read_bytes())
    if where == "header":
        data[0:100] = b"\xde\xad\xbe\xef" * 25
    else:  # every page after the first few: the tables themselves
        page = 4096
        for offset in range(page * 3, len(data), page):
            data[offset + 8 : offset + 200] = os.urandom(192)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["header", "pages"])
def test_corrupt_cache_is_detected_and_rebuilt_keeping_the_outbox(
    where: str, mailbox: Dovecot, supportinbox_home: Path
) -> None:
    write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port, batch_size=10))
    assert run_cli(supportinbox_home, "sync").returncode == 0
    db = open_database(database_path(supportinbox_home))
    with db.transaction() as conn:
        insert(
            conn,
            message_id="<kept@acme.test>",
            recipients=["lina@customer.test"],
            subject="Re: kept",
            raw=b"Subject: Re: kept\r\n\r\nbody\r\n",
            conversation_id=None,
            reply_to_uid=None,
            reply_to_folder=None,
            template=None,
            after_status=None,
            not_before=None,
        )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    _corrupt(database_path(supportinbox_home), where)

    broken = run_cli(supportinbox_home, "sync")
    assert_one_clear_line(broken)
    assert broken.returncode == STORAGE_EXIT and "cache rebuild" in broken.stderr, broken.describe()

    rebuilt = run_cli(supportinbox_home, "cache", "rebuild", "--yes")
    assert rebuilt.returncode == 0, rebuilt.describe()
    assert integrity_ok(supportinbox_home)
    assert cached_uids(supportinbox_home) == server_uids(mailbox)
    with open_cache(supportinbox_home) as conn:
        kept = [r[0] for r in conn.execute("SELECT message_id FROM outbox")]
    if where == "pages":
        # The outbox page may itself be destroyed; then the old file is kept beside the new one.
        backups = list(database_path(supportinbox_home).parent.glob("*unreadable*"))
        assert kept == ["<kept@acme.test>"] or backups, rebuilt.describe()
    else:
        assert kept == ["<kept@acme.test>"] or list(
            database_path(supportinbox_home).parent.glob("*unreadable*")
        )


def test_a_disk_with_no_room_left_is_named_full_by_every_command(
    mailbox: Dovecot, supportinbox_home: Path
) -> None:
    """Filled up by something else after a sync: even opening the cache cannot create its
    shared-memory file, which SQLite reports as a disk I/O error; each command says the disk
    is full, and a rebuild (which writes its lock first) is no internal error."""
    with small_disk(supportinbox_home, "20m") as home:
        write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port))
        assert run_cli(supportinbox_home, "sync").returncode == 0
        rows = _total(supportinbox_home)
        with (home / "filler").open("wb") as filler, contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        for args in (("-a", "support", "list"), ("-a", "support", "sync"), ("cache", "rebuild", "--yes")):
            run = run_cli(supportinbox_home, *args)
            assert_one_clear_line(run)
            assert run.returncode == STORAGE_EXIT, run.describe()
            assert "is full: free some space" in run.stderr, run.describe()
        (home / "filler").unlink()
        assert integrity_ok(supportinbox_home) and _total(supportinbox_home) == rows


@pytest.mark.parametrize("room", [1.6, 2.2, 2.4, 2.6, 2.8])
def test_a_rebuild_on_a_nearly_full_disk_never_swaps_in_a_broken_cache(
    room: float, mailbox: Dovecot, supportinbox_home: Path
) -> None:
    """Room for the new cache's write-ahead log, not for the log and the file it is copied
    into (``room``: times the cache's size): the rebuild either completes whole or stops
    and keeps the old cache. Before, it swapped in a file without its log: corrupt."""
    write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port))
    with small_disk(supportinbox_home / "data", "20m") as data:
        assert run_cli(supportinbox_home, "sync").returncode == 0
        rows = _total(supportinbox_home)
        used = sum(f.stat().st_size for f in data.iterdir())
        cache = database_path(supportinbox_home).stat().st_size
        _remount(data, f"size={(used + int(cache * room)) // 1024}k")
        rebuilt = run_cli(supportinbox_home, "cache", "rebuild", "--yes")
        assert integrity_ok(supportinbox_home), rebuilt.describe()
        assert _total(supportinbox_home) == rows, rebuilt.describe()
        if rebuilt.returncode != 0:
            assert_one_clear_line(rebuilt)
            assert rebuilt.returncode == STORAGE_EXIT and "is full" in rebuilt.stderr, rebuilt.describe()
            assert "the old cache is untouched and still in use" in rebuilt.stderr, rebuilt.describe()
            assert not list(data.glob("*.rebuild*"))
        _remount(data, "size=20m")
        assert run_cli(supportinbox_home, "sync").returncode == 0
        assert integrity_ok(supportinbox_home) and cached_uids(supportinbox_home) == server_uids(mailbox)


def test_what_a_killed_rebuild_left_on_the_disk_it_filled_is_removed_first(
    mailbox: Dovecot, supportinbox_home: Path
) -> None:
    """A rebuild killed on a nearly full disk leaves its new cache, and the disk is full: the
    next sync removes it before it opens the cache, instead of asking to free some space."""
    write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port))
    with small_disk(supportinbox_home / "data", "4m") as data:
        assert run_cli(supportinbox_home, "sync").returncode == 0
        rows = _total(supportinbox_home)
        left = data / (database_path(supportinbox_home).name + ".rebuild")
        with left.open("wb") as filler, contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        synced = run_cli(supportinbox_home, "sync")
        assert synced.returncode == 0, synced.describe()
        assert synced.stderr.startswith(
            f"supportinbox: removed the unfinished new cache a stopped 'cache rebuild' had left ({left}, "
        ), synced.describe()
        assert synced.stderr.count("\n") == 1, synced.describe()
        assert not left.exists() and integrity_ok(supportinbox_home) and _total(supportinbox_home) == rows
