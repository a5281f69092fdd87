"""Tags with ``t``: shown in colour in the head and beside the reasons; mistakes explained."""

from __future__ import annotations

from supportinbox.tui import safe
from supportinbox.tui.format import TAG_COLOURS, tag_style
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.tags import TagModal
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle


@pilot_test
async def test_t_changes_tags_and_they_show_in_colour() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Refund for unused seats")
        cid = queue(app).current.id  # type: ignore[union-attr]
        assert "#billing" in str(app.screen.query_one("ReasonLine").render())
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        await pilot.press("t")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, TagModal)
        assert "#billing" in str(modal.query_one("#tags-now").render())
        await pilot.press(*"+bad tag!", "enter")
        await settle(pilot)
        assert app.screen is modal and "is not a tag" in str(modal.query_one("#tags-hint").render())
        modal.query_one("#tags-change").value = ""  # type: ignore[attr-defined]
        await pilot.press(*"+vip -billing", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert app.service.conversation(cid).summary.tags == ("vip",)
        head = screen.query_one("#conversation-head").render()
        assert isinstance(head, safe.FieldLines)
        assert "#vip" in str(head) and "#billing" not in str(head)
        styles = {str(span.style) for span in head.at(SIZE[0]).spans}
        assert any(tag_style("vip").split()[1] in style for style in styles)


def test_a_tag_always_gets_the_same_theme_colour() -> None:
    assert tag_style("billing") == tag_style("billing")
    assert all(tag_style(t).split()[1] in TAG_COLOURS for t in ("billing", "bug", "فاتورة"))
