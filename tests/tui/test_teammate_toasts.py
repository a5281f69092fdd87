"""What a teammate does to a conversation one holds is said in a toast after the sync, not
only found by opening it: a hand-over to one, a teammate's note (a reply sent anyway leaves
one), and conflicts. Teammates' text is shown as typed, never read as markup or escapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from textual.widgets._toast import Toast

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import UndoModal
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.harness.bidi import assert_fields_read_right
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import Teammate, app_account_and_bob
from tests.tui.support import SIZE, pilot_test, select_subject, wait_until

MID = "<tui-toast@customer.test>"
OTHER = "<tui-toast-other@customer.test>"
HOSTILE = "Careful [bold red]x[/] \x1b]52;c;Zm9v\x07end \u202ereversed\u202c [@click=app.quit]q[/]"


def _team_toasts(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Teammates"]


def _jonas_and_ann(home: Path, base: Path, dovecot: Dovecot) -> tuple[str, str, Teammate]:
    """Alice's account (the app's) and bob, both synced, with Jonas's conversation and Ann's;
    their ids, and bob. IDLE is off: the app syncs when the test asks."""
    message = make_message(sender="Jonas <jonas@weber-it.test>", subject="Export fails", message_id=MID)
    cid, bob = app_account_and_bob(home, base, dovecot, message, MID, extra="\n[ui]\nidle = false\n")
    append(dovecot, [make_message(sender="Ann <ann@customer.test>", subject="Other one", message_id=OTHER)])
    bob.sync()
    return cid, bob.conversation_of(OTHER), bob


def _synced(app: SupportInboxApp) -> bool:
    return app.sync_status.last_sync is not None and not app.sync_status.syncing


@pytest.mark.server
@pilot_test
async def test_a_hand_over_and_a_teammates_note_on_ones_conversation_are_toasted_inert(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    cid, other, bob = _jonas_and_ann(supportinbox_home, tmp_path, dovecot)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        assert _team_toasts(app) == []

        assert team_actions.claim(bob.ctx(), cid).online
        assert team_actions.assign(bob.ctx(), cid, "alice", note="you know the export code").online
        assert team_actions.add_note(bob.ctx(), cid, HOSTILE).online
        assert team_actions.add_note(bob.ctx(), other, "not alice's business").online
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(_team_toasts(app)))
        await pilot.pause()

        (said,) = _team_toasts(app)
        lines = said.splitlines()
        assert any(
            line.startswith(f"{cid} (Jonas: Export fails): ") and "assigned it to you" in line
            for line in lines
        )
        assert (
            f"{cid} (Jonas: Export fails): bob added a note: "
            "Handed over to alice by bob: you know the export code" in lines
        )
        assert (
            f"{cid} (Jonas: Export fails): bob added a note: Careful [bold red]x[/] end reversed "
            "[@click=app.quit]q[/]" in lines
        )
        assert "not alice's business" not in said
        assert "\x1b" not in said and "\u202e" not in said
        # On screen as typed: the toast widget shows the brackets, and the app still runs.
        shown = "".join(str(toast.render()) for toast in app.screen.query(Toast))
        assert "[bold red]x[/]" in shown and "[@click=app.quit]q[/]" in shown
        assert app.is_running

        # A teammate taking it away is said too (after the sync it is no longer ours).
        assert team_actions.claim(bob.ctx(), cid, force=True).online
        await pilot.press("s")
        await wait_until(pilot, lambda: len(_team_toasts(app)) == 2)
        assert _team_toasts(app)[1] == f"{cid} (Jonas: Export fails): bob holds it now"


@pytest.mark.server
@pilot_test
async def test_a_claim_a_teammate_made_first_is_not_left_to_undo(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    message = make_message(sender="Chen <chen@lotus-trade.test>", subject="Refund twice", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        # Bob's claim reaches the server before this app hears of it: both pressed at once.
        assert team_actions.claim(bob.ctx(), cid).online
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        modal = app.screen
        assert isinstance(modal, ErrorModal)
        said = str(modal.query_one(".dialog-body", Static).render())
        # Named as the app shows it (it never shows conversation ids): subject and customer.
        assert said == "Your change was not taken: bob holds “Refund twice” (Chen); ask them first."
        # The toast that said the claim stood is gone with it, not left to time out behind.
        assert not any("Claimed by" in str(n.message) for n in app._notifications)
        assert "Claimed by" not in "".join(str(toast.render()) for toast in app.query(Toast))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "bob")
        await pilot.press("u")
        await pilot.pause()
        assert app._notifications and str(list(app._notifications)[-1].message) == "Nothing to undo."
        assert app.service.conversation(cid).summary.assigned_to == "bob"


@pytest.mark.server
@pilot_test
async def test_a_claim_made_while_one_writes_a_reply_to_it_is_said_at_once(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    cid, other, bob = _jonas_and_ann(supportinbox_home, tmp_path, dovecot)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        await select_subject(pilot, "Export fails")  # nobody holds it
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id == "reply-editor")

        assert team_actions.claim(bob.ctx(), cid).online  # bob takes it meanwhile...
        assert team_actions.claim(bob.ctx(), other).online  # ...and another one
        app.action_sync()
        await wait_until(pilot, lambda: any(n.title == "While you write" for n in app._notifications))
        (said,) = [str(n.message) for n in app._notifications if n.title == "While you write"]
        lines = said.splitlines()
        assert lines[0] == f"{cid} (Jonas: Export fails): bob holds it now"
        assert lines[1].startswith("Your reply is checked again when you send it")
        assert len(lines) == 2 and "Other one" not in said
        assert app.screen.id == "reply-editor"  # nothing written is lost


@pytest.mark.server
@pilot_test
async def test_a_contact_form_conversation_is_named_by_its_customer(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    form = make_message(
        sender="Acme Website <noreply@acme.test>",
        subject="New message from the contact form",
        message_id=MID,
        body="Name: Lina Haddad\nMessage: I cannot log in since this morning.",
        headers={"Reply-To": "Lina Haddad <lina@customer.test>"},
    )
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, form, MID, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        assert team_actions.assign(bob.ctx(), cid, "alice", note="she wrote before").online
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(_team_toasts(app)))
        (said,) = _team_toasts(app)
        assert f"{cid} (Lina Haddad: New message from the contact form): bob added a note: " in said, said


@pytest.mark.server
@pilot_test
async def test_a_teammates_reply_to_the_customer_one_writes_to_is_said_while_writing(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(sender="Jonas <jonas@weber-it.test>", subject="Export fails", message_id=MID)
    extra = "\n[ui]\nidle = false\n"
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, dovecot, message, MID, extra, smtp_server)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        await select_subject(pilot, "Export fails")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id == "reply-editor")

        assert [o.status for o in bob.send(bob.draft_reply(cid)).outcomes] == ["sent"]  # bob answers Jonas
        app.action_sync()
        await wait_until(pilot, lambda: any(n.title == "While you write" for n in app._notifications))
        (said,) = [str(n.message) for n in app._notifications if n.title == "While you write"]
        assert said.splitlines()[0] == f"{cid} (Jonas: Export fails): bob replied to the customer"
        assert app.screen.id == "reply-editor"


@pytest.mark.server
@pilot_test
async def test_an_arabic_note_on_an_arabic_conversation_reads_right_in_its_toast(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    """Unisolated, the subject was drawn where the customer's name belongs and the note's
    full stop at its other end: each is a field of the toast's line, isolated."""
    name, subject, note = "أحمد خليل", "مشكلة في الفاتورة 4521.", "تم الإصلاح في الإصدار 2.4."
    message = make_message(sender=f"{name} <ahmed@customer.test>", subject=subject, message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        assert team_actions.assign(bob.ctx(), cid, "alice").online
        assert team_actions.add_note(bob.ctx(), cid, note).online
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(_team_toasts(app)))
        (said,) = _team_toasts(app)
        (line,) = [line for line in said.splitlines() if note in line]
        assert_fields_read_right(line, [name, subject, note])
        # The toast on screen holds them too: its lines are what a terminal is given.
        shown = "".join(str(toast.render()) for toast in app.screen.query(Toast))
        assert f"\u2068{note}\u2069" in shown


