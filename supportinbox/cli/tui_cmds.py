"""Opening the TUI (filled in by the TUI work)."""

from __future__ import annotations

from supportinbox.cli.app import CliContext
from supportinbox.errors import UserError


def run_tui(obj: CliContext) -> None:
    raise UserError("the terminal UI is not available in this build; see 'supportinbox --help'")
