"""Moving through the inbox, opening a conversation, switching views, help and palette."""

from __future__ import annotations

import pytest
from textual.content import Content
from textual.widgets import Footer, Static, Tab
from textual.widgets._footer import FooterKey

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.help import HelpScreen
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.widgets.junk_list import JunkList
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.queue_table import QueueTable
from supportinbox.tui.widgets.status_bar import StatusBar
from supportinbox.tui.widgets.thread_view import MessageBlock, NoteBlock
from tests.tui.support import (
    SIZE,
    demo_app,
    open_conversation,
    pilot_test,
    queue,
    select_subject,
    settle,
    wait_until,
)


@pilot_test
async def test_inbox_opens_on_the_triage_queue_in_list_order() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        table = queue(app)
        service = app.service
        # Each incident is one row in the place of its first member (see incident_rows).
        folded = service.incident_folding("open", set())
        assert table.total == folded.count()
        expected = folded.page(0, 500)
        assert table.total == len(expected) > 20
        assert table.current is not None and table.current.id == expected[0].id
        assert [table.get_row_at(i)[1].plain for i in range(3)] == [
            (s.customer_name or s.customer_email)[:18] for s in expected[:3]
        ]


@pilot_test
async def test_keys_move_the_cursor_through_the_whole_queue() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        await pilot.press("j", "j", "down")
        assert table.position == 3
        await pilot.press("k")
        assert table.position == 2
        await pilot.press("G")
        assert table.position == table.total - 1
        await pilot.press("g")
        assert table.position == 0
        await pilot.press("pagedown")
        assert table.position > 10


@pilot_test
async def test_the_place_in_the_status_bar_counts_conversations_as_the_tab_does() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        bar = app.screen.query_one(StatusBar)
        tab = str(app.screen.query_one("#view-open", Tab).label)
        assert tab == "Open 37"
        assert table.current is not None and table.current.subject.startswith("▸ incident:")
        assert bar.position == "1–4/37"  # the incident's row stands for its four customers
        await pilot.press("j")
        assert bar.position == "5/37"
        await pilot.press("G")
        assert bar.position == "37/37"
        await pilot.press("g", "enter")  # unfolded: the incident's row and each member's
        await settle(pilot)
        assert bar.position == "1–4/37"
        await pilot.press("j")
        assert bar.position == "1/37"
        await pilot.press("j", "j", "j", "j")
        assert bar.position == "5/37"


@pilot_test
async def test_enter_opens_the_thread_with_reasons_notes_and_folded_quotes() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_conversation(pilot, "Locked out")
        blocks = list(screen.query(MessageBlock))
        assert len(blocks) == 2
        folds = [str(w.render()) for w in blocks[1].query(".fold")]
        assert any("quoted lines folded" in f for f in folds)
        await pilot.press("e")
        await settle(pilot)
        assert not list(screen.query(".fold"))
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)

        await select_subject(pilot, "Charged twice")
        await pilot.press("enter")
        await settle(pilot)
        notes = list(app.screen.query(NoteBlock))
        assert notes and "Stripe" in notes[0].text


@pilot_test
async def test_views_switch_by_number_and_show_junk_suspects() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = queue(app)
        assert table.total == app.service.queue_count("pending") > 0
        assert table.current is not None and table.current.status == "pending"
        await pilot.press("5")
        junk = app.screen.query_one(JunkList)
        assert junk.row_count == len(app.service.junk_suspects()) >= 1
        await settle(pilot)
        # The status bar counts this list, not the queue it came from.
        assert app.screen.query_one(StatusBar).position == f"1/{junk.row_count}"
        await pilot.press("6")
        await settle(pilot)
        service = app.service
        # Counted in conversations, as the All tab counts them (the incident's row is four).
        assert app.screen.query_one(StatusBar).position.endswith(f"/{service.queue_count('all')}")
        folded = service.incident_folding("all", set())
        assert queue(app).total == folded.count() == service.queue_count("all") - 3  # 4 reports, 1 row


@pilot_test
async def test_help_lists_every_key_with_its_binding_id() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen._rows}
        assert {"reply", "status_closed", "snooze", "search", "sync", "quit", "claim", "spam"} <= ids
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


