"""Internal notes written with ``n``: shown in the thread at once, and on the real server a
teammate's next sync brings the note into their cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.dom import DOMNode

from supportinbox.config import load_config
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.note import NoteModal
from supportinbox.tui.widgets.thread_view import NoteBlock
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.team import app_account_and_bob
from tests.tui.support import (
    SIZE,
    demo_app,
    first_conversation,
    open_conversation,
    pilot_test,
    queue,
    settle,
    sharing,
    wait_until,
)

MID = "<tui-note@customer.test>"


def _note_texts(screen: DOMNode) -> list[str]:
    return [block.text for block in screen.query(NoteBlock)]


@pilot_test
async def test_n_writes_a_note_that_shows_in_the_thread() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Locked out")
        before = _note_texts(screen)
        assert not any("Reset link sent" in text for text in before)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        await pilot.press(*"Reset link sent by phone")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen_stack[-1] is screen
        after = _note_texts(screen)
        assert len(after) == len(before) + 1
        assert any("Reset link sent by phone" in text for text in after)


@pilot_test
async def test_an_empty_or_cancelled_note_saves_nothing() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        cid = queue(app).current.id  # type: ignore[union-attr]
        count = len(app.service.conversation(cid).notes)
        await pilot.press("n")
        await pilot.press("space", "space", "ctrl+s")
        await settle(pilot)
        await pilot.press("n")
        await pilot.press(*"never mind", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, NoteModal)
        assert len(app.service.conversation(cid).notes) == count


@pytest.mark.server
@pilot_test
async def test_a_note_reaches_a_teammate_at_their_next_sync(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Refund please", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteModal))
        await pilot.press(*"Refund approved by finance")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, ConversationScreen)
                and any("Refund approved by finance" in t for t in _note_texts(app.screen))
            ),
        )
        await wait_until(pilot, lambda: not sharing(app))  # uploaded in the background

    assert (
        bob.db.conn.execute("SELECT COUNT(*) FROM notes WHERE conversation_id = ?", (cid,)).fetchone()[0] == 0
    )
    bob.sync()
    rows = bob.db.conn.execute("SELECT author, body FROM notes WHERE conversation_id = ?", (cid,)).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("alice", "Refund approved by finance")]


@pilot_test
async def test_a_right_to_left_note_reads_right_row_by_row_under_its_head() -> None:
    """An Arabic note reads as an Arabic message does: each drawn row isolated right to left
    and aligned right; its head line and a note in English stay left to right.

    Drawn as one left-to-right block, the closing "[/]" of "... اتصل به [/]" stood at the
    row's right end in a terminal that orders bidi text: the start of an Arabic line.
    """
    from textual.containers import VerticalScroll

    from supportinbox.domain.conversation import Note
    from supportinbox.domain.safetext import has_right_to_left
    from tests.harness.bidi import drawn, logical

    arabic = (
        "العميل غاضب جدا من الفاتورة الثانية — اتصل به اليوم قبل الساعة الخامسة مساء، ولا ترسل له بريدا [/]"
    )
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("enter")
        await settle(pilot)
        scroll = app.screen.query_one("#thread", VerticalScroll)
        notes = [
            NoteBlock(Note(author="bob", created_at="2026-12-07T16:07:00+00:00", body=arabic)),
            NoteBlock(Note(author="alice", created_at="2026-12-07T16:08:00+00:00", body="Call him back [/]")),
        ]
        await scroll.mount_all(notes, before=0)
        await pilot.pause()
        head, body = notes[0].query_one(".note-head"), notes[0].query_one(".note-body")
        assert body.has_class("rtl") and not head.has_class("rtl")
        assert not notes[1].query_one(".note-body").has_class("rtl")
        rows = [strip.text for strip in body.render_lines(body.region.reset_offset)]
        written = [row for row in rows if has_right_to_left(row)]
        assert len(written) >= 2, rows  # wrapped at 80 columns
        for row in written:
            text = logical(row)
            content = text.strip(" ")
            assert drawn(row) == text.replace(content, drawn(content, base_dir="R")), drawn(row)
            assert text.endswith(content), text  # aligned right
        head_row = head.render_lines(head.region.reset_offset)[0].text
        assert head_row.startswith("Internal note · bob")
        assert "[/]" in notes[0].text and "Call him back [/]" in notes[1].text
