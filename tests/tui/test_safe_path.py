"""Text from mail, servers and teammates reaches Textual only through ``tui/safe.py``.

Three layers of proof:

- the safe functions themselves, on generated markup-like text: the literal text comes
  out, escapes and controls do not;
- the app built by the demo factory, with generated markup-like text pushed through every
  kind of place the screens put such text (toasts from the app, a screen and a widget;
  the error, confirm, choose, note and undo modals; the queue table, the reason line,
  the status bar; a message and a note of the thread): the text shows literally, no
  click action is attached, nothing crashes, the app keeps running;
- the source of ``supportinbox/tui``: only ``safe.py`` builds a ``Content`` or ``Text``,
  nothing switches markup on, and the widgets that read markup in a ``str`` (``Static``,
  ``Label``, ``update``, options, tabs, buttons, table cells, palette hits, titles,
  tooltips) are handed a ``safe.*`` result or a literal without ``[``.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets._toast import Toast

from supportinbox.domain.conversation import Note
from supportinbox.domain.safetext import clean, isolate, one_line, steady_line
from supportinbox.tui import safe
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.editor import UndoModal
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ChooseModal, ConfirmModal, ErrorModal
from supportinbox.tui.screens.note import NoteModal
from supportinbox.tui.widgets.queue_table import QueueSource
from supportinbox.tui.widgets.reason_line import ReasonLine
from supportinbox.tui.widgets.status_bar import OFFLINE_MIN, StatusBar
from supportinbox.tui.widgets.thread_view import MessageBlock, NoteBlock
from tests.tui.support import SIZE, demo_app, first_conversation, pilot_test, queue, settle

Step = Callable[[str], Awaitable[None]]

TUI = Path(__file__).resolve().parents[2] / "supportinbox" / "tui"

# Pieces of Textual and Rich markup, escapes a terminal acts on, and ordinary text.
PIECES = [
    "[",
    "]",
    "[/]",
    "[b]",
    "[/b]",
    "[B]",
    "[b=;",
    "[$x]",
    "$x",
    "[@click=app.quit]",
    "[@click=app.screenshot('../x')]",
    "[link=https://evil.test]",
    "[on red]",
    "[bold red]",
    "\\",
    "\\[",
    "=",
    ";",
    "'",
    "(",
    ")",
    "\n",
    "\t",
    "\x1b[2J",
    "\x1b]0;title\x07",
    "\x1b]52;c;cm0gLXJm\x07",
    "\u202e",
    "\x9b31m",
    "مرحبا",
    "Invoice ",
    " question",
]
# What cells.steady drops or rewrites: a joiner, selectors, skin tones, a flag's letters.
EMOJI_PARTS = ["\u200d", "\ufe0f", "\ufe0e", "\U0001f3fb", "\U0001f3fd", "\U0001f1e9\U0001f1ea", "👩\u200d💻"]
# 60 cells in 61 characters (a combining mark takes no cell): a title of 60 cells shows it
# whole, where a cut by characters would drop its last letter.
CUT_BY_CELLS = "[[[[@click=app.screenshot('../x')][link=https://evil.test]00\u0300"
markupish = st.lists(
    st.sampled_from(PIECES) | st.sampled_from(EMOJI_PARTS) | st.text(max_size=4), min_size=1, max_size=12
).map("".join)


def _cut_from(shown: str, text: str, cells: int) -> bool:
    """Whether ``shown`` is ``text`` as one line, cut to ``cells`` terminal cells with "…".

    A wide character that would straddle the cut leaves a space before the "…".
    """
    whole = steady_line(text)  # a line shows emoji sequences in their steady form
    if cell_len(whole) <= cells:
        return shown == whole
    kept = shown.removesuffix("…")
    return (
        kept != shown
        and cell_len(shown) == cells
        and (whole.startswith(kept) or (kept.endswith(" ") and whole.startswith(kept[:-1])))
    )


# -- the safe functions ----------------------------------------------------------------------


@given(markupish)
@example("\U0001f3fb")  # a skin tone alone: a line drops it, as any skin tone
@example("\U0001f3fb Invoice")  # ... and the space it stood before: no cell shifts the subject
def test_safe_functions_keep_the_literal_text_and_drop_escapes(text: str) -> None:
    # A line with right-to-left letters is isolated (tests/tui/test_wide_text.py shows why).
    line = isolate(steady_line(text))  # emoji sequences in their steady form (cells.steady)
    assert line == line.strip() and "  " not in line, repr(line)
    assert safe.line(text).plain == line and not safe.line(text).spans  # no markup took effect
    cut = safe.line(text, limit=20, style="bold").plain
    assert _cut_from(_bare(cut), text, 20) and cut == isolate(_bare(cut))
    assert safe.text(text).plain == clean(text)
    assert safe.column(text).plain == line
    assert safe.plain(text) == steady_line(text)
    assert safe.plain_text(text) == clean(text)
    assembled = safe.assemble(("Why: ", "bold"), text, (text, "$warning"), safe.line(text))
    assert assembled.plain == "Why: " + clean(text) + clean(text) + line
    assert safe.join(" · ", [safe.line(text), safe.line(text)]).plain == f"{line} · {line}"
    for made in (safe.line(text).plain, safe.text(text).plain, assembled.plain):
        assert "\x1b" not in made and "\x9b" not in made and "\u202e" not in made


def test_a_field_wrapped_over_rows_is_isolated_on_each_in_its_own_direction() -> None:
    rows = [Content("Closed: \u2068مشكلة في"), Content.styled("الدفع\u2069 (u to", "bold"), Content("undo)")]
    shown = safe.isolated_rows(rows)
    assert [row.plain for row in shown] == [
        "Closed: \u2067مشكلة في\u2069",
        "\u2067الدفع\u2069 (u to",
        "undo)",
    ]
    assert shown[1].spans and all(span.style == "bold" for span in shown[1].spans)
    # A left-to-right field opens left to right; one within its row stays as it is; a
    # lone isolate is closed where its row ends.
    rows = [Content("\u2068Acme مرحبا"), Content("Pro\u2069 \u2068سلام\u2069 \u2068x")]
    assert [row.plain for row in safe.isolated_rows(rows)] == [
        "\u2066Acme مرحبا\u2069",
        "\u2066Pro\u2069 \u2068سلام\u2069 \u2068x\u2069",
    ]
    plain = [Content("no fields"), Content("at all")]
    assert safe.isolated_rows(plain) == plain


@given(markupish)
def test_escaped_markup_reads_back_as_the_literal_text(text: str) -> None:
    # The command palette parses its help text as markup; escaped, it shows the text.
    assert Content.from_markup(safe.escape_markup(text)).plain == one_line(text)


# -- every kind of place in the running app ------------------------------------------------------


def _actions(content: Content) -> list[str]:
    return [str(span.style) for span in content.spans if "@click" in str(span.style)]


def _shown(widget: Widget) -> Content:
    rendered = widget.render()
    if isinstance(rendered, safe.FieldLines | safe.IsolatedRows):
        # Laid out where nothing needs to wrap: every field whole, as text.
        rendered = rendered.at(10_000)
    assert isinstance(rendered, Content), type(rendered)
    return rendered


def _screen_texts(screen: Screen[object]) -> list[Content]:
    texts = [_shown(w) for w in screen.query(Static) if not isinstance(w, Toast)]
    for options in screen.query(OptionList):
        for index in range(options.option_count):
            prompt = options.get_option_at_index(index).prompt
            assert isinstance(prompt, Content), type(prompt)
            texts.append(prompt)
    return texts


def _bare(shown: str) -> str:
    """A cell's text without the isolates around a right-to-left line."""
    return shown.removeprefix("\u2068").removesuffix("\u2069")