@pilot_test
async def test_help_says_which_key_reads_a_conversation() -> None:
    """Enter, bound by the queue table itself, is listed as what it does: read the
    conversation; and o, which only marks one open, is not called the same."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {ident: (keys, description) for keys, description, ident in app.screen._rows}
        assert rows["open"] == ("⏎", "Open")
        assert rows["status_open"] == ("o", "Mark open")
        assert "Escape closes this list." in str(app.screen.query_one(".dialog-hint", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


@pilot_test
async def test_junk_is_called_junk_on_every_key() -> None:
    """The view, J and ! name the same folder with the same word."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen._rows
        assert [row[1] for row in rows if row[2] == "spam"] == ["Move to Junk"]
        assert not [row for row in rows if "spam" in row[1].lower()]
        await pilot.press("escape")
        await select_subject(pilot, "will be closed")
        tooltips = [a.binding.tooltip for a in app.screen.active_bindings.values() if a.binding.id == "spam"]
        assert tooltips and all("Junk" in t and "spam" not in t.lower() for t in tooltips)
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, ConfirmModal)
        shown = " ".join(str(w.render()) for w in app.screen.query("Label, Static, Button"))
        assert "Junk" in shown and "spam" not in shown.lower()


@pilot_test
async def test_command_palette_offers_the_screen_actions() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Reply", "Snooze", "Search", "Close", "Quit"} <= names


