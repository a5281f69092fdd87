"""The box every dialog is drawn in."""

from __future__ import annotations

from textual.containers import Vertical

from supportinbox.tui.compositor import Box


class Dialog(Box, Vertical):
    """A dialog's box, drawn over a screen whose right-to-left fields it may cover in part
    (what it covers of a row closes that row's isolates: :mod:`supportinbox.tui.compositor`)."""
