"""Head lines wrap between fields, never inside one ("Mon 14 Dec", a name, "waiting 3h 00m").

Textual wraps at any white space, a non-breaking space included, and ``one_line`` folds a
non-breaking space into a plain one: so the heads are laid out by ``safe.fields``.
"""

from __future__ import annotations

from textual.widgets import Static

from supportinbox.domain.safetext import one_line
from supportinbox.tui import safe
from supportinbox.tui.format import local_time
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.reason_line import ReasonLine
from supportinbox.tui.widgets.thread_view import MessageBlock
from tests.tui.support import demo_app, pilot_test, queue, settle


def _lines(widget: Static) -> list[str]:
    """The text lines a widget shows (its padding and a border line left out)."""
    lines = [strip.text.strip() for strip in widget.render_lines(widget.region.reset_offset)]
    return [line for line in lines if line.strip("─")]


def test_a_line_breaks_between_fields_and_ends_with_its_joint() -> None:
    head = safe.fields(
        safe.row(
            safe.field(("Why: ", "bold"), "follow-up due Mon 14 Dec"),
            safe.field("'refund' in subject"),
            safe.field("waiting 3h 00m"),
            hang=5,
        )
    )
    assert head.at(40).plain.split("\n") == [
        "Why: follow-up due Mon 14 Dec ·",
        "     'refund' in subject ·",
        "     waiting 3h 00m",
    ]
    assert head.at(80).plain == "Why: follow-up due Mon 14 Dec · 'refund' in subject · waiting 3h 00m"
    assert str(head) == head.at(80).plain


def test_only_a_field_wider_than_the_line_wraps_and_by_words() -> None:
    head = safe.fields(
        safe.row(safe.field("short"), safe.field("a field far too long for the line"), safe.field("end"))
    )
    lines = head.at(16).plain.split("\n")
    assert lines == ["short ·", "a field far too", "long for the", "line · end"]
    assert all(len(line) <= 16 for line in lines)


@pilot_test
async def test_conversation_heads_wrap_between_fields_at_80_columns() -> None:
    """Every reason, the customer and each fact of the head on one line of their own."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        checked = 0
        for summary in app.service.queue_page("open", 0, 40):
            if summary.customer_email.startswith("incident:"):
                continue
            app.push_screen(ConversationScreen(summary.id))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ConversationScreen)
            head = screen.query_one("#conversation-head", Static)
            lines = _lines(head)
            width = head.content_region.width
            assert all(len(line) <= width for line in lines), lines
            who = f"{one_line(summary.customer_name)} <{summary.customer_email}>"
            whole = [who, *(one_line(r) for r in summary.reasons)]
            whole += [f"{m} message" if m == 1 else f"{m} messages" for m in [summary.message_count]]
            for piece in whole:
                if len(piece) <= width - len("Why: "):
                    assert any(piece in line for line in lines), (piece, lines)
            for block in screen.query(MessageBlock):
                (message_head,) = block.query(".message-head").results(Static)
                message = block.message
                shown = _lines(message_head)
                assert any(f"<{message.from_addr}>" in line for line in shown), shown
                assert any(local_time(message.date) in line for line in shown), shown
            checked += 1
            app.pop_screen()
            await settle(pilot)
        assert checked >= 20


@pilot_test
async def test_the_inbox_reason_line_breaks_between_reasons_at_80_columns() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = queue(app)
        checked = 0
        for _ in range(25):
            await pilot.press("j")
            await pilot.pause()
            summary = table.current
            if summary is None or summary.customer_email.startswith("incident:"):
                continue
            line = app.screen.query_one(ReasonLine)
            shown = [s.text.strip() for s in line.render_lines(line.region.reset_offset)]
            text = "\n".join(shown)
            width = line.content_region.width
            for reason in (one_line(r) for r in summary.reasons):
                if len(reason) > width - len("Why: "):
                    continue  # wider than a line: only such a reason wraps inside itself
                # Whole on a line, or not begun at all (cut after the strip's two lines).
                assert any(reason in s for s in shown) or reason[:12] not in text, (reason, shown)
            checked += 1
        assert checked >= 15
