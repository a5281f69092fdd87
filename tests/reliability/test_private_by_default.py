"""Small privacy rules: only our own folders are tightened, the log leaves out addresses,
and ``ca_file`` may start with ``~`` for SMTP as for IMAP."""

from __future__ import annotations

import logging
import ssl
import stat
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.cli.app import setup_logging
from supportinbox.config import parse_config
from supportinbox.mail import smtp
from supportinbox.team.hook import TeamSyncHook
from tests.harness.dovecot import Dovecot
from tests.harness.replies import run_cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_with_a_config_in_a_shared_folder_leaves_that_folder_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    assert run_cli(capsys, "--config", str(shared / "config.toml"), "init").code == 0
    assert _mode(shared) == 0o1777
    assert _mode(shared / "config.toml") == 0o600

    fresh = tmp_path / "made-by-init" / "config.toml"
    assert run_cli(capsys, "--config", str(fresh), "init").code == 0
    assert _mode(fresh.parent) == 0o700  # created by us: ours to restrict


def test_our_own_folders_are_still_tightened(supportinbox_home: Path) -> None:
    state = paths.state_dir()
    state.mkdir(parents=True)
    state.chmod(0o755)
    paths.ensure_private_dir(state / "drafts")
    paths.ensure_private_dir(state)
    assert _mode(state) == 0o700 and _mode(state / "drafts") == 0o700


def _log_text() -> str:
    logging.shutdown()
    return paths.log_file().read_text(encoding="utf-8")


@pytest.mark.parametrize("debug", [False, True])
def test_the_log_names_ids_not_addresses_unless_debug(supportinbox_home: Path, debug: bool) -> None:
    setup_logging(debug)
    try:
        log = logging.getLogger("supportinbox.test")
        log.error("reply #12 not sent: the server refused lina.haddad@customer.test \x1b]0;x\x07(550)")
        try:
            raise ValueError("no such user <ann@customer.test>")
        except ValueError:
            log.exception("internal error")
        text = _log_text()
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    assert "reply #12 not sent" in text
    if debug:
        assert "lina.haddad@customer.test" in text and "ann@customer.test" in text
    else:
        assert "@customer.test" not in text, text
        assert "<address>" in text and "\x1b" not in text and "ValueError" in text


def test_a_team_conflict_is_logged_by_conversation_id_without_its_subject(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from supportinbox.store.db import open_database
    from tests.store.factories import NOW, add_message
    from tests.store.test_ours import CONFIG

    config = parse_config(CONFIG)
    name, account = config.account()
    db = open_database(tmp_path / "cache.sqlite3")
    add_message(db, message_id="<q@customer.test>", subject="My divorce papers", when=NOW)
    from supportinbox.store.conversations import refresh_conversations

    refresh_conversations(db, config, account, now=NOW)
    cid = str(db.conn.execute("SELECT id FROM conversations").fetchone()[0])
    hook = TeamSyncHook(config, name, account)
    with caplog.at_level(logging.WARNING, logger="supportinbox"):
        hook._event(db, cid, "conflict", "bob", "bob claimed it first")
    db.close()
    assert cid in caplog.text and "bob claimed it first" in caplog.text
    assert "divorce" not in caplog.text
    assert "divorce" in hook.summary_lines()[0]  # the user's own summary still says which


def test_ca_file_starting_with_a_tilde_is_loaded_for_smtp(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "user-home"
    (home / "certs").mkdir(parents=True)
    (home / "certs" / "ca.pem").write_bytes(dovecot.cert_file.read_bytes())
    monkeypatch.setenv("HOME", str(home))
    config = parse_config(
        '[accounts.a]\nemail = "a@b.test"\nusername = "a"\nimap_host = "mail.b.test"\n'
        'ca_file = "~/certs/ca.pem"\n'
    )
    account = config.account()[1]
    assert account.ca_file == home / "certs" / "ca.pem"
    context = smtp.tls_context(account)
    ours = ssl._ssl._test_decode_cert(str(dovecot.cert_file))  # type: ignore[attr-defined]
    assert ours["subject"] in [c.get("subject") for c in context.get_ca_certs()]


def test_a_record_is_replaced_whole_and_private(tmp_path: Path) -> None:
    """The quick paths' records: a reader sees the old one or the new one, never half."""
    target = tmp_path / "state" / "record.json"
    assert paths.replace_private_file(target, '{"a": 1}')
    assert target.read_text() == '{"a": 1}' and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    before = target.stat().st_ino
    assert paths.replace_private_file(target, '{"a": 2}')
    assert target.read_text() == '{"a": 2}' and target.stat().st_ino != before  # renamed in place
    assert [p.name for p in target.parent.iterdir()] == ["record.json"]  # nothing left beside it
    blocked = tmp_path / "a-file"  # where its folder should be: said, not raised
    blocked.write_text("")
    assert not paths.replace_private_file(blocked / "record.json", '{"a": 3}')
    assert target.read_text() == '{"a": 2}'
