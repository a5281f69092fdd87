"""The key hints at the bottom of every screen: only as many as fit, never one cut in half.

Textual's footer lays every shown binding out and lets the terminal's edge cut the last
ones mid-word ("s ▏^p palette"). This footer shows the bindings in order while whole
ones fit beside the command palette key; the rest are one ``?`` (or Ctrl+P) away.

Textual's footer also builds its keys anew whenever the screen's bindings are refreshed
(a focus change, a view switch); mounting and styling a dozen widgets is most of what a
view switch costs. This one rebuilds them only when what it shows would change.
"""

from __future__ import annotations

from typing import NamedTuple

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Cells one hint takes around its key and description (padding on both sides of the key,
# one after the description), and the palette key's border.
_HINT_PADDING = 3
_PALETTE_BORDER = 1


class _Hint(NamedTuple):
    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    palette: bool


class KeyHints(Footer):
    """A :class:`~textual.widgets.Footer` that drops the hints that do not fit whole."""

    def __init__(self) -> None:
        super().__init__()
        self._laid_out_for = 0
        self._shown: list[_Hint] | None = None

    def _hints(self, width: int) -> list[_Hint]:
        """The hints that fit whole in ``width`` cells, in order, the palette key last."""
        bindings = self.screen.active_bindings
        palette = bindings.get(self.app.COMMAND_PALETTE_BINDING) if self.app.ENABLE_COMMAND_PALETTE else None
        room = width
        if palette is not None:
            _, binding, _, _ = palette
            room -= len(self.app.get_key_display(binding)) + len(binding.description) + _HINT_PADDING
            room -= _PALETTE_BORDER
        seen: set[str] = set()
        hints: list[_Hint] = []
        for _, binding, enabled, tooltip in bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            need = len(key) + len(binding.description) + _HINT_PADDING
            if need > room:
                break
            room -= need
            hints.append(
                _Hint(binding.key, key, binding.description, binding.action, enabled, tooltip, False)
            )
        if palette is not None:
            _, binding, enabled, _ = palette
            display = self.app.get_key_display(binding)
            tooltip = binding.tooltip or binding.description
            hints.append(
                _Hint(binding.key, display, binding.description, binding.action, enabled, tooltip, True)
            )
        return hints

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self._width()
        self._laid_out_for = width
        self._shown = self._hints(width)
        for hint in self._shown:
            key = FooterKey(
                hint.key,
                hint.key_display,
                hint.description,
                hint.action,
                classes="-command-palette" if hint.palette else "",
                disabled=not hint.enabled,
                tooltip=hint.tooltip,
            )
            yield key if hint.palette else key.data_bind(compact=Footer.compact)

    def on_mount(self) -> None:
        # Textual's footer shows no key until its screen next announces its bindings: mounted
        # into a screen already shown (a dialog's hints, mounted after the dialog), it could
        # wait for an announcement that never came, and show nothing. Asked once Footer.on_mount
        # (run after this one) listens.
        self.call_later(self.screen.refresh_bindings)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (
            self._shown is not None
            and self.is_attached
            and screen is self.screen
            and self._hints(self._width()) == self._shown
        ):
            return  # the same keys, the same words: nothing to build again
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
