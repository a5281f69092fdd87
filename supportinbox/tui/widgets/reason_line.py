"""The line under the queue that says why the row under the cursor is where it is."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class ReasonLine(Widget):
    """A fixed two-line strip; updating it never re-lays-out the screen (cheap per key press)."""

    DEFAULT_CSS = """
    ReasonLine {
        height: 2;
        padding: 0 1;
        background: $boost;
    }
    """

    content: reactive[Content] = reactive(Content, layout=False)

    def render(self) -> Content:
        return self.content