def _assert_literal(texts: list[Content], expected: str, where: str) -> None:
    assert any(expected in t.plain for t in texts), (where, expected, [t.plain for t in texts])
    for t in texts:
        assert _actions(t) == [], (where, t.plain)


@pilot_test
async def test_markup_like_text_shows_literally_in_every_kind_of_widget() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await first_conversation(pilot)
        summary = queue(app).current
        assert summary is not None
        message = app.service.conversation(summary.id).messages[0]
        table = queue(app)

        async def toasts(text: str) -> None:
            app.clear_notifications()
            app.notify(text, title=text)
            inbox.notify(text)
            table.notify(text, markup=True)  # asked for markup: still plain
            await pilot.pause()
            shown = [_shown(t) for t in app.screen.query(Toast)]
            assert len(shown) == 3, [s.plain for s in shown]
            # The title is a line: emoji sequences in their steady form (cells.steady).
            titled = f"{steady_line(text)}\n{clean(text)}" if steady_line(text) else clean(text)
            assert sorted(s.plain for s in shown) == sorted([titled, clean(text), clean(text)])
            assert all(_actions(s) == [] for s in shown)
            app.clear_notifications()
            await pilot.pause()

        async def modals(text: str) -> None:
            expectations: list[tuple[Screen[object], list[str]]] = [
                # The title is cut to 60 cells, as safe.line cuts (a combining mark takes none).
                (ErrorModal(text, text), [safe.line(text, limit=60).plain, clean(text)]),
                (ConfirmModal(text, text or "detail"), [steady_line(text)]),
                (ChooseModal(text, [("k", text)]), [steady_line(text)]),
                # A title names the subject or the person as a line of its own (safe.line).
                (NoteModal(text), [f"Internal note: {safe.line(text, limit=50).plain or '(no subject)'}"]),
                (UndoModal(text, 600), [f"Sending the reply to {safe.line(text).plain}"]),
            ]
            for modal, wanted in expectations:
                await app.push_screen(modal)
                for expected in wanted:
                    _assert_literal(_screen_texts(app.screen), expected, type(modal).__name__)
                await app.pop_screen()

        async def inbox_widgets(text: str) -> None:
            hostile = replace(summary, subject=text, customer_name=text, assigned_to=text, reasons=[text])
            table.show(QueueSource(count=lambda: 1, page=lambda offset, limit: [hostile]))
            await pilot.pause()
            row = table.get_row_at(0)
            assert all(isinstance(cell, Content) and _actions(cell) == [] for cell in row)
            cells = [_bare(cell.plain) for cell in row]
            assert any(_cut_from(cell, text, table._subject_width) for cell in cells) or not one_line(text)
            assert any(_cut_from(cell, text, 18) for cell in cells)
            app.sync_status = replace(app.sync_status, account=text, offline=text, outbox=1)
            await pilot.pause()
            why = f"Why: {one_line(text) or 'no urgency signals'}"
            _assert_literal([_shown(inbox.query_one(ReasonLine))], why, "reasons")
            bar = _shown(inbox.query_one(StatusBar))
            if text:
                # The reason gets the room the rest of the bar leaves: at least its start shows.
                _assert_literal([bar], f"offline: {steady_line(text)[: OFFLINE_MIN - 1]}", "status bar")
                _assert_literal([bar], safe.line(text, limit=24).plain, "status bar")

        async def thread(text: str) -> None:
            hostile = replace(
                message,
                from_name=text,
                from_addr=text,
                subject=text,
                body_text=text,
                to=[text],
                attachments=[{"filename": text, "content_type": text, "size": 10}],
            )
            blocks: list[Widget] = [
                MessageBlock(hostile, expanded=True),
                NoteBlock(Note(author=text, created_at="2026-11-26T09:00:00+00:00", body=text)),
            ]
            await inbox.mount_all(blocks)
            await pilot.pause()
            texts = [
                _shown(w) for block in blocks for w in [block, *block.query(Static)] if isinstance(w, Static)
            ]
            if one_line(text):
                _assert_literal(texts, f"Subject: {one_line(text)}", "message headers")
            _assert_literal(texts, f"📎 {safe.line(text, limit=80).plain}", "attachment name")
            _assert_literal(texts, clean(text), "note")
            for block in blocks:
                await block.remove()

        def examples() -> None:
            def run(steps: tuple[Step, ...], count: int) -> None:
                @settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])
                @given(markupish)
                @example(CUT_BY_CELLS)
                @example("\U0001f3fd [b]Lina\u200d 👩\u200d💻 🇩🇪")
                def check(text: str) -> None:
                    for step in steps:
                        app.call_from_thread(step, text)
                        assert app.is_running and app.return_code is None, step.__name__

                check()

            run((toasts, inbox_widgets, thread), 25)
            run((modals,), 6)  # a modal screen costs ~0.2 s to build: fewer of them

        await asyncio.to_thread(examples)
        assert app.is_running
        assert isinstance(app.screen, InboxScreen)


