"""Toasts whose rows keep a right-to-left field in its place, over any screen.

Textual draws a toast's message wrapped over rows and lays it over the screen. A field
a toast isolates (an Arabic subject in "Closed: …") that wrapped stayed isolated on its
first row only: :class:`Toast` isolates each row. A toast over a queue row covers the pop
closing that row's isolated name: it is a :class:`~supportinbox.tui.compositor.Box`, so
what it covers closes there.

Textual's ``ToastRack`` mounts its own toast class; the app shows its notifications
through :func:`show` instead (``SupportInboxApp._refresh_notifications``).
"""

from __future__ import annotations

from textual.notifications import Notification, Notifications
from textual.visual import Visual
from textual.widgets._toast import Toast as TextualToast
from textual.widgets._toast import ToastHolder, ToastRack

from supportinbox.tui import safe
from supportinbox.tui.compositor import Box


class Toast(Box, TextualToast):
    """A toast whose rows each hold what they show of a field isolated on its own."""

    # Textual's toast says it renders Content; any widget may render a Visual.
    def render(self) -> Visual:  # type: ignore[override]
        return safe.IsolatedRows(super().render())


def _holder_id(notification: Notification) -> str:
    return f"toast-{notification.identity}"


def show(rack: ToastRack, notifications: Notifications) -> None:
    """Show ``notifications`` in ``rack`` as :class:`Toast` s (what ``ToastRack.show`` does with its own)."""
    rack.display = bool(notifications)
    current = {_holder_id(notification) for notification in notifications}
    for holder in rack.query_children(ToastHolder):
        if holder.id not in current:
            holder.remove()
    new = [
        notification
        for notification in notifications
        if not notification.has_expired and not rack.query_children(f"#{_holder_id(notification)}")
    ]
    if new:
        rack.mount_all(ToastHolder(Toast(notification), id=_holder_id(notification)) for notification in new)
        rack.call_later(rack.scroll_end, animate=False, force=True)
