"""A Junk suspect is read, with why it is one, before it is rescued; reading it moves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.help import HelpScreen
from supportinbox.tui.screens.junk import SuspectScreen
from supportinbox.tui.widgets.directed_text import DirectedText
from supportinbox.tui.widgets.junk_list import JunkList
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import setup_account
from tests.tui.support import demo_app, pilot_test, select_subject, settle, wait_until

ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))


def screen_text(app: SupportInboxApp) -> list[str]:
    """The terminal's rows as drawn, without the isolates that direct right-to-left fields."""
    return [strip.text.translate(ISOLATES) for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("opening", ["5", "J"])
@pilot_test
async def test_a_suspect_is_read_with_its_reasons_then_rescued(opening: str) -> None:
    """Enter on a suspect only said "Press ! to move it to the inbox": it could not be read
    before it joined the inbox."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        service = app.service
        (suspect,) = service.junk_suspects()
        counts = service.view_counts()
        first_line = service.junk_message(suspect).body_text.strip().splitlines()[0]
        await pilot.press(opening)
        await settle(pilot)
        listed = app.screen
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("⏎", "Read", "junk_read") in app.screen._rows
        await pilot.press("escape")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SuspectScreen)
        rows = screen_text(app)
        shown = "\n".join(rows)
        assert first_line in shown
        assert "Why: +30 sender wrote to the inbox before" in shown
        assert "reading it here moves nothing; ! moves it to the inbox" in shown
        assert rows[-1].startswith(" esc Back  ! Rescue"), rows[-1]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {ident: (key, does) for key, does, ident in app.screen._rows}
        assert keys["rescue"] == ("!, R", "Rescue") and keys["suspect_back"] == ("esc, ⌫", "Back")
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is listed
        assert service.junk_suspects() == [suspect] and service.view_counts() == counts
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert app.screen is listed
        assert service.junk_suspects() == []
        assert app.screen.query_one(JunkList).row_count == 0
        assert any("Rescued to the inbox" in n.message for n in app._notifications)


HOSTILE_BODY = (
    "مرحبا، لا أستطيع تصدير الفواتير منذ أمس.\n\n"
    "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J[bold red]pay now[/] [@click=app.quit]here[/]\n"
)


@pytest.mark.server
@pilot_test
async def test_hostile_and_right_to_left_mail_is_read_inert_and_left_in_junk(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    question = make_message(sender="سارة <sara@customer.test>", subject="Invoices", message_id="<h1@c.test>")
    followup = make_message(
        sender="سارة <sara@customer.test>",
        subject="Re: Invoices [/] [@click=app.quit]x",
        body=HOSTILE_BODY,
        attachment=("invoice.pdf", b"%PDF-1.4 not really"),
        message_id="<h2@c.test>",
        in_reply_to="<h1@c.test>",
        references="<h1@c.test>",
    )
    setup = setup_account(supportinbox_home, dovecot, None, [question], extra="\n[ui]\nidle = false\n")
    append(dovecot, [followup], "Junk")
    setup.sync()
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("J")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SuspectScreen)
        shown = "\n".join(screen_text(app))
        assert "\x1b" not in shown and "\x07" not in shown
        assert "[bold red]pay now[/] [@click=app.quit]here[/]" in shown  # as written, not as markup
        assert "Re: Invoices [/] [@click=app.quit]x" in shown
        # Listed, but not offered to save: it is read here only to decide on a rescue.
        assert "📎 invoice.pdf" in shown and "to save" not in shown
        (body,) = [t for t in screen.query(DirectedText) if "مرحبا" in str(t.render())]
        assert body.has_class("rtl")
        drawn = [strip.text for strip in app.screen._compositor.render_strips()]
        (arabic,) = [row for row in drawn if "مرحبا" in row]
        assert "\u2067مرحبا" in arabic and arabic.rstrip().endswith("\u2069")  # its row read right to left
        await pilot.press("e", "H", "j", "G", "g")  # reading keys: nothing leaves Junk
        await settle(pilot)
        assert isinstance(app.screen, SuspectScreen)
        with client(dovecot) as imap:
            imap.select_folder("Junk", readonly=True)
            (uid,) = imap.search(["ALL"])
            assert b"\\Seen" not in imap.get_flags([uid])[uid]  # read here, not marked read there
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: not app.service.junk_suspects())
        await settle(pilot)
        assert not isinstance(app.screen, SuspectScreen)
    with client(dovecot) as imap:
        imap.select_folder("Junk", readonly=True)
        assert imap.search(["ALL"]) == []
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search(["HEADER", "Message-ID", "<h2@c.test>"])) == 1


@pytest.mark.parametrize("when", ["before Enter", "while read"])
@pilot_test
async def test_a_suspect_gone_from_the_cache_is_said_and_not_shown(when: str) -> None:
    """Gone before Enter (a teammate rescued it, a sync saw it deleted): said, the list
    re-read; gone while read: the reading screen says so and goes back to the list."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        service = app.service
        (suspect,) = service.junk_suspects()
        await pilot.press("J")
        await settle(pilot)
        listed = app.screen
        if when == "while read":
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SuspectScreen)
        with service.writer() as db:
            db.conn.execute("DELETE FROM messages WHERE id = ?", (suspect.rowid,))
            db.conn.commit()
        if when == "while read":
            app.refresh_views()
        else:
            await pilot.press("enter")
        await settle(pilot)
        assert app.screen is listed
        said = "This message is no longer in Junk: it was moved or deleted on the server."
        assert [n.message for n in app._notifications][-1:] == [said]
        assert app.screen.query_one(JunkList).row_count == 0


