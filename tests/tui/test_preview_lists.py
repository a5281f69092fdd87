"""The reply picker's preview shows a template's lists line by line, as they will be sent."""

from __future__ import annotations

from supportinbox import paths
from supportinbox.domain.templates import install_default_templates
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.tui.support import demo_app, first_conversation, pilot_test, settle

LISTS = """---
description: Lists of steps
---
Hi {{ customer.first_name }},

Before we look again, please check these for us, one by one, in order:
- the address you sign in with, as it is written on your invoice
- the browser you use

1. Open the sign-in page and choose "Forgot password" in the menu.
2. Follow the link in the email we send you. It is valid for a limited
   time, so use it soon; if it does not arrive within a few minutes,
   check your spam or junk folder.
"""

SENT_LINES = [
    "- the address you sign in with, as it is written on your invoice",
    "- the browser you use",
    '1. Open the sign-in page and choose "Forgot password" in the menu.',
    "2. Follow the link in the email we send you. It is valid for a limited",
    "   time, so use it soon; if it does not arrive within a few minutes,",
    "   check your spam or junk folder.",
]


def preview_rows(app: SupportInboxApp) -> list[str]:
    """The preview pane's rows as drawn (right of the template list's border)."""
    drawn = [strip.text for strip in app.screen._compositor.render_strips()]
    return [row.split("│", 1)[1][1:].rstrip() for row in drawn if "│" in row]


@pilot_test
async def test_a_list_in_a_narrow_preview_keeps_its_lines_and_items() -> None:
    """At 80 columns the pane wrapped "2. Follow ... limited" into "you. It is valid for a
    limited" at its left edge, then "   time, ..." indented: which row was a line of the
    reply, and which item a row belonged to, could not be told."""
    install_default_templates()
    (paths.templates_dir() / "steps.txt").write_text(LISTS)
    app = demo_app()
    async with app.run_test(size=(80, 50)) as pilot:
        await settle(pilot)
        await first_conversation(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickerScreen)
        await pilot.press(*"steps")
        await settle(pilot)
        rows = preview_rows(app)
        assert max(len(r) for r in rows) < 60  # narrower than the reply's lines: the pane wraps them
        first = next(i for i, r in enumerate(rows) if r.startswith("- the address"))
        last = next(i for i, r in enumerate(rows) if r.startswith("   check your spam"))
        block = [r for r in rows[first : last + 1] if r]
        # Each line of the reply starts a row of its own, with its marker or indent ...
        for line in SENT_LINES:
            assert any(line.startswith(r) and r.strip() for r in block), (line, block)
        # ... and the rows it wraps into go on under its text, never at the pane's edge.
        for row in block:
            assert row.startswith(("- ", "  ", "1. ", "2. ", "   ")), (row, block)
