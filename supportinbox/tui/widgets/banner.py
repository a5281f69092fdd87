"""A line above the queue and the thread from the service (the demo's says where replies go)."""

from __future__ import annotations

from textual.widgets import Static

from supportinbox.tui import safe


class Banner(Static):
    """The service's banner line (e.g. ``DEMO — replies are saved to <dir>, nothing is sent``)."""

    DEFAULT_CSS = """
    Banner {
        height: 1;
        background: $warning-muted;
        color: $text-warning;
        text-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(safe.line(text), classes="demo-banner")