# -- the source of supportinbox/tui ------------------------------------------------------------------

# Widgets and calls that read markup in a str (or show text) and what must feed them.
SINK_CALLS = {"Static", "Label", "Button", "Option", "Tab", "Tooltip", "Hit", "DiscoveryHit", "SystemCommand"}
SINK_METHODS = {"update", "add_row", "add_column", "add_option", "add_options", "set_tooltip"}
SINK_KEYWORDS = {"title", "sub_title", "tooltip", "label", "prompt", "help"}
SINK_ATTRIBUTES = {"title", "sub_title", "tooltip", "label", "border_title", "border_subtitle"}
VISUAL_BUILDERS = {"Content", "Text"}
# Calls whose result is obviously a str built at run time: never a sink's argument.
STR_BUILDERS = {"str", "format", "one_line", "clean", "join", "strip", "repr"}


def _is_safe_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "safe"
    )


def _called(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _problem(node: ast.expr, str_params: set[str]) -> str | None:
    """Why ``node`` may not feed a widget (None when it may)."""
    if isinstance(node, ast.Starred):
        return _problem(node.value, str_params)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and "[" in node.value:
            return "a literal with '[' (markup): use safe.line(...)"
        return None
    if _is_safe_call(node):
        return None
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return "text built at run time: pass it through safe.line / safe.text / safe.assemble"
    if isinstance(node, ast.Call):
        name = _called(node.func)
        if name in STR_BUILDERS:
            return f"a str from {name}(): pass it through safe.line / safe.text"
    if isinstance(node, ast.Name) and node.id in str_params:
        return f"the str parameter {node.id!r}: pass it through safe.line / safe.text"
    if isinstance(node, ast.IfExp):
        return _problem(node.body, str_params) or _problem(node.orelse, str_params)
    return None


def _str_params(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for arg in [*function.args.args, *function.args.kwonlyargs, *function.args.posonlyargs]:
        if arg.annotation is not None and ast.unparse(arg.annotation).replace(" ", "") in {"str", "str|None"}:
            names.add(arg.arg)
    return names


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    where = path.relative_to(TUI.parent.parent) if path.is_relative_to(TUI) else path.name

    def report(node: ast.AST, why: str) -> None:
        found.append(f"{where}:{getattr(node, 'lineno', '?')}: {why}: {ast.unparse(node)[:100]}")

    def visit(node: ast.AST, str_params: set[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            str_params = str_params | _str_params(node)
        if isinstance(node, ast.ImportFrom) and node.module in {"textual.markup", "rich.markup"}:
            report(node, "markup helpers are for safe.py only")
        if isinstance(node, ast.Attribute) and node.attr in {"from_markup", "from_ansi"}:
            report(node, "parses markup: build text with safe.*")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in VISUAL_BUILDERS:
                report(node, f"{func.id}(...) outside safe.py: use safe.line / safe.text")
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in VISUAL_BUILDERS
            ):
                report(node, f"{func.value.id}.{func.attr}(...) outside safe.py: use safe.*")
            for keyword in node.keywords:
                if keyword.arg == "markup" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    report(node, "markup switched on")
                if keyword.arg in SINK_KEYWORDS and (why := _problem(keyword.value, str_params)):
                    report(node, f"{keyword.arg}=: {why}")
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            is_sink = (isinstance(func, ast.Name) and name in SINK_CALLS) or (
                isinstance(func, ast.Attribute) and name in SINK_METHODS | SINK_CALLS
            )
            if is_sink:
                for arg in node.args:
                    if why := _problem(arg, str_params):
                        report(node, f"{name}(): {why}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                why = _problem(node.value, str_params)
                if isinstance(target, ast.Attribute) and target.attr in SINK_ATTRIBUTES and why:
                    report(node, f".{target.attr} =: {why}")
        for child in ast.iter_child_nodes(node):
            visit(child, str_params)

    visit(tree, set())
    return found


def test_only_the_safe_path_feeds_textual() -> None:
    files = [p for p in sorted(TUI.rglob("*.py")) if p.name != "safe.py"]
    assert len(files) > 15
    violations = [v for path in files for v in _violations(path)]
    assert violations == [], "\n".join(violations)


def test_the_source_check_catches_what_it_is_for(tmp_path: Path) -> None:
    """The check above is only worth something if it fails on the shapes of the old holes."""
    bad = tmp_path / "probe.py"
    text = (
        "from textual.content import Content\n"
        "from textual.widgets import Label, Static\n"
        "def show(self, subject: str, widget: Static, message: object) -> None:\n"
        "    widget.update(f'Closed: {subject}')\n"
        "    Label(subject)\n"
        "    Static(Content(message))\n"
        "    widget.update('[b]hi')\n"
        "    self.notify(message, markup=True)\n"
        "    widget.tooltip = f'{message}'\n"
        "    Content.from_markup(message)\n"
    )
    bad.write_text(text)
    found = _violations(bad)
    assert len(found) == 8, "\n".join(found)


def test_every_toast_of_the_app_is_plain_text() -> None:
    # Screen.notify and Widget.notify hand over to App.notify: the app's own is the gate.
    assert SupportInboxApp.notify is not Screen.notify
    assert "notify" in SupportInboxApp.__dict__
