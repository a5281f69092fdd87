"""``r``: pick a reply template with fuzzy search, seeing it rendered for this customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.fuzzy import Matcher
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from supportinbox.domain.languages import Detected, split_variant
from supportinbox.domain.replies import Addressees
from supportinbox.domain.safetext import is_rtl, one_line
from supportinbox.domain.templates import BLANK, BrokenTemplate, Template, reflow, text_column
from supportinbox.errors import UserError
from supportinbox.mail.drafts import Draft
from supportinbox.mail.variants import language_name
from supportinbox.tui import safe
from supportinbox.tui.safe import Part
from supportinbox.tui.screens.base import AppScreen
from supportinbox.tui.widgets.directed_text import DirectedText
from supportinbox.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    pass


def addressee_lines(
    sent_to: Addressees, holder: str | None = None, warnings: Sequence[str] = ()
) -> list[Part]:
    """``To: ...``, ``Cc: ...``, the Reply-To note, a teammate's claim and other warnings (the
    customer's mail gone from the server, a bounced address), one per line, for a draft's head."""
    lines: list[Part] = [("To: ", "bold"), sent_to.to, "\n"]
    if sent_to.cc:
        lines += [("Cc: ", "bold"), sent_to.cc, "\n"]
    if sent_to.note:
        lines += [(sent_to.note, "$text-warning bold"), "\n"]
    if holder:
        lines += [(held_warning(holder), "$text-warning bold"), "\n"]
    for warning in warnings:
        lines += [(f"{warning[:1].upper()}{warning[1:]}", "$text-warning bold"), "\n"]
    return lines


def held_warning(holder: str) -> str:
    """Said before a reply is written to a conversation a teammate holds (sending would hold it)."""
    return (
        f"{one_line(holder, limit=40)} holds this conversation: a reply waits in the outbox "
        "until you send it anyway there (Outbox, then S)"
    )


class TemplatePickerScreen(AppScreen):
    """Templates on the left (type to filter), the rendered reply on the right.

    A template with language variants (``NAME.de.txt``) is one entry; the variant in the
    customer's language is shown (detected in a worker), Ctrl+L shows the next one.
    """

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Cancel", id="picker_back", tooltip="Back without replying"),
        # Priority: Enter in the filter box picks the highlighted template, and the footer says so.
        Binding(
            "enter",
            "choose",
            "Write reply",
            id="picker_choose",
            tooltip="Edit this reply, then send",
            priority=True,
        ),
        Binding("down", "move(1)", "Next template", show=False, id="picker_down"),
        Binding("up", "move(-1)", "Previous template", show=False, id="picker_up"),
        Binding(
            "ctrl+l",
            "language",
            "Language",
            id="picker_language",
            tooltip="The template in another language",
            priority=True,
        ),
    ]

    def __init__(self, conversation_id: str, *, incident: tuple[str, ...] = ()) -> None:
        super().__init__(id="reply-picker")
        self.conversation_id = conversation_id
        # An incident's waiting conversations: the template goes to each (previewed for the first).
        self.incident = incident
        self._templates: list[Template] = []
        self._broken: list[BrokenTemplate] = []
        self._shown: list[Template | BrokenTemplate] = []
        self._draft: Draft | None = None
        self._why_no_draft = ""  # why the highlighted template gives no reply (shown in the head)
        self._chosen: dict[str, str] = {}  # base name -> the variant shown (detected or picked)
        self._detected: Detected | None = None
        # While the customer's language is read, a template with variants shows its base, and
        # Enter on it writes the reply once the language is known, not in the base language.
        self._detecting = False
        self._choose_when_detected = False
        # Who holds the conversation, read once when the first preview needs it: the preview
        # is redrawn on every arrow key, and the send path checks the claim again anyway.
        self._holder: tuple[str | None] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="picker-body"):
            with Vertical(id="picker-left"):
                yield Input(placeholder="filter templates…", id="template-filter")
                yield Static(
                    safe.assemble(
                        ("Enter", "bold"),
                        f" answers all {len(self.incident)} (asks first)\n"
                        if self.incident
                        else " writes the reply\n",
                        ("↑ ↓", "bold"),
                        " choose a template",
                    ),
                    id="picker-hint",
                )
                yield OptionList(id="templates")
            with VerticalScroll(id="picker-preview"):
                yield Static(id="preview-head")
                yield DirectedText(id="preview")
        yield KeyHints()

    def on_mount(self) -> None:
        try:
            scan = self.inbox_app.service.template_scan()
        except UserError as exc:
            self.inbox_app.show_error(exc)
        else:
            self._templates, self._broken = scan.templates, scan.broken
            if not scan.templates and not scan.broken:
                self.notify(
                    f"No reply templates in {self.inbox_app.service.templates_dir()}: "
                    "'supportinbox templates install' adds the defaults.",
                    severity="warning",
                )
        self._detecting = any(split_variant(t.name)[1] for t in self._templates)
        self._filter("")
        self.query_one("#template-filter", Input).focus()
        if self._detecting:
            self._detect([t.name for t in self._templates])

    @work(thread=True, exit_on_error=False, group="language", description="Reading the customer's language")
    def _detect(self, names: list[str]) -> tuple[dict[str, str], Detected | None]:
        return self.inbox_app.service.template_variants(self.conversation_id, names)

    @on(Worker.StateChanged)
    def _detected_language(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "language" or not event.worker.is_finished:
            return
        self._detecting = False
        if event.state == WorkerState.SUCCESS:
            chosen, self._detected = cast("tuple[dict[str, str], Detected | None]", event.worker.result)
            for base, variant in chosen.items():
                self._chosen.setdefault(base, variant)
        self._preview()
        if self._choose_when_detected:
            self._choose_when_detected = False
            self.action_choose()

    def _variants(self, base: str) -> list[str]:
        """``base`` and its language variants, base first."""
        names = [t.name for t in self._templates]
        return [n for n in names if n == base] + sorted(
            n for n in names if split_variant(n)[0] == base and n != base
        )

    def _shown_template(self, template: Template) -> Template:
        """The variant of ``template`` the preview shows."""
        wanted = self._chosen.get(template.name, template.name)
        return next((t for t in self._templates if t.name == wanted), template)

    def action_language(self) -> None:
        current = self._current()
        if not isinstance(current, Template) or current is BLANK:
            return
        names = self._variants(current.name)
        if len(names) < 2:
            self.notify(
                f"{one_line(current.name)} has no other language: add {one_line(current.name)}.de.txt"
            )
            return
        shown = self._chosen.get(current.name, current.name)
        self._chosen[current.name] = (
            names[(names.index(shown) + 1) % len(names)] if shown in names else names[0]
        )
        self._preview()

    @on(Input.Changed, "#template-filter")
    def _typed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, query: str) -> None:
        # A blank reply is written for one customer: an incident's replies come from a template.
        blank: list[Template | BrokenTemplate] = [] if self.incident else [BLANK]
        names = {t.name for t in self._templates}
        # A language variant is reached through its base template (Ctrl+L), not listed apart.
        bases = [
            t
            for t in self._templates
            if split_variant(t.name)[0] not in names or split_variant(t.name)[1] is None
        ]
        everything: list[Template | BrokenTemplate] = [*bases, *blank, *self._broken]
        if query.strip():
            matcher = Matcher(query.strip())
            # A match in the name counts double: people remember template names.
            scored = [
                (max(2 * matcher.match(_label(t)), matcher.match(_description(t))), t) for t in everything
            ]
            self._shown = [t for score, t in sorted(scored, key=lambda p: -p[0]) if score > 0]
        else:
            self._shown = everything
        options = self.query_one("#templates", OptionList)
        options.clear_options()
        options.add_options(
            Option(
                safe.assemble(
                    (one_line(_label(t)), "bold $text-error" if isinstance(t, BrokenTemplate) else "bold"),
                    "\n",
                    (one_line(self._languages_of(t) + _description(t), limit=60), "$text-muted"),
                ),
                id=f"broken:{t.name}" if isinstance(t, BrokenTemplate) else t.name or "(blank)",
            )
            for t in self._shown
        )
        if self._shown:
            options.highlighted = 0
        self._preview()

    def _languages_of(self, template: Template | BrokenTemplate) -> str:
        """``[de ar] `` before the description of a template with language variants."""
        if not isinstance(template, Template) or template is BLANK:
            return ""
        codes = [split_variant(n)[1] for n in self._variants(template.name)[1:]]
        return f"[{' '.join(c for c in codes if c)}] " if codes else ""

    @on(OptionList.OptionHighlighted, "#templates")
    def _highlighted(self) -> None:
        self._preview()

    @on(OptionList.OptionSelected, "#templates")
    @on(Input.Submitted, "#template-filter")
    def _selected(self) -> None:
        self.action_choose()

    def _current(self) -> Template | BrokenTemplate | None:
        index = self.query_one("#templates", OptionList).highlighted
        return self._shown[index] if index is not None and 0 <= index < len(self._shown) else None

    def _preview(self) -> None:
        head = self.query_one("#preview-head", Static)
        preview = self.query_one("#preview", DirectedText)
        template = self._current()
        self._draft = None
        self._why_no_draft = ""
        if template is None:
            head.update(safe.line("No template matches.", style="$text-muted"))
            preview.update("")
            return
        if isinstance(template, BrokenTemplate):
            head.update(safe.line(f"Broken template: fix {template.path}", style="bold $text-error"))
            preview.update(safe.text("\n".join(f"• {one_line(str(m))}" for m in template.mistakes)))
            return
        base = template
        template = self._shown_template(template)
        try:
            draft = self.inbox_app.service.draft(self.conversation_id, template)
            sent_to = self.inbox_app.service.addressees(draft)
            holder = self._teammate_holding()
            warnings = [] if self.incident else self.inbox_app.service.reply_warnings(draft)
        except UserError as exc:
            head.update(safe.text(exc.message, style="$text-error"))
            preview.update("")
            self._why_no_draft = exc.message
            return
        self._draft = draft
        after = f" · then {template.status}" if template.status else ""
        if self.incident:
            # Each customer of the incident gets their own reply: the head names them all.
            shown = one_line(sent_to.to)
            sent_to = replace(
                sent_to, to=f"{len(self.incident)} customers, each their own reply (shown for {shown})"
            )
        head.update(
            safe.assemble(
                *addressee_lines(sent_to, holder, warnings),
                (f"{template_label(template)}{after}", "$text-muted"),
                (self._language_note(base, template), "$text-muted"),
            )
        )
        if template is BLANK:
            preview.update(
                safe.text("An empty reply, threaded under the customer's message.", style="$text-muted")
            )
        else:
            # The pane is narrower than the 72 columns replies are wrapped at: each paragraph
            # is one line here, wrapped by the pane (the reply itself keeps its lines); a list
            # keeps its lines, each item's further rows under its text.
            body = reflow(draft.body, width=None)
            preview.update(safe.hanging([(line, text_column(line)) for line in body.split("\n")]))
        preview.set_class(is_rtl(draft.body.strip()), "rtl")

    def _teammate_holding(self) -> str | None:
        if self.incident:
            return None
        if self._holder is None:
            self._holder = (self.inbox_app.service.teammate_holding(self.conversation_id),)
        return self._holder[0]

    def _language_note(self, base: Template, shown: Template) -> str:
        """``\nDeutsch (de), the customer's language · Ctrl+L: another language``; "" without variants."""
        if base is BLANK or len(self._variants(base.name)) < 2:
            return ""
        if self.incident:
            return "\nEach customer gets the variant in their language · Ctrl+L: preview another"
        code = split_variant(shown.name)[1] or self.inbox_app.service.config.replies.language
        if self._waits_for_language(base):
            return (
                f"\n{language_name(code)} until the customer's language is read… · Ctrl+L: another language"
            )
        found = self._detected
        detected = found is not None and code.split("-")[0] == found.language
        why = ", the customer's language" if detected else ""
        if found is not None and not detected and not self._has_variant(base.name, found.language):
            # A language with no variant (a Persian customer, Arabic and English variants).
            why = f"; the customer writes {language_name(found.language)}, no variant in it"
        return f"\n{language_name(code)}{why} · Ctrl+L: another language"

    def _waits_for_language(self, base: Template) -> bool:
        """Whether ``base`` has variants and which one the customer gets is still being read."""
        return (
            self._detecting
            and not self.incident
            and base.name not in self._chosen
            and len(self._variants(base.name)) > 1
        )

    def _has_variant(self, base_name: str, language: str) -> bool:
        own = self.inbox_app.service.config.replies.language.split("-")[0]
        codes = {(split_variant(name)[1] or own).split("-")[0] for name in self._variants(base_name)}
        return language in codes

    def action_move(self, step: int) -> None:
        options = self.query_one("#templates", OptionList)
        if self._shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(current + step, len(self._shown) - 1))

    def action_choose(self) -> None:
        current = self._current()
        if isinstance(current, BrokenTemplate):
            self.notify(f"{current.path.name} is broken: fix the lines shown first.", severity="warning")
            return
        if self._draft is None:
            if self._why_no_draft:
                # Enter did nothing but ring a bell a terminal may not show: say why again.
                why = self._why_no_draft
                self.notify(f"{why[:1].upper()}{why[1:]}.", title="No reply written", severity="warning")
            else:
                self.app.bell()
            return
        if isinstance(current, Template) and self._waits_for_language(current):
            self._choose_when_detected = True  # written in the customer's language, a moment later
            return
        template = current
        if self.incident and template is not None:
            self._confirm_all(template)
            return
        from supportinbox.tui.screens.editor import ReplyEditorScreen

        self.app.switch_screen(ReplyEditorScreen(self._draft))

    def action_back(self) -> None:
        self.dismiss(None)

    def _confirm_all(self, template: Template) -> None:
        from supportinbox.tui.screens.modals import ConfirmModal

        count = len(self.incident)
        service = self.inbox_app.service
        held = [
            (service.conversation(cid).summary, holder)
            for cid in self.incident
            if (holder := service.teammate_holding(cid)) is not None
        ]
        detail = "Each gets their own reply: their name, their language, their thread, their quote."
        for summary, holder in held:
            customer = one_line(summary.customer_name or summary.customer_email, limit=40)
            detail += f"\n{one_line(holder, limit=30)} holds {customer}'s: that reply waits in the outbox."

        def answered(yes: bool | None) -> None:
            if yes:
                self._send_all(template)

        self.app.push_screen(
            ConfirmModal(
                f"Send '{one_line(template.name)}' to {count} customers?", detail, yes=f"Send {count}"
            ),
            answered,
        )

    def _send_all(self, template: Template) -> None:
        self.notify(f"Sending {len(self.incident)} replies…")
        self._deliver_all(template)

    @work(thread=True, exit_on_error=False, group="incident-reply", description="Answering an incident")
    def _deliver_all(self, template: Template) -> list[str]:
        return self.inbox_app.service.reply_to_all(self.incident, template)

    @on(Worker.StateChanged)
    def _delivered(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "incident-reply":
            return
        if event.state == WorkerState.ERROR:
            self.inbox_app.worker_failed(event.worker)
        elif event.state == WorkerState.SUCCESS:
            problems = event.worker.result or []
            sent = len(self.incident) - len(problems)
            # Gone first: dismissing pops the top screen, which the error's modal would be.
            self.dismiss(None)
            self.inbox_app.refresh_views()
            if problems:
                outbox = self.inbox_app.key_for("outbox", "O")
                self.inbox_app.show_error(
                    UserError(f"{sent} sent; kept in the outbox ({outbox}): " + "; ".join(problems))
                )
            elif note := self.inbox_app.service.sender.note:
                # Where replies do not go to the customer (the demo), "Sent to 4" was untrue.
                self.app.notify(f"Wrote {sent} replies. {note}.", markup=False)
            else:
                self.app.notify(f"Sent to {sent} customers.", markup=False)


def _label(template: Template | BrokenTemplate) -> str:
    if isinstance(template, BrokenTemplate):
        return f"{template.name} (broken)"
    return "Blank reply" if template is BLANK else template.name


def _description(template: Template | BrokenTemplate) -> str:
    if isinstance(template, BrokenTemplate):
        return str(template.mistakes[0]) + (" …" if len(template.mistakes) > 1 else "")
    return template.description


def template_label(template: Template) -> str:
    """``template refund-processed``, or ``blank reply``: what the reply was started from."""
    return "blank reply" if template is BLANK else f"template {one_line(template.name)}"