@pilot_test
async def test_attachment_is_saved_under_a_safe_name_inside_the_folder() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "will be closed")
        await pilot.press("enter", "d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        folder = app.service.attachments_dir()
        saved = list(folder.iterdir())
        assert len(saved) == 1 and saved[0].parent == folder
        assert ".." not in saved[0].name and "/" not in saved[0].name
        assert saved[0].read_bytes() == b"echo pwned\n"
        assert oct(saved[0].stat().st_mode & 0o777) == "0o600"


@pilot_test
async def test_a_view_switch_builds_each_row_of_the_new_view_once() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = queue(app)
        built: list[str] = []
        original = table._cells

        def counting(item: ConversationSummary) -> list[Content]:
            built.append(item.id)
            return original(item)

        table._cells = counting  # type: ignore[method-assign]
        await pilot.press("6")  # the All view shows other columns than the open queue
        await settle(pilot)
        assert built and len(built) == len(set(built)) == table.row_count


def test_a_fold_counts_its_lines_in_words() -> None:
    from supportinbox.tui.widgets.thread_view import fold_label

    assert fold_label("quote", 1) == "… 1 quoted line folded (e to expand)"
    assert fold_label("signature", 3) == "… 3 signature lines folded (e to expand)"
    assert fold_label("quote", 2, "x") == "… 2 quoted lines folded (x to expand)"


def _thread_text(app: SupportInboxApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("#thread Static"))


@pilot_test
async def test_the_thread_names_the_keys_of_its_folds_and_attachments() -> None:
    """An attachment said nothing of how to save it (d is in no footer); a remapped expand key
    still read "e to expand"."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Importing contacts")
        await pilot.press("enter")
        await settle(pilot)
        assert "📎 contacts-sample.csv  text/csv  45 B  (d to save)" in _thread_text(app)

    app = demo_app('[ui.keys]\nexpand = "v"\nsave_attachment = "w"\n')
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Importing contacts")
        await pilot.press("enter")
        await settle(pilot)
        assert "(w to save)" in _thread_text(app)
        await pilot.press("w")
        await settle(pilot)
        labels = " ".join(str(w.render()) for w in app.screen.query("Label"))
        # The hints at the bottom belong to the conversation beneath: the question says its keys.
        assert "Save which attachment?" in labels and "Enter chooses, Escape cancels." in labels
        await pilot.press("escape", "escape")  # the question, then the conversation
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        await select_subject(pilot, "Locked out of my account")
        await pilot.press("enter")
        await settle(pilot)
        assert "folded (v to expand)" in _thread_text(app)


@pilot_test
async def test_two_view_keys_pressed_quickly_end_on_the_second_view_and_stay_there() -> None:
    """Each view switch also activates its tab, which announces itself afterwards: a quick
    second key has moved on by then, and going back started an endless flip between the two
    views (the cursor kept jumping to the top, j seemed dead, a CPU was busy)."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        shown: list[str] = []
        original = screen._show_view

        def counting(view: str) -> None:
            shown.append(view)
            original(view)

        screen._show_view = counting  # type: ignore[method-assign]
        # Both keys in one read from the terminal: handled before either tab announces itself.
        screen.action_view("pending")
        screen.action_view("open")
        for _ in range(5):
            await settle(pilot)
        assert shown == ["pending", "open"]
        assert screen._view == "open" and queue(app).current is not None
        await pilot.press("j")
        await settle(pilot)
        # The second row: the first conversation after the incident's row of four.
        assert app.screen.query_one(StatusBar).position.startswith("5/")
        shown.clear()
        screen.action_next_view()  # l then h, the same way
        screen.action_previous_view()
        for _ in range(5):
            await settle(pilot)
        assert shown == ["pending", "open"]
        await pilot.click("#view-closed")  # a click on a tab still switches
        await settle(pilot)
        assert screen._view == "closed" and shown[-1] == "closed"


@pilot_test
async def test_the_junk_list_offers_no_keys_for_a_conversation() -> None:
    """'r Reply  p Pending  c Close  z Snooze' under a Junk suspect did nothing when pressed."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def offered() -> set[str]:
            return {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}

        assert {"reply", "set_status('closed')", "snooze"} <= offered()
        await pilot.press("5")
        await settle(pilot)
        assert not {"reply", "set_status('closed')", "set_status('pending')", "snooze"} & offered()
        hints = str(app.screen.query_one(KeyHints).render()) + " ".join(
            str(k.render()) for k in app.screen.query_one(KeyHints).query("*")
        )
        assert "Reply" not in hints and "Rescue" in hints
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)  # nothing opened, nothing changed
        await pilot.press("1")
        await settle(pilot)
        assert "reply" in offered()


@pilot_test
async def test_key_hints_are_rebuilt_only_when_what_they_show_changes() -> None:
    """Building the footer's keys anew was most of what a view switch cost."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def keys() -> list[object]:
            return list(app.screen.query_one(KeyHints).query("FooterKey"))

        def words() -> str:
            return " ".join(str(k.render()) for k in app.screen.query_one(KeyHints).query("*"))

        before = keys()
        assert before and "Reply" in words()
        for view in ("2", "4", "6", "1"):  # queue views: the same keys
            await pilot.press(view)
            await settle(pilot)
            assert keys() == before
        await pilot.press("5")  # the Junk list offers other keys: built anew
        await settle(pilot)
        assert keys() != before and "Rescue" in words() and "Reply" not in words()
        await pilot.press("1")
        await settle(pilot)
        assert "Reply" in words() and "Rescue" not in words()


def test_view_counts_are_counted_once_per_change_of_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """A view switch asked for the counts twice; each time they scanned the cache."""
    from supportinbox.store import conversations

    app = demo_app()
    service = app.service
    scans: list[int] = []
    real = conversations.queue_counts
    monkeypatch.setattr(conversations, "queue_counts", lambda db: scans.append(1) or real(db))
    counts = service.view_counts()
    assert service.queue_count("open") == counts["open"] and service.view_counts() == counts
    assert len(scans) == 1
    first = service.queue_page("open", 5, 1)[0]  # not an incident's: a plain conversation
    with service.writer() as db:  # another connection: a worker's write
        db.conn.execute("UPDATE conversations SET status = 'closed' WHERE id = ?", (first.id,))
        db.conn.commit()
    after = service.view_counts()
    assert (after["open"], after["closed"]) == (counts["open"] - 1, counts["closed"] + 1)
    assert len(scans) == 2
    service.reader.conn.execute("UPDATE conversations SET status = 'pending' WHERE id = ?", (first.id,))
    service.reader.conn.commit()  # the reading connection's own write (the clock applied on read)
    assert service.view_counts()["pending"] == counts["pending"] + 1
    assert len(scans) == 3
    service.close()


@pytest.mark.parametrize(
    "keys", [("6", "5"), ("enter", "j", "enter", "6", "2", "5", "1", "escape", "6", "5")]
)
@pilot_test
async def test_the_junk_list_shows_its_suspects_whatever_came_before(keys: tuple[str, ...]) -> None:
    """At 80x24, after the All view (or reading a conversation, where view keys do nothing),
    the Junk list came up empty with "1/0" in the status bar: it was never laid out."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        junk = app.screen.query_one(JunkList)
        suspects = len(app.service.junk_suspects())
        assert suspects >= 1
        assert junk.row_count == suspects
        assert app.screen.query_one(StatusBar).position == f"1/{suspects}"


@pytest.mark.parametrize(("key", "name"), [("O", "outbox"), ("R", "reports")])
@pilot_test
async def test_the_outbox_and_reports_show_only_whole_key_hints_at_80_columns(key: str, name: str) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        hints = app.screen.query_one(Footer)
        (palette,) = hints.query(FooterKey).filter(".-command-palette")
        shown = [k for k in hints.query(FooterKey) if k is not palette]
        # The palette key sits at the right edge: a hint running under it is cut ("? K▏^p palette").
        assert shown and all(k.region.right <= palette.region.x for k in shown), name


@pilot_test
async def test_a_narrow_status_column_says_auto_as_the_view_tab_does() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"payout")
        await settle(pilot)
        results = app.screen.query_one("#results", QueueTable)
        await wait_until(pilot, lambda: results.row_count == 1)
        cells = [cell.plain for cell in results.get_row_at(0)]
        assert "auto" in cells and not [cell for cell in cells if cell.startswith("automat")], cells
