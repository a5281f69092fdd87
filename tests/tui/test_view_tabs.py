"""The view tabs' underline jumps to the new view: a switch draws the tab bar once."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Tab, Tabs
from textual.widgets._tabs import Underline

from tests.tui.support import SIZE, demo_app, pilot_test, settle


@pilot_test
async def test_a_view_switch_moves_the_underline_without_a_slide(monkeypatch: pytest.MonkeyPatch) -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Textual's Underline is private; its animate() is how the slide starts.
        slides: list[tuple[Any, ...]] = []
        monkeypatch.setattr(Underline, "animate", lambda self, *args, **kwargs: slides.append(args))
        tabs = app.screen.query_one(Tabs)
        underline = tabs.query_one(Underline)
        for key, view in (("2", "pending"), ("6", "all"), ("1", "open"), ("l", "pending")):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == f"view-{view}"
            tab = tabs.query_one(f"#view-{view}", Tab)
            start, end = tab.virtual_region.shrink(tab.styles.gutter).column_span
            assert (underline.highlight_start, underline.highlight_end) == (start, end)
        assert slides == []


@pilot_test
async def test_the_view_tabs_fit_the_width_with_every_count_in_sight() -> None:
    """Counts grow (Closed 480, All 1,526): wider than the screen, the bar scrolled, the last
    counts were cut off at 80 columns and "Open" went out of sight on the later views."""
    app = demo_app()
    async with app.run_test(size=(72, 24)) as pilot:  # the demo's counts at 72 = bigger ones at 80
        await settle(pilot)
        tabs = app.screen.query_one(Tabs)
        for key in ("5", "7", "1"):
            await pilot.press(key)
            await settle(pilot)
            labels = [tab.label.plain for tab in tabs.query(Tab)]
            names = [label.rsplit(" ", 1)[0] for label in labels]
            assert names == ["Open", "Pending", "Snoozed", "Closed", "Junk", "All", "Auto"], labels
            assert all(tab.region.right <= 72 for tab in tabs.query(Tab)), labels
            assert tabs.scroll_x == 0
        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        assert [tab.label.plain.rsplit(" ", 1)[0] for tab in tabs.query(Tab)] == [
            "Open",
            "Pending",
            "Snoozed",
            "Closed",
            "Junk suspects",
            "All",
            "Automated",
        ]
