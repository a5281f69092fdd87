"""``?``: every key of the screen underneath, as remapped by ``[ui.keys]``, with its binding id."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from supportinbox.tui import safe
from supportinbox.tui.screens.base import AppModal
from supportinbox.tui.widgets.dialog import Dialog


def key_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for every binding with an id active on ``screen``."""
    grouped: dict[tuple[int, str], tuple[list[str], list[str], str]] = {}
    app = screen.app
    for active in _bindings_by_key(screen).values():
        binding = active.binding
        if not binding.description or not binding.id:
            continue
        keys, ids, _ = grouped.setdefault((id(active.node), binding.action), ([], [], binding.description))
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
        if binding.id and binding.id not in ids:
            ids.append(binding.id)
    rows = [(", ".join(keys), description, ", ".join(ids)) for keys, ids, description in grouped.values()]
    return sorted(rows, key=lambda row: row[1].lower())


def _bindings_by_key(screen: Screen[object]) -> dict[str, ActiveBinding]:
    """The screen's active bindings, with a key a focused widget binds for itself (the
    queue table's Enter, which selects the row) given to the screen's own binding of it.

    The table's Enter posts the row's selection and the screen's open action answers it: the
    key does what the screen's binding says, but the table's binding, having no id, hid it
    and the help listed no key to read a conversation.
    """
    active = dict(screen.active_bindings)
    for namespace, bindings in screen._modal_binding_chain:
        for key, binding in bindings:
            shadow = active.get(key)
            if shadow is None or shadow.binding.id or not binding.id or not binding.description:
                continue
            if screen.app._check_action_state(binding.action, namespace) is False:
                continue
            active[key] = ActiveBinding(namespace, binding, True, binding.tooltip)
    return active


class HelpScreen(AppModal[None]):
    """The keys of the screen it was opened over; Escape or ``?`` closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="close_help")]  # noqa: RUF012

    def __init__(self, over: Screen[object]) -> None:
        super().__init__(classes="modal")
        self._rows = key_rows(over)

    def compose(self) -> ComposeResult:
        with Dialog(classes="dialog help-dialog"):
            yield Label(safe.line("Keys", style="bold"), classes="dialog-title")
            table: DataTable[Content] = DataTable(cursor_type="row", id="help-keys")
            table.add_column(safe.column("Keys"), key="key", width=14)
            table.add_column(safe.column("Does"), key="does", width=22)
            table.add_column(safe.column("Binding id for [ui.keys]"), key="id", width=24)
            for keys, description, ident in self._rows:
                table.add_row(safe.line(keys, style="bold $accent"), safe.line(description), safe.line(ident))
            yield table
            yield Static(
                safe.line(
                    'Remap a key in the config: [ui.keys] reply = "r,ctrl+r". Ctrl+P: command palette. '
                    "Escape closes this list."
                ),
                classes="dialog-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)
