"""The key hints at the bottom of every screen: only as many as fit, never one cut in half.

Textual's footer lays every shown binding out and lets the terminal's edge cut the last
ones mid-word ("s ▏^p palette"). This footer shows the bindings in order while whole
ones fit beside the command palette key; the rest are one ``?`` (or Ctrl+P) away.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Cells one hint takes around its key and description (padding on both sides of the key,
# one after the description), and the palette key's border.
_HINT_PADDING = 3
_PALETTE_BORDER = 1


class KeyHints(Footer):
    """A :class:`~textual.widgets.Footer` that drops the hints that do not fit whole."""

    def __init__(self) -> None:
        super().__init__()
        self._laid_out_for = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._laid_out_for = width
        bindings = self.screen.active_bindings
        palette = bindings.get(self.app.COMMAND_PALETTE_BINDING) if self.app.ENABLE_COMMAND_PALETTE else None
        room = width
        if palette is not None:
            _, binding, _, _ = palette
            room -= len(self.app.get_key_display(binding)) + len(binding.description) + _HINT_PADDING
            room -= _PALETTE_BORDER
        seen: set[str] = set()
        for _, binding, enabled, tooltip in bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            need = len(key) + len(binding.description) + _HINT_PADDING
            if need > room:
                break
            room -= need
            yield FooterKey(
                binding.key, key, binding.description, binding.action, disabled=not enabled, tooltip=tooltip
            ).data_bind(compact=Footer.compact)
        if palette is not None:
            _, binding, enabled, tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
