"""One message of a thread as readable text: quoted history and signatures folded.

Text from mail is made inert (escapes stripped, never read as markup) before it becomes
a :class:`Content`. Right-to-left messages (Arabic, Persian) are aligned right.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.widgets import Static

from supportinbox.domain.conversation import (
    MessageView,
    Note,
    attachment_size,
    listed_attachments,
    no_text_note,
)
from supportinbox.domain.quoting import split_body
from supportinbox.domain.replies import reply_to_elsewhere
from supportinbox.domain.safetext import clean, is_rtl, one_line
from supportinbox.domain.senders import NOT_IN_SENT, WARNING_MARK, sender_warning
from supportinbox.domain.subjects import HEAD_SUBJECT_CELLS
from supportinbox.domain.threading import own_subject
from supportinbox.domain.when import count_of
from supportinbox.tui import safe
from supportinbox.tui.format import local_time
from supportinbox.tui.widgets.directed_text import DirectedText


def sender_parts(name: str, addr: str, *, style: str = "bold", after: str = "") -> list[safe.Part]:
    """Who wrote a message: the real address always; a warning mark when the name could mislead.

    ``after`` (spacing) ends the last, muted piece. A right-to-left name is isolated beside
    its address, as in :func:`sender_label` (the same line, styled).
    """
    warning = sender_warning(name, addr)
    if not warning:
        if not one_line(name):  # the address alone, not twice
            return [(one_line(addr), style), (after, "$text-muted")]
        return [
            safe.line(name, style=style),
            ((f" <{one_line(addr)}>" if addr else "") + after, "$text-muted"),
        ]
    parts: list[safe.Part] = [(f"{WARNING_MARK} ", "$error bold")]
    if addr:
        parts += ['"', safe.line(name, limit=60), '"', (f" <{one_line(addr)}>", "bold")]
    else:
        parts.append(safe.line(name, limit=80))
    parts.append((f" ({warning}){after}", "$warning"))
    return parts


class MessageBlock(Vertical):
    """A message: who and when, the body with folds, attachments; headers on demand."""

    DEFAULT_CSS = """
    MessageBlock {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border-left: thick $primary;
    }
    MessageBlock.from-us {
        border-left: thick $success;
    }
    MessageBlock.in-junk {
        border-left: thick $error;
    }
    MessageBlock .message-head {
        text-style: bold;
    }
    MessageBlock .message-headers {
        color: $text-muted;
        display: none;
    }
    MessageBlock.show-headers .message-headers {
        display: block;
    }
    MessageBlock .fold {
        color: $text-muted;
        text-style: italic;
    }
    MessageBlock .quote, MessageBlock .signature {
        color: $text-muted;
    }
    MessageBlock .attachments {
        color: $text-accent;
    }
    """

    expanded: reactive[bool] = reactive(False, recompose=True)

    def __init__(
        self,
        message: MessageView,
        *,
        expanded: bool = False,
        subject: str = "",
        keys: ThreadKeys | None = None,
    ) -> None:
        classes = "from-us" if message.from_us else ("in-junk" if message.folder_role == "junk" else "")
        super().__init__(classes=classes)
        self.message = message
        self.keys = keys or ThreadKeys()
        # A message under another subject (merged in, or a new question): its subject is shown.
        self.own_subject = own_subject(message.subject, subject)
        self.set_reactive(MessageBlock.expanded, expanded)

    def compose(self) -> ComposeResult:
        message = self.message
        where: list[str] = []
        if message.folder_role == "junk":
            where.append("in Junk")
        if message.automated and message.from_us:
            where.append("acknowledgement, sent automatically")
        elif message.automated:
            where.append(f"automated: {one_line(message.automated)}")
        reply_to = [one_line(a.lower()) for a in message.reply_to.split()]
        for_whom: list[safe.Field] = []
        if reply_to and reply_to != [message.from_addr.strip().lower()]:
            # A contact form writes for someone: the person to answer is in Reply-To (a list
            # of addresses, the first one named).
            name = safe.line(message.reply_to_name)
            first: list[safe.Part] = [name, f" <{reply_to[0]}>"] if name.plain else [reply_to[0]]
            for_whom.append(safe.field(("Reply-To: ", "$text-muted"), *first, before="  "))
            for_whom += [safe.field(other, before=", ") for other in reply_to[1:]]
        posing: list[safe.Field] = []
        if message.poses_as_us:
            posing.append(safe.field((f"{WARNING_MARK} {NOT_IN_SENT}", "$warning"), before="  "))
        # Who, for whom, when and where: a line breaks between them, never inside a name
        # or a date.
        yield Static(
            safe.fields(
                safe.row(
                    safe.field(*sender_parts(message.from_name, message.from_addr)),
                    *posing,
                    *for_whom,
                    safe.field((local_time(message.date), "$text-muted"), before="  "),
                    *(safe.field((w, "$text-muted")) for w in where),
                    joint_style="$text-muted",
                )
            ),
            classes="message-head",
        )
        if self.own_subject:
            # The subject a field of its own beside its label: an Arabic one reads right to left.
            yield Static(
                safe.assemble(
                    ("Subject: ", "$text-muted"),
                    safe.line(self.own_subject, limit=HEAD_SUBJECT_CELLS, style="$text-muted"),
                ),
                classes="message-subject",
            )
        reply_to_addrs = message.reply_to.split()
        elsewhere = " (differs from sender)" if reply_to_elsewhere(message.from_addr, reply_to_addrs) else ""
        headers = [
            ("Reply-To", ", ".join(reply_to_addrs) + elsewhere),
            ("To", ", ".join(message.to)),
            ("Cc", ", ".join(message.cc)),
            ("Date", message.date or ""),
            ("Subject", message.subject),
            ("Message-ID", message.message_id or ""),
            ("In-Reply-To", message.in_reply_to or ""),
            ("Folder", f"{message.folder} (uid {message.uid})"),
            ("Flags", " ".join(message.flags)),
        ]
        yield Static(
            safe.text("\n".join(f"{name}: {one_line(value)}" for name, value in headers if value)),
            classes="message-headers",
        )
        if not message.body_text.strip():
            yield Static(
                safe.line(no_text_note(message.attachments, message.automated_reason)), classes="fold"
            )
        for part in split_body(message.body_text, message.subject):
            rtl = " rtl" if is_rtl(part.text.strip()) else ""
            if part.kind == "text" or self.expanded:
                yield DirectedText(safe.text(part.text), classes=part.kind + rtl)
            else:
                label = fold_label(part.kind, part.text.count("\n") + 1, self.keys.expand)
                yield Static(safe.line(label), classes="fold")
        attachments = listed_attachments(message.attachments)
        if attachments:
            # The file name a field of its own: an Arabic one reads right to left beside its type.
            lines = [
                safe.assemble(
                    "📎 ",
                    safe.line(str(a.get("filename") or "unnamed"), limit=80),
                    f"  {one_line(str(a.get('content_type') or ''))}  {attachment_size(a.get('size'))}",
                )
                for a in attachments
            ]
            # The key is not in the footer (few messages have attachments): it is said here,
            # where there is one (none for mail still in Junk).
            if self.keys.save:
                lines[-1] = safe.assemble(lines[-1], f"  ({self.keys.save} to save)")
            yield Static(safe.join("\n", lines), classes="attachments")


@dataclass(frozen=True)
class ThreadKeys:
    """The keys a thread names in its own lines, as the user's [ui.keys] has them ("": none)."""

    expand: str = "e"
    save: str = "d"