@pytest.mark.server
@pilot_test
async def test_the_held_modal_takes_the_while_you_write_warnings_off(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """Bob answers while this reply counts down: the warning comes, then the Held modal says
    the same with its keys; the warning is taken off rather than left over those keys (at
    80x24 it covered "S sends it anyway and d drops it") for its 20 s."""
    message = make_message(sender="Jonas <jonas@weber-it.test>", subject="Export fails", message_id=MID)
    extra = "\n[ui]\nidle = false\n"
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, dovecot, message, MID, extra, smtp_server)
    app = build_app(load_config())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        await select_subject(pilot, "Export fails")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id == "reply-editor")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, UndoModal))
        # Server times have whole seconds: a reply filed in the second this one was queued,
        # and synced, counts as one its writer saw. Bob answers in a later second.
        await pilot.pause(1.2)
        assert [o.status for o in bob.send(bob.draft_reply(cid)).outcomes] == ["sent"]  # bob answers Jonas
        app.action_sync()
        await wait_until(pilot, lambda: any(n.title == "While you write" for n in app._notifications))
        await pilot.press("enter")  # send now
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        modal = app.screen
        assert isinstance(modal, ErrorModal)
        said = str(modal.query_one(".dialog-body", Static).render())
        assert "bob" in said and "sends it anyway" in said, said
        await pilot.pause()
        assert not any(n.title == "While you write" for n in app._notifications)
        assert "While you write" not in "".join(str(toast.render()) for toast in app.query(Toast))


@pytest.mark.server
@pilot_test
async def test_a_claim_refused_for_a_teammate_s_known_claim_names_the_conversation(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    """The refusal said "bob holds x6kalo3f: ask them first": the app shows no conversation ids."""
    message = make_message(sender="Chen <chen@lotus-trade.test>", subject="Refund twice", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    assert team_actions.claim(bob.ctx(), cid).online
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _synced(app))
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "bob")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        said = str(app.screen.query_one(".dialog-body", Static).render())
        assert said == "bob holds “Refund twice” (Chen); ask them first."
        assert cid not in said