@pilot_test
async def test_mail_moved_to_junk_by_hand_is_found_again_and_rescued() -> None:
    """ "It can be rescued from the Junk suspects view", said the Move to Junk dialog; but
    mail moved there by hand is seldom a suspect (its sender no longer writes to the inbox),
    and the view listed only suspects: it could not be found again in the app."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        service = app.service
        open_before = service.view_counts()["open"]
        await select_subject(pilot, "Keyboard shortcuts")
        await pilot.press("exclamation_mark")
        await settle(pilot)
        said = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "rescued from the Junk view (5; a lists all of Junk" in said, said
        await pilot.press("y")
        await settle(pilot)
        assert service.view_counts()["open"] == open_before - 1
        await pilot.press("5")
        await settle(pilot)
        junk = app.screen.query_one(JunkList)
        assert not any("Keyboard shortcuts" in s.subject for s in service.junk_suspects())
        assert "a All of Junk" in screen_text(app)[-1]
        await pilot.press("a")
        await settle(pilot)
        assert junk.showing_all and "a Suspects only" in screen_text(app)[-1]
        subjects = [s.subject for s in service.junk_suspects(everything=True)]
        assert junk.row_count == len(subjects) > 1
        while junk.current is not None and "Keyboard shortcuts" not in junk.current.subject:
            await pilot.press("j")
        assert junk.current is not None and not junk.current.suspect
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SuspectScreen)
        assert "Keyboard shortcuts list?" in "\n".join(screen_text(app))
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert service.view_counts()["open"] == open_before
        assert not any(
            "Keyboard shortcuts" in s for s in (x.subject for x in service.junk_suspects(everything=True))
        )
        await pilot.press("a")
        await settle(pilot)
        assert not junk.showing_all and junk.row_count == len(service.junk_suspects())


@pilot_test
async def test_an_empty_junk_list_offers_nothing_to_read_or_rescue() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert screen_text(app)[-1].startswith(" ⏎ Read  ! Rescue")
        keys = {k.description: k.has_class("-disabled") for k in app.screen.query(FooterKey)}
        assert keys["Read"] is False and keys["Rescue"] is False
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert app.screen.query_one(JunkList).row_count == 0
        keys = {k.description: k.has_class("-disabled") for k in app.screen.query(FooterKey)}
        assert keys["Read"] is True and keys["Rescue"] is True
