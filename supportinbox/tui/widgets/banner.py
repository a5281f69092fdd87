"""The demo banner: says where replies go, so nobody thinks a customer got one."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from supportinbox.tui import safe


class DemoBanner(Static):
    """``DEMO — replies are saved to <dir>, nothing is sent``."""

    DEFAULT_CSS = """
    DemoBanner {
        height: 1;
        background: $warning-muted;
        color: $text-warning;
        text-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self, outbox_dir: Path) -> None:
        super().__init__(
            safe.line(f"DEMO — replies are saved to {outbox_dir}, nothing is sent"), classes="demo-banner"
        )
