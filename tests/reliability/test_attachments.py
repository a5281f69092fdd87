"""Saving attachments: hostile names stay inside the folder and nothing is overwritten."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportinbox.errors import StorageError
from supportinbox.mail.attachments import MAX_NAME_BYTES, safe_filename, safe_save
from supportinbox.mail.imap import connect, fetch_part
from supportinbox.sync.engine import SyncEngine
from tests.harness.accounts import imap_account, open_cache
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append

CORPUS = Path(__file__).resolve().parent / "corpus"

HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\Windows\\system.ini",
    "/etc/shadow",
    "C:\\boot.ini",
    "..",
    ".",
    "",
    None,
    "   ",
    "NUL",
    "con.txt",
    "COM1.log",
    "lpt9",
    "invoice\u202egpj.exe",
    "report\x1b]8;;http://evil.test\x07.pdf",
    "a\x00b.txt",
    "line\nbreak.txt",
    ".bashrc",
    "x" * 1000 + ".pdf",
    "ب" * 300 + ".txt",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_stay_inside(tmp_path: Path, name: str | None) -> None:
    target = tmp_path / "downloads"
    saved = safe_save(target, name, b"data")
    assert saved.parent == target.resolve()
    assert saved.read_bytes() == b"data"
    assert list(target.iterdir()) == [saved]
    assert not (tmp_path / "etc").exists()
    assert len(saved.name.encode()) <= MAX_NAME_BYTES + 12


def test_specific_sanitisations() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\dir\\boot.ini") == "boot.ini"
    assert safe_filename("NUL") == "_NUL"
    assert safe_filename("con.txt") == "_con.txt"
    assert safe_filename("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert safe_filename("") == "attachment"
    assert safe_filename("..") == "attachment"
    assert safe_filename(".bashrc") == "bashrc"
    assert safe_filename("x" * 1000 + ".pdf").endswith(".pdf")
    assert safe_filename("ملف العميل.pdf") == "ملف العميل.pdf"


def test_never_overwrites(tmp_path: Path) -> None:
    first = safe_save(tmp_path, "report.pdf", b"one")
    second = safe_save(tmp_path, "report.pdf", b"two")
    third = safe_save(tmp_path, "../report.pdf", b"three")
    assert [p.name for p in (first, second, third)] == ["report.pdf", "report (1).pdf", "report (2).pdf"]
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    assert safe_save(tmp_path, "README", b"a").name == "README"
    assert safe_save(tmp_path, "README", b"b").name == "README (1)"


def test_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "invoice.pdf").symlink_to(outside)
    saved = safe_save(folder, "invoice.pdf", b"attacker")
    assert saved.name == "invoice (1).pdf"
    assert outside.read_bytes() == b"precious"


def test_file_is_private_and_missing_folder_created_private(tmp_path: Path) -> None:
    saved = safe_save(tmp_path / "new" / "dir", "a.txt", b"x")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700


def test_unusable_folder_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot use the folder"):
        safe_save(blocker, "a.txt", b"x")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_name_is_one_plain_component(name: str) -> None:
    out = safe_filename(name)
    assert out and out not in (".", "..")
    assert "/" not in out and "\\" not in out and "\x00" not in out
    assert not out.startswith(".")
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in out)
    assert len(out.encode("utf-8")) <= MAX_NAME_BYTES
    assert os.path.basename(out) == out


@pytest.mark.server
def test_hostile_attachments_synced_fetched_and_saved_inside_the_folder(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """The corpus message with traversal names, end to end: sync, fetch_part, safe_save."""
    raw = next(CORPUS.glob("*-attachment-name-traversal.eml")).read_bytes()
    append(dovecot, [raw])
    account = imap_account(dovecot)
    db = open_cache()
    SyncEngine(db, "support", account, password=dovecot.users["support"]).run()
    (row,) = db.conn.execute("SELECT uid, attachments FROM messages").fetchall()
    attachments = json.loads(row["attachments"])
    assert len(attachments) == 7
    target = tmp_path / "downloads"
    client = connect("support", account, password=dovecot.users["support"])
    try:
        saved = [
            safe_save(target, a["filename"], fetch_part(client, "INBOX", int(row["uid"]), a["part"]))
            for a in attachments
        ]
    finally:
        client.logout()
    assert all(p.parent == target.resolve() for p in saved)
    assert sorted(p.read_bytes() for p in saved) == sorted(
        [b"rm -rf ~", b"root::0:0", b"x", b"MZ", b"dev", b"empty", b"nul"]
    )
    assert len({p.name for p in saved}) == 7 and not (tmp_path / "etc").exists()