class ThreadScrolling:
    """The scrolling keys of a screen reading messages in its ``#thread`` (the conversation,
    a Junk suspect): a line, a page, the top, the end."""

    def _thread(self) -> VerticalScroll:
        assert isinstance(self, DOMNode)
        return self.query_one("#thread", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        self._thread().scroll_relative(y=lines, animate=False)

    def action_page(self, direction: int) -> None:
        thread = self._thread()
        thread.scroll_relative(y=direction * max(thread.size.height - 2, 1), animate=False)

    def action_top(self) -> None:
        self._thread().scroll_home(animate=False)

    def action_bottom(self) -> None:
        self._thread().scroll_end(animate=False)


def fold_label(kind: str, lines: int, key: str = "e") -> str:
    """What stands for a folded quote or signature: ``… 1 quoted line folded (e to expand)``."""
    what = count_of(lines, "quoted line" if kind == "quote" else "signature line")
    return f"… {what} folded ({key} to expand)"


class NoteBlock(Vertical):
    """An internal note: never sent, shown apart from the customer's thread. A note written
    right to left (Arabic, Persian) reads so, aligned right, as a message would."""

    DEFAULT_CSS = """
    NoteBlock {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        background: $warning-muted;
        border-left: thick $warning;
    }
    NoteBlock .rtl {
        text-align: right;
    }
    """

    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note = note

    def compose(self) -> ComposeResult:
        note = self.note
        yield Static(
            safe.assemble(
                ("Internal note", "bold"),
                (f" · {one_line(note.author)} · {local_time(note.created_at)}", "$text-muted"),
            ),
            classes="note-head",
        )
        body = clean(note.body)
        yield DirectedText(safe.text(body), classes="note-body rtl" if is_rtl(body.strip()) else "note-body")

    @property
    def text(self) -> str:
        """What the note shows, its head line and its text, as plain text."""
        return "\n".join(str(part.render()) for part in self.query(Static))
