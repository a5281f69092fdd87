"""The line under the queue that says why the row under the cursor is where it is."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from supportinbox.tui.safe import FieldLines


class ReasonLine(Widget):
    """A fixed two-line strip; updating it never re-lays-out the screen (cheap per key press)."""

    DEFAULT_CSS = """
    ReasonLine {
        height: 2;
        padding: 0 1;
        background: $boost;
    }
    """

    # Reasons laid out as fields (safe.fields) break between reasons, never inside one.
    content: reactive[Content | FieldLines] = reactive(Content, layout=False)

    def render(self) -> Content | FieldLines:
        return self.content
