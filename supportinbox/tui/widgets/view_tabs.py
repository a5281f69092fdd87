"""The inbox's view tabs: the underline moves with the view at once, it does not slide."""

from __future__ import annotations

from textual.widgets import Tabs


class ViewTabs(Tabs):
    """Tabs whose underline jumps to the active tab.

    Textual slides the underline for 0.3 s (about 18 frames) whenever the active tab
    changes. A view switch shows the new queue in one frame; the slide after it redrew the
    tab bar for a third of a second and cost a view switch about as much CPU as drawing
    the new queue (bench/tui_bench.py), on every key press between views.
    """

    def _highlight_active(self, animate: bool = True) -> None:
        # Tabs' own method (the Textual version pinned in pyproject.toml), always unanimated;
        # tests/tui/test_navigation.py checks the underline lands under the new tab.
        super()._highlight_active(animate=False)
