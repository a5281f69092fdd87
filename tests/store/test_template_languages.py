"""Templates in the customer's language on the command line (no server contacted)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from tests.conftest import write_config
from tests.harness.replies import run_cli
from tests.store.factories import NOW, add_message
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG


@pytest.fixture
def cached(
    supportinbox_home: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Database, str, str]]:
    """A German and an English customer; the shipped templates (with .de and .ar variants)."""
    write_config(supportinbox_home, CONFIG)
    assert run_cli(capsys, "templates", "install").code == 0
    config = load_config()
    name, account = config.account()
    db = open_database(account=name)
    add_message(
        db,
        message_id="<de@customer.test>",
        sender="greta@hoffmann.test",
        name="Greta Hoffmann",
        subject="Rechnung fehlt",
        body="Hallo, ich habe meine Rechnung für November noch nicht bekommen. Können Sie sie schicken?",
        when=NOW,
    )
    add_message(
        db,
        message_id="<en@customer.test>",
        subject="Invoice missing",
        body="Hello, I have not received my invoice for November yet. Could you send it?",
        when=NOW,
    )
    refresh_conversations(db, config, account, now=NOW)
    ids = dict(db.conn.execute("SELECT message_id, conversation_id FROM messages").fetchall())
    yield db, str(ids["<de@customer.test>"]), str(ids["<en@customer.test>"])
    db.close()


DRAFT_ONLY = "draft only, nothing was sent: add --send to send it\n"  # no language note beside it


def test_the_customers_language_is_chosen_and_said(
    cached: tuple[Database, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, german, english = cached
    result = run_cli(capsys, "reply", german, "--template", "acknowledge-investigating")
    assert result.code == 0, result.err
    assert "Hallo Greta," in result.out and "Viele Grüße" in result.out
    assert "template acknowledge-investigating.de: the customer writes Deutsch (de)" in result.err
    assert "--lang en for acknowledge-investigating" in result.err
    plain = run_cli(capsys, "reply", english, "--template", "acknowledge-investigating")
    assert plain.code == 0 and "Hi Lina," in plain.out and plain.err == DRAFT_ONLY


def test_lang_overrides_and_names_the_variants_there_are(
    cached: tuple[Database, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, german, _ = cached
    english = run_cli(capsys, "reply", german, "--template", "acknowledge-investigating", "--lang", "en")
    assert english.code == 0 and "Hi Greta," in english.out
    arabic = run_cli(capsys, "reply", german, "--template", "acknowledge-investigating", "--lang", "ar")
    assert arabic.code == 0 and "مرحباً Greta،" in arabic.out
    missing = run_cli(capsys, "reply", german, "--template", "acknowledge-investigating", "--lang", "fr")
    assert missing.code != 0
    assert "no template 'acknowledge-investigating.fr'" in missing.err
    assert "acknowledge-investigating.ar, acknowledge-investigating.de" in missing.err
    none = run_cli(capsys, "reply", german, "--template", "login-help")
    assert none.code == 0 and "Hi Greta," in none.out  # no German variant: the base, silently


def test_a_customer_in_a_language_without_a_variant_is_told_on_stderr(
    cached: tuple[Database, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _, _ = cached
    add_message(
        db,
        message_id="<fa@customer.test>",
        sender="maryam@example.ir",
        name="مریم احمدی",
        subject="مشکل در پرداخت",
        body="سلام،\nپرداخت من انجام شد ولی اشتراک من فعال نشده است. لطفا بررسی کنید.\nممنون",
        when=NOW,
    )
    config = load_config()
    refresh_conversations(db, config, config.account()[1], now=NOW)
    (persian,) = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = '<fa@customer.test>'"
    ).fetchone()
    result = run_cli(capsys, "reply", str(persian), "--template", "acknowledge-investigating")
    assert result.code == 0, result.err
    assert "Hi مریم," in result.out  # the base template, as before
    assert result.err == (
        "template acknowledge-investigating: the customer writes فارسی (fa), no variant in it; "
        "the variants there are: --lang ar, --lang de\n" + DRAFT_ONLY
    )


def test_too_little_text_to_tell_the_language_is_said_with_the_variants(
    cached: tuple[Database, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The README promises a line for unclear text too; before, the base template came silently."""
    db, _, _ = cached
    add_message(
        db,
        message_id="<short@customer.test>",
        sender="lucia@d.test",
        name="Lucia Perez",
        subject="PDF",
        body="PDF?",
        when=NOW,
    )
    config = load_config()
    refresh_conversations(db, config, config.account()[1], now=NOW)
    (short,) = db.conn.execute(
        "SELECT conversation_id FROM messages WHERE message_id = '<short@customer.test>'"
    ).fetchone()
    result = run_cli(capsys, "reply", str(short), "--template", "acknowledge-investigating")
    assert result.code == 0, result.err
    assert "Hi Lucia," in result.out
    assert result.err == (
        "template acknowledge-investigating: the customer's language is not clear from what they wrote; "
        "the variants there are: --lang ar, --lang de\n" + DRAFT_ONLY
    )
    plain = run_cli(capsys, "reply", str(short), "--template", "login-help")  # no variants: nothing to say
    assert plain.code == 0 and plain.err == DRAFT_ONLY
