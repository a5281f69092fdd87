"""The triage queue as a table that only ever holds one window of rows.

A cache may hold tens of thousands of conversations. The table keeps at most
:data:`WINDOW` rows as widgets and asks its loader for another window when the cursor
leaves the current one, so opening the inbox and moving through it costs the same at
100 conversations as at 100,000.

The cursor stays on its conversation, not on its row number: after a refresh re-sorts
the queue (new mail, a teammate's change) it is found again in the new window, or located
in the whole view; if it left the view, the cursor goes to the conversation that was
below it (else above) and :class:`QueueTable.Left` says so. Actions ask for
:attr:`QueueTable.target`: the conversation the user saw under the cursor — a refresh
that moves the cursor to another conversation only becomes the target once it has been
drawn, while the user's own moves count at once (typing ahead works).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from textual._types import SegmentLines
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.renderables.styled import Styled
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from supportinbox.domain import sla
from supportinbox.domain.conversation import ConversationSummary
from supportinbox.domain.customer import nameless_sender
from supportinbox.domain.safetext import one_line
from supportinbox.domain.senders import sender_short, sender_warning
from supportinbox.tui import safe
from supportinbox.tui.format import age

WINDOW = 200

_SLA_STYLES = {"breached": "$error bold", "due soon": "$warning", "ok": "$text-success"}

# Stands for "the cursor (or mouse) is on another row" when a row is rendered: no row
# has this index (the header is -1).
_ELSEWHERE = Coordinate(-2, -2)


@dataclass(frozen=True)
class QueueSource:
    """Where the rows come from: a count, a page loader and a finder for one view of the queue.

    ``locate`` gives a conversation's place in the view, or None when it is not in it.
    """

    count: Callable[[], int]
    page: Callable[[int, int], Sequence[ConversationSummary]]
    locate: Callable[[str], int | None] = lambda _id: None


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    width: int  # 0 = takes what is left


_ALL_COLUMNS = (
    _Column("mark", "", 2),
    _Column("customer", "Customer", 18),
    _Column("subject", "Subject", 0),
    _Column("waiting", "Waiting", 8),
    _Column("status", "Status", 9),
    _Column("count", "#", 3),
    _Column("sla", "SLA", 8),
    _Column("assignee", "Owner", 8),
)
# Narrower than this, a column that matters less gives its room to the subject.
_WIDE_ONLY = {"count": 100}
# Below 90 columns these columns narrow (a long name or owner is cut with "…"). Waiting keeps
# its 8 cells: "just now" (age_words, as every list says a wait of seconds) is whole there.
_NARROW_FROM = 90
_NARROW = {"customer": 13, "status": 8, "assignee": 7}
# A status too long for a narrowed column, in the word its view tab uses there ("automat…").
_SHORT_STATUS = {"automated": "auto"}


def _status_word(status: str, room: int) -> str:
    return status if len(status) <= room else _SHORT_STATUS.get(status, status)


# Columns that say nothing in some lists: every row of a one-status view has that status,
# only open conversations have an SLA, and nobody waits on a closed one.
_SAYS_SOMETHING = {
    "status": ("all", "search"),
    "sla": ("open", "all", "search"),
    "waiting": ("open", "pending", "snoozed", "all", "search", "automated"),
}


class QueueTable(DataTable[Content]):
    """A windowed, keyboard-driven view of one queue (open, pending, all, ...)."""

    DEFAULT_CSS = """
    QueueTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    QueueTable > .datatable--header {
        text-style: bold;
        background: $panel;
    }
    """

    BINDINGS = [  # noqa: RUF012 (Textual reads this class attribute)
        Binding("j,down", "move(1)", "Down", show=False, id="cursor_down"),
        Binding("k,up", "move(-1)", "Up", show=False, id="cursor_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="page_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="page_up"),
        Binding("g,home", "first", "First", show=False, id="first"),
        Binding("G,end", "last", "Last", show=False, id="last"),
    ]

    class Moved(Message):
        """The cursor now rests on ``position`` of ``total`` (``summary`` is None when empty)."""

        def __init__(self, position: int, total: int, summary: ConversationSummary | None) -> None:
            self.position = position
            self.total = total
            self.summary = summary
            super().__init__()

    class Left(Message):
        """A refresh took ``gone`` out of ``view``; the cursor moved to ``now`` (None: empty)."""

        def __init__(self, gone: ConversationSummary, now: ConversationSummary | None, view: str) -> None:
            self.gone = gone
            self.now = now
            self.view = view
            super().__init__()

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        id: str | None = None,
    ) -> None:
        # Finished lines by what they show, not by where the cursor is (see _render_line);
        # made first because DataTable's constructor may already report a style update.
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1000)
        self._cells_by_value: LRUCache[tuple[object, ...], SegmentLines] = LRUCache(4000)
        self._shared_cells: LRUCache[tuple[object, ...], Content] = LRUCache(2000)
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=False, cursor_foreground_priority="renderable"
        )
        self._now = now
        self._source: QueueSource | None = None
        self._offset = 0
        self._rows: list[ConversationSummary] = []
        self._total = 0
        self._position = 0
        self._columns: tuple[_Column, ...] = ()
        self._subject_width = 20
        self._view = "search"  # which list this is: a status view, "all" or "search"
        self._target: ConversationSummary | None = None

    @property
    def total(self) -> int:
        return self._total

    @property
    def position(self) -> int:
        """The cursor's place in the whole queue (0-based)."""
        return self._position

    @property
    def current(self) -> ConversationSummary | None:
        """The conversation under the cursor."""
        index = self._position - self._offset
        return self._rows[index] if 0 <= index < len(self._rows) else None

    @property
    def target(self) -> ConversationSummary | None:
        """What an action acts on: the conversation the user saw under the cursor."""
        return self._target

    def show(self, source: QueueSource, *, position: int = 0, view: str | None = None) -> None:
        """Show another queue (or the same one afresh), keeping the cursor near ``position``.

        ``view`` names the list (a status, ``all`` or ``search``): columns that say nothing
        in it are left out.
        """
        if view is not None and view != self._view:
            self._view = view
            self._columns = ()
            self._rows = []  # the old view's rows: new columns are filled once, with the new rows
            self._layout_columns()
        self._source = source
        self._total = source.count()
        self._offset = -1
        self._rows = []
        self.move_to(position, force=True)

    def reload(self) -> None:
        """Re-read the queue (after a sync or a change); the cursor stays on its conversation."""
        if self._source is None:
            return
        before = self.current
        index = self._position - self._offset
        # The conversations below the cursor, then those above, nearest first: where the
        # cursor goes if its own conversation left the view.
        neighbours = [r.id for r in self._rows[index + 1 : index + 6]]
        neighbours += [r.id for r in reversed(self._rows[max(index - 5, 0) : max(index, 0)])]
        self._total = self._source.count()
        self._offset = -1
        self._rows = []
        self._load_window(self._position)
        if before is None:
            self._place(self._position)
            return
        found = self._find(before.id)
        if found is not None:
            self._place(found)
            return
        found = next((p for p in map(self._find, neighbours) if p is not None), self._position)
        self._place(found, follows_user=False)
        self.post_message(self.Left(before, self.current, self._view))

    def _find(self, conversation_id: str) -> int | None:
        """The place of a conversation in the view: in the loaded window, else by asking."""
        for index, row in enumerate(self._rows):
            if row.id == conversation_id:
                return self._offset + index
        assert self._source is not None
        return self._source.locate(conversation_id)

    def _place(self, position: int, *, follows_user: bool = True) -> None:
        """Put the cursor on ``position`` after a refresh.

        ``follows_user``: the cursor is on the conversation the user chose (it becomes the
        target at once); otherwise only once the screen shows where the cursor went.
        """
        target = self._target
        self.move_to(position, force=False)
        if not follows_user:
            self._target = target
            self.call_after_refresh(self._target_current)

    def _target_current(self) -> None:
        self._target = self.current

    def on_resize(self) -> None:
        self._layout_columns()

    def _layout_columns(self) -> None:
        width = self.size.width
        if not width:
            return  # not laid out yet: on_resize builds the columns
        columns = tuple(
            c
            for c in _ALL_COLUMNS
            if width >= _WIDE_ONLY.get(c.key, 0) and self._view in _SAYS_SOMETHING.get(c.key, (self._view,))
        )
        if width < _NARROW_FROM:
            columns = tuple(_Column(c.key, c.label, _NARROW.get(c.key, c.width)) for c in columns)
        fixed = sum(c.width + 2 for c in columns if c.width) + 2
        subject = max(width - fixed - 3, 10)
        if columns == self._columns and subject == self._subject_width:
            return
        self._columns = columns
        self._subject_width = subject
        self._shared_cells.clear()  # cut to the old widths
        self.clear(columns=True)
        for column in columns:
            self.add_column(safe.column(column.label), width=column.width or subject, key=column.key)
        self._fill()

    def step_from(self, conversation_id: str, step: int) -> ConversationSummary | None:
        """Move to the conversation ``step`` rows after (or before) ``conversation_id``.

        For the next/previous keys of an open conversation: the cursor follows, so going back
        to the list shows where one is. If the conversation has left this list meanwhile
        (closed or snoozed from inside it), the row that took its place counts as the next
        one. None at either end of the list.
        """
        # Looked up by id: a refresh may have moved the cursor since the conversation opened.
        index = next((i for i, row in enumerate(self._rows) if row.id == conversation_id), None)
        if index is not None:
            target = self._offset + index + step
        else:
            target = self._position + (0 if step > 0 else -1)
        if not 0 <= target < self._total:
            return None
        self.move_to(target)
        return self.current

    def move_to(self, position: int, *, force: bool = False) -> None:
        """Put the cursor on ``position``, loading another window if it lies outside this one."""
        position = max(0, min(position, self._total - 1)) if self._total else 0
        self._position = position
        inside = self._offset <= position < self._offset + len(self._rows)
        if force or not inside:
            self._load_window(position)
        if self._rows:
            self.move_cursor(row=position - self._offset, animate=False)
        self._target = self.current
        self.post_message(self.Moved(position, self._total, self.current))

    def _load_window(self, position: int) -> None:
        assert self._source is not None
        offset = max(0, min(position - WINDOW // 2, self._total - WINDOW))
        self._offset = offset
        self._rows = list(self._source.page(offset, WINDOW))
        # Before the first layout the width is unknown: on_resize builds columns and rows once.
        if self._columns:
            self._fill()

    def _fill(self) -> None:
        self.clear()
        for summary in self._rows:
            self.add_row(*self._cells(summary), key=summary.id)
        if self._rows and self._total:
            self.move_cursor(
                row=max(0, min(self._position - self._offset, len(self._rows) - 1)), animate=False
            )

    def _cells(self, item: ConversationSummary) -> list[Content]:
        now = self._now()
        level = sla.level_label(item.sla_level) if item.status == "open" else ""
        unread = item.unread_count > 0
        weight = "bold" if unread else ""
        nameless = nameless_sender(item.customer_name, item.customer_email)
        shared = self._shared
        lifted, alarming = sla.is_lifted(item.band), sla.is_alarming(item.band)
        cells: dict[str, Content] = {
            # The cells most rows share (a mark, an age, a status, a count, an SLA level, an
            # owner) are made once per look; a window of 200 rows repeats them.
            "mark": shared(("mark", lifted, alarming, unread), lambda: self._mark(lifted, alarming, unread)),
            "customer": safe.line(
                item.customer_name if nameless else sender_short(item.customer_name, item.customer_email),
                limit=self._fits("customer"),
                style="$warning bold"
                if not nameless and sender_warning(item.customer_name, item.customer_email)
                else weight,
            ),
            "subject": safe.assemble(
                # A reply of ours waits for its time (send later): the reason line says when.
                *((("◷ ", "$accent"),) if item.scheduled_at else ()),
                safe.line(
                    one_line(item.subject) or "(no subject)",
                    limit=self._subject_width - (2 if item.scheduled_at else 0),
                    style=weight,
                ),
            ),
            "waiting": self._waiting(item, now),
            "status": shared(
                ("status", item.status),
                lambda: safe.line(
                    _status_word(item.status, self._fits("status")),
                    limit=self._fits("status"),
                    style="$text-muted" if item.status != "open" else "",
                ),
            ),
            "count": shared(("count", item.message_count), lambda: safe.line(str(item.message_count))),
            "sla": shared(("sla", level), lambda: safe.line(level, style=_SLA_STYLES.get(level, ""))),
            "assignee": shared(
                ("assignee", item.assigned_to),
                lambda: safe.line(item.assigned_to, limit=self._fits("assignee")),
            ),
        }
        return [cells[c.key] for c in self._columns]

    def _waiting(self, item: ConversationSummary, now: datetime) -> Content:
        if item.status == "closed":
            waiting = ""  # nobody waits on a closed conversation (the view leaves the column out)
        elif item.waiting_since:
            waiting = age(item.waiting_since, now)
        else:
            waiting = age(item.last_message_at, now)
        return self._shared(
            ("waiting", waiting, bool(item.waiting_since)),
            lambda: safe.line(waiting) if item.waiting_since else safe.line(waiting, style="$text-muted"),
        )

    def refresh_ages(self) -> None:
        """Say the Waiting column again at the clock's time (the rows are not read again)."""
        if not any(c.key == "waiting" for c in self._columns):
            return
        now = self._now()
        for item in self._rows:
            self.update_cell(item.id, "waiting", self._waiting(item, now))

    def _shared(self, key: tuple[object, ...], make: Callable[[], Content]) -> Content:
        """The cell ``key`` names, made once while the columns stay as they are."""
        cell = self._shared_cells.get(key)
        if cell is None:
            cell = self._shared_cells[key] = make()
        return cell

    @staticmethod
    def _mark(lifted: bool, alarming: bool, unread: bool) -> Content:
        return safe.assemble(
            ("!" if lifted else " ", "$error bold" if alarming else "$warning bold"),
            ("●" if unread else " ", "$accent"),
        )

    def _fits(self, key: str) -> int:
        """How many characters column ``key`` shows now (cells longer are cut with "…")."""
        return next((c.width for c in self._columns if c.key == key), 0) or 200

    def action_move(self, step: int) -> None:
        self.move_to(self._position + step)

    def action_page(self, direction: int) -> None:
        page = max(self.scrollable_content_region.height - 1, 1)
        self.move_to(self._position + direction * page)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self._total - 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # new theme or CSS: DataTable drops its own caches here too
        self._cells_by_value.clear()

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._strips.clear()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures every cell of every new row to size auto-width columns and
        # auto-height rows; a new window is 1,600 cells. Every column here has a fixed
        # width and every row one line, so only the scrollable size is brought up to date.
        super()._update_dimensions(())

    # DataTable keys its caches of rendered rows and lines on the cursor's position, so
    # every move that scrolls the queue rendered all visible rows again, cell by cell. A
    # row only looks different when the cursor or the mouse is on it: every other row is
    # rendered as "cursor elsewhere", so a move renders two rows and the rest are cached.
    # These hooks are DataTable internals of the Textual version pinned in pyproject.toml;
    # tests/tui/test_queue_render.py fails if an upgrade stops them being called.

    def _row_index(self, row_key: RowKey) -> int:
        return self.get_row_index(row_key) if row_key in self._row_locations else -1  # -1: header

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[SegmentLines, SegmentLines]:
        row_index = self._row_index(row_key)
        if cursor_location.row != row_index:
            cursor_location = _ELSEWHERE
        if hover_location.row != row_index:
            hover_location = _ELSEWHERE
        return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        # DataTable renders each cell of a new window through Rich (padding, styles, crop),
        # keyed on its row: a view switch renders every visible cell anew. Most cells of
        # the queue repeat (a status, an SLA level, a count, an age, an assignee), so a
        # body cell is rendered once per look (text, styles, width, cursor, hover) and its
        # row and column, which DataTable puts in the style for mouse clicks, are added
        # after. What DataTable would draw is checked in tests/tui/test_queue_render.py.
        if (
            row_index < self.fixed_rows
            or column_index < self.fixed_columns
            or row_index < 0
            or column_index < 0
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None or self.rows[row_key].height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = self._data[row_key].get(column_key)
        if not isinstance(cell, Content):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (
            cell.plain,
            tuple(cell.spans),
            width,
            base_style,
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
        )
        lines = self._cells_by_value.get(key)
        if lines is None:
            component_style, post_style = self._get_styles_to_render_cell(
                False,
                False,
                False,
                hover,
                cursor,
                self.show_cursor,
                self._show_hover_cursor,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            lines = self.app.console.render_lines(
                Styled(
                    Padding(cell, (0, self.cell_padding)),
                    pre_style=base_style + component_style,
                    post_style=post_style,
                ),
                options,
            )
            self._cells_by_value[key] = lines
        where = Style.from_meta({"row": row_index, "column": column_index})
        return [
            [Segment(text, style + where if style else where, control) for text, style, control in line]
            for line in lines
        ]

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        row_index = self._row_index(row_key)
        key = (
            row_key,
            line_no,
            x1,
            x2,
            self.size.width,
            self.cursor_coordinate.row == row_index,
            self.hover_coordinate.row == row_index,
            base_style,
            self.cursor_type,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = super()._render_line(y, x1, x2, base_style)
        return strip

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # A mouse click moves DataTable's own cursor: follow it in queue terms. Events our
        # own refills left behind (the cursor is elsewhere by now) are stale: ignored.
        if event.cursor_row != self.cursor_coordinate.row:
            return
        position = self._offset + event.cursor_row
        if position != self._position and 0 <= event.cursor_row < len(self._rows):
            self._position = position
            self._target = self.current
            self.post_message(self.Moved(position, self._total, self.current))
