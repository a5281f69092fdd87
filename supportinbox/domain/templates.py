"""Canned reply templates: plain-text Jinja2 files the user edits.

A template is ``NAME.txt`` or ``NAME.md`` in :func:`supportinbox.paths.templates_dir`,
optionally starting with YAML front matter::

    ---
    description: Refund issued, money back in 5-10 business days
    status: closed          # open | pending | closed, applied once the reply is sent
    tags: [billing]
    subject_prefix: "[Acme]"
    followup: 3d            # the conversation comes back then unless the customer writes
    ---
    Hi {{ customer.first_name }}, ...

Templates render in a sandbox (no attribute access to Python internals, lists and dicts
never changed in place), bounded (see :mod:`template_limits`: no template can freeze the
app or fill the memory) and strictly: a misspelt variable is an error that names it,
never an empty string sent to a customer.
Values (names, subjects, the quoted message) are data, never template code, so a
customer who writes ``{{ ... }}`` gets it back verbatim.
"""

from __future__ import annotations

import difflib
import os
import re
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import jinja2
import yaml
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError

from supportinbox import paths
from supportinbox.domain.template_limits import BoundedEnvironment, TemplateLimit, bounded, collect
from supportinbox.domain.when import parse_span
from supportinbox.errors import NotFound, UserError

SUFFIXES = (".txt", ".md")
STATUSES = ("open", "pending", "closed")
FRONT_MATTER_KEYS = ("description", "status", "tags", "subject_prefix", "followup")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TemplateError(UserError):
    """A template is missing, malformed, or uses a variable that does not exist.

    ``mistakes``: everything found wrong in the file, each with its line (when known);
    ``path``: the file they are in.
    """

    title = "Template"
    exit_code = 2
    mistakes: list[Mistake] | None = None
    path: Path | None = None


@dataclass(frozen=True)
class Template:
    """One template file, parsed but not rendered."""

    name: str
    path: Path
    source: str
    body_line: int = 1
    description: str = ""
    status: str | None = None
    tags: tuple[str, ...] = ()
    subject_prefix: str = ""
    followup: timedelta | None = None  # a follow-up this long after the reply is sent


@dataclass(frozen=True)
class TemplateVariables:
    """Everything a template may use. Strings are already safe text (see safetext)."""

    customer_name: str
    customer_first_name: str
    customer_email: str
    subject: str
    agent_name: str
    account_display_name: str
    account_email: str
    conversation_id: str
    quote: str
    today: date = field(default_factory=date.today)
    signature: str = ""  # the agent's or account's; empty: the agent's name and the account's


class _Namespace(Mapping[str, Any]):
    """A read-only group of variables that knows its own dotted name (for error messages)."""

    def __init__(self, path: str, values: dict[str, Any]) -> None:
        self._si_path = path
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        # ``{{ customer }}`` alone is almost certainly a mistake: say which fields exist.
        fields = ", ".join(f"{self._si_path}.{k}" for k in self._values)
        raise jinja2.UndefinedError(f"uses '{self._si_path}' alone: write one of {fields}")


class _NamedUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose message is the full dotted variable name, e.g. customer.phone."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        parent = getattr(self._undefined_obj, "_si_path", None)
        name = f"{parent}.{self._undefined_name}" if parent else str(self._undefined_name)
        return f"uses undefined variable '{name}'"


def _environment() -> BoundedEnvironment:
    env = BoundedEnvironment(
        autoescape=False,
        undefined=_NamedUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    # Only harmless helpers stay global; the rest (cycler, joiner, lipsum) serve no reply.
    env.globals = {"range": env.globals["range"]}
    return env


_ENV = _environment()


def variables_context(values: TemplateVariables) -> dict[str, Any]:
    """The names a template sees, grouped as customer.*, agent.*, account.*, conversation.*."""
    return {
        "customer": _Namespace(
            "customer",
            {
                "name": values.customer_name,
                "first_name": values.customer_first_name,
                "email": values.customer_email,
            },
        ),
        "agent": _Namespace("agent", {"name": values.agent_name}),
        "account": _Namespace(
            "account", {"display_name": values.account_display_name, "email": values.account_email}
        ),
        "conversation": _Namespace("conversation", {"id": values.conversation_id}),
        "subject": values.subject,
        "quote": values.quote,
        "today": values.today,
        "signature": values.signature or f"{values.agent_name}\n{values.account_display_name}",
    }


def _fail(name: str, message: str) -> NoReturn:
    raise TemplateError(f"template {name!r} {message}")


def _render_failed(template: Template, exc: BaseException, message: str) -> NoReturn:
    """A template that failed while rendering, named by its file and the line it failed on
    (Jinja's traceback carries the template's own line numbers)."""
    line = None
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno + template.body_line - 1
        trace = trace.tb_next
    raise _mistakes_error(template.name, template.path, [Mistake(line, message)])


@dataclass(frozen=True)
class Mistake:
    """One thing wrong in a template file, at a line of the file (None: the whole file)."""

    line: int | None
    text: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.text}" if self.line else self.text


def _mistakes_error(name: str, path: Path | None, mistakes: list[Mistake]) -> TemplateError:
    where = f" ({path.name})" if path is not None and path.name else ""
    if len(mistakes) == 1:
        error = TemplateError(f"template {name!r}{where} {mistakes[0]}")
    else:
        listed = "; ".join(str(m) for m in mistakes)
        error = TemplateError(f"template {name!r}{where} has {len(mistakes)} mistakes: {listed}")
    error.mistakes = mistakes
    error.path = path
    return error


def _split_front_matter(text: str) -> tuple[dict[str, Any], list[str], str, int, list[Mistake]]:
    """(front matter, its lines, body, line number of the body's first line, mistakes)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return {}, [], text, 1, []
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").rstrip() in ("---", "..."):
            header_lines = lines[1:index]
            body = "".join(lines[index + 1 :])
            break
    else:
        unclosed = Mistake(1, "front matter opened with '---' is never closed with '---'")
        return {}, [], "", 1, [unclosed]
    body_line = index + 2
    try:
        data = yaml.safe_load("".join(header_lines))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        line = mark.line + 2 if mark is not None else 2
        return {}, header_lines, body, body_line, [Mistake(line, f"invalid front matter: {problem}")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, header_lines, body, body_line, [Mistake(2, "front matter must be 'key: value' lines")]
    return data, header_lines, body, body_line, []


def _key_line(header_lines: list[str], key: object) -> int | None:
    """The file line of ``key:`` in the front matter (which starts on line 2)."""
    pattern = re.compile(rf"^\s*{re.escape(str(key))}\s*:")
    return next((n + 2 for n, line in enumerate(header_lines) if pattern.match(line)), None)


def _validate_front_matter(
    data: dict[str, Any], header_lines: list[str]
) -> tuple[dict[str, Any], list[Mistake]]:
    mistakes: list[Mistake] = []

    def wrong(key: str, text: str) -> None:
        mistakes.append(Mistake(_key_line(header_lines, key), text))

    for key in data:
        if key not in FRONT_MATTER_KEYS:
            known = ", ".join(FRONT_MATTER_KEYS)
            nearest = difflib.get_close_matches(str(key), FRONT_MATTER_KEYS, n=1)
            hint = f" → {nearest[0]}?" if nearest else f" (known keys: {known})"
            wrong(key, f"unknown front matter key {str(key)!r}{hint}")
    out: dict[str, Any] = {}
    for key in ("description", "subject_prefix"):
        if key in data and data[key] is not None:
            if isinstance(data[key], str):
                out[key] = " ".join(data[key].split())
            else:
                wrong(key, f"front matter {key!r} must be text")
    if data.get("status") is not None:
        status = data["status"]
        if status in STATUSES:
            out["status"] = status
        else:
            wrong("status", f"front matter 'status' must be one of {', '.join(STATUSES)}, not {status!r}")
    if data.get("tags") is not None:
        tags = [data["tags"]] if isinstance(data["tags"], str) else data["tags"]
        if isinstance(tags, list) and all(isinstance(t, str) and t.strip() for t in tags):
            out["tags"] = tuple(t.strip() for t in tags)
        else:
            wrong("tags", "front matter 'tags' must be a list of words")
    if data.get("followup") is not None:
        span = parse_span(str(data["followup"]))
        if span is not None:
            out["followup"] = span
        else:
            wrong(
                "followup",
                f"front matter 'followup' must be a time like 1d, 3d or 2w, not {data['followup']!r}",
            )
    return out, mistakes


# What a template may name: the groups with their fields, and the plain values.
FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("name", "first_name", "email"),
    "agent": ("name",),
    "account": ("display_name", "email"),
    "conversation": ("id",),
}
VALUES = ("subject", "quote", "today", "range", "signature")


def _nearest(word: str) -> str:
    """`` → customer.first_name?`` for a misspelt name, or nothing when no name is close."""
    group, dot, field = word.partition(".")
    if dot:
        close = difflib.get_close_matches(field, FIELDS.get(group, ()), n=1, cutoff=0.75)
        if close:
            return f" → {group}.{close[0]}?"
        elsewhere = [f"{other}.{field}" for other, names in FIELDS.items() if field in names]
        return f" → {elsewhere[0]}?" if elsewhere else ""
    close = difflib.get_close_matches(word, [*FIELDS, *VALUES], n=1, cutoff=0.75)
    if close:
        return f" → {close[0]}?"
    fields = [f"{other}.{word}" for other, names in FIELDS.items() if word in names]
    return f" → {fields[0]}?" if fields else ""


_FIELD_IN_TEXT = re.compile(r"\b(" + "|".join(FIELDS) + r")\.([A-Za-z_][A-Za-z0-9_]*)")


def _field_mistakes_in_text(body: str, body_line: int) -> list[Mistake]:
    """Misspelt fields (``customer.frist_name``) in a body Jinja cannot parse: the syntax
    error hides the rest, but these are still worth naming in the same message."""
    found: list[Mistake] = []
    for number, text in enumerate(body.splitlines(), start=body_line):
        for match in _FIELD_IN_TEXT.finditer(text):
            group, attr = match.groups()
            if attr not in FIELDS[group] and not attr.startswith("_"):
                dotted = f"{group}.{attr}"
                found.append(Mistake(number, f"unknown variable {dotted!r}{_nearest(dotted)}"))
    return found


def _variable_mistakes(ast: nodes.Template, body_line: int) -> list[Mistake]:
    """Every unknown variable or field the template uses, with its line and the nearest name.

    Found by reading the template, not by rendering it: a mistake in a branch that a given
    customer would not reach is still found.
    """
    found: set[tuple[int, str]] = set()

    def line(node: nodes.Node) -> int:
        return int(node.lineno or 1) + body_line - 1

    # A template is one file: there is nothing to load another one from.
    for other in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        tag = {nodes.Include: "include", nodes.Extends: "extends"}.get(type(other), "import")
        found.add((line(other), f"'{{% {tag} %}}' cannot be used: a template is one file (copy the text in)"))
    unknown = meta.find_undeclared_variables(ast) - set(FIELDS) - set(VALUES)
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and name.name in unknown:
            found.add((line(name), f"unknown variable {name.name!r}{_nearest(name.name)}"))
    fields: list[tuple[nodes.Expr, str, nodes.Node]] = [
        (n.node, n.attr, n) for n in ast.find_all(nodes.Getattr)
    ]
    fields += [
        (n.node, n.arg.value, n)
        for n in ast.find_all(nodes.Getitem)
        if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)
    ]
    for target, attr, node in fields:
        if not isinstance(target, nodes.Name) or target.name not in FIELDS:
            continue
        if attr not in FIELDS[target.name] and not attr.startswith("_"):  # _x: the sandbox refuses it
            dotted = f"{target.name}.{attr}"
            found.add((line(node), f"unknown variable {dotted!r}{_nearest(dotted)}"))
    for output in ast.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.Name) and child.name in FIELDS:
                choices = ", ".join(f"{child.name}.{f}" for f in FIELDS[child.name])
                found.add((line(child), f"uses {child.name!r} alone: write one of {choices}"))
    return [Mistake(n, text) for n, text in sorted(found)]


def parse_template(name: str, text: str, path: Path | None = None) -> Template:
    """Parse a template's text, checking the front matter, the Jinja syntax and every variable.

    Raises :class:`TemplateError` listing every mistake found, each with its line.
    """
    data, header_lines, body, body_line, mistakes = _split_front_matter(text)
    settings, wrong = _validate_front_matter(data, header_lines)
    mistakes += wrong
    if not (mistakes and not body):
        try:
            ast = _ENV.parse(body)
            _ENV.compile(ast)  # unknown filters and tests are found here
        except jinja2.TemplateSyntaxError as exc:
            line = (exc.lineno or 1) + body_line - 1
            mistakes.append(Mistake(line, f"syntax error: {exc.message}"))
            mistakes += _field_mistakes_in_text(body, body_line)
        else:
            mistakes += _variable_mistakes(ast, body_line)
        mistakes.sort(key=lambda m: m.line or 0)
    if mistakes:
        raise _mistakes_error(name, path, mistakes)
    return Template(name=name, path=path or Path(name), source=body, body_line=body_line, **settings)


# A reply written from scratch: no template file, an empty body, no status afterwards.
BLANK = Template(name="", path=Path(), source="", description="An empty reply you write yourself")


def check_name(name: str) -> str:
    """A template name is a plain file stem: no folders, no hidden files."""
    if not _NAME.match(name):
        raise TemplateError(
            f"{name!r} is not a template name: use letters, digits, '-', '_' or '.' (e.g. refund-processed)"
        )
    return name


def _files(directory: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return found
    except OSError as exc:
        raise TemplateError(f"cannot read the templates folder {directory}: {exc.strerror or exc}") from None
    for path in entries:
        if path.suffix in SUFFIXES and path.is_file() and _NAME.match(path.stem):
            found.setdefault(path.stem, []).append(path)
    return found


def load_template(name: str, directory: Path | None = None) -> Template:
    """The template called ``name`` (``NAME.txt`` or ``NAME.md``)."""
    directory = directory or paths.templates_dir()
    check_name(name)
    candidates = _files(directory).get(name, [])
    if not candidates:
        available = (
            ", ".join(sorted(_files(directory))) or "none; run 'supportinbox init' to add the defaults"
        )
        raise NotFound(f"no template named {name!r} in {directory} (available: {available})")
    if len(candidates) > 1:
        both = " and ".join(p.name for p in candidates)
        raise TemplateError(f"template {name!r} is ambiguous: both {both} exist in {directory}")
    path = candidates[0]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _fail(name, f"is not UTF-8 text ({path})")
    except OSError as exc:
        _fail(name, f"cannot be read: {exc.strerror or exc}")
    return parse_template(name, text, path)


@dataclass(frozen=True)
class BrokenTemplate:
    """A template file that cannot be used, and every mistake found in it."""

    name: str
    path: Path
    mistakes: tuple[Mistake, ...]

    def describe(self) -> str:
        """``refund.txt line 4: unknown variable ...; line 9: ...``."""
        return f"{self.path.name} " + "; ".join(str(m) for m in self.mistakes)


@dataclass(frozen=True)
class TemplateScan:
    """The templates of a folder: those that work and those that are broken."""

    templates: list[Template]
    broken: list[BrokenTemplate]


def scan_templates(directory: Path | None = None) -> TemplateScan:
    """Every template in the folder, by name; a broken one is listed with its mistakes and
    never keeps the others from being used."""
    directory = directory or paths.templates_dir()
    working: list[Template] = []
    broken: list[BrokenTemplate] = []
    for name, files in sorted(_files(directory).items()):
        try:
            working.append(load_template(name, directory))
        except TemplateError as exc:
            mistakes = tuple(exc.mistakes or [Mistake(None, exc.message)])
            broken.append(BrokenTemplate(name, files[0], mistakes))
    return TemplateScan(working, broken)


def list_templates(directory: Path | None = None) -> list[Template]:
    """The templates in the folder that work, by name (see :func:`scan_templates`)."""
    return scan_templates(directory).templates


def places(template: Template, name: str) -> bool:
    """Whether the template uses the variable ``name`` (e.g. places the signature itself)."""
    return name in meta.find_undeclared_variables(_ENV.parse(template.source))


def trim_line(line: str) -> str:
    """Trailing white space removed, except from the "-- " signature separator (RFC 3676)."""
    return line if line == "-- " else line.rstrip()


# Prose is rewrapped to this width after the variables are filled in (RFC 5322 suggests 78).
WRAP_WIDTH = 72
# A line this long (or longer) in a paragraph of several was wrapped by the template's
# author; a shorter one (a greeting, a signature, an address) was broken on purpose.
_WRAPPED_LINE = 40
# A list item's marker: a bullet or dash (the en and em dashes of German or French lists),
# "1." or "1)", "a)", "(a)" or "(1)".
_MARKER = r"(?:[-*•+–—]|\d+[.)]|[a-z]\)|\((?:\d+|[a-z])\))"
_NOT_PROSE = re.compile(rf"\s*(?:>|{_MARKER}\s|\|)")


# A line's indent and list marker ("3. ", "- ", "> "): what a narrow pane keeps apart when
# it wraps the line, so the item's further rows go on under its text.
_LEAD = re.compile(rf"[ \t]*(?:{_MARKER}[ \t]+|(?:>[ \t]?)+)?")


def text_column(line: str) -> int:
    """Where the text of a reply's line starts, after its indent and list marker (0: at once)."""
    found = _LEAD.match(line)
    return len(found.group(0)) if found else 0


def _is_prose(lines: list[str]) -> bool:
    return (
        len(lines) > 1
        and all(len(line) >= _WRAPPED_LINE for line in lines[:-1])
        and not any(_NOT_PROSE.match(line) or line.startswith((" ", "\t")) for line in lines)
    )


def reflow(text: str, width: int | None = WRAP_WIDTH) -> str:
    """Rewrap the paragraphs a template's author wrapped by hand, once the variables are in.

    A customer's name or subject lengthens a line, and a paragraph wrapped in the template
    would leave an orphan ("... and sorry for" / "the trouble ..."). Only paragraphs whose
    lines are all long are rewrapped; quotes, lists, indented text, signatures (after
    "-- ") and short lines stay as written. ``width`` None: each such paragraph becomes one
    line, for a pane that wraps it to its own width (the template picker's preview).
    """
    out: list[str] = []
    paragraph: list[str] = []
    signature = False

    def flush() -> None:
        if paragraph and not signature and _is_prose(paragraph):
            joined = " ".join(line.strip() for line in paragraph)
            if width is None:
                out.append(joined)
            else:
                out.extend(textwrap.wrap(joined, width, break_long_words=False, break_on_hyphens=False))
        else:
            out.extend(paragraph)
        paragraph.clear()

    for line in text.split("\n"):
        if line == "-- ":
            flush()
            signature = True
            out.append(line)
        elif not line.strip():
            flush()
            out.append(line)
        else:
            paragraph.append(line)
    flush()
    return "\n".join(out)


def render(template: Template, values: TemplateVariables) -> str:
    """The reply body: LF line ends, no trailing blank lines, one final newline."""
    try:
        compiled = _ENV.from_string(template.source)
        with bounded():
            text = collect(compiled.generate(variables_context(values)))
    except TemplateLimit as exc:
        _render_failed(template, exc, exc.message)
    except RecursionError as exc:
        _render_failed(template, exc, "calls a macro from itself without end: give the macro a way to stop")
    except MemoryError as exc:
        _render_failed(template, exc, "needs more memory than there is: repeat or pad less")
    except SecurityError as exc:
        _render_failed(template, exc, f"not allowed: {exc}")
    except jinja2.UndefinedError as exc:
        _render_failed(template, exc, exc.message or "uses an undefined variable")
    except jinja2.TemplateSyntaxError as exc:
        line = (exc.lineno or 1) + template.body_line - 1
        _fail(template.name, f"has a syntax error on line {line}: {exc.message}")
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        _render_failed(template, exc, f"failed to render: {str(exc) or type(exc).__name__}")
    text = reflow(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [trim_line(line) for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines) + "\n"


def default_templates() -> list[tuple[str, str]]:
    """(file name, text) of the templates shipped with supportinbox."""
    package = resources.files("supportinbox") / "templates"
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in package.iterdir()
        if entry.name.endswith(SUFFIXES)
    )


def install_default_templates(directory: Path | None = None) -> list[Path]:
    """Copy the shipped templates into ``directory``; existing files (by name) are never touched."""
    directory = directory or paths.templates_dir()
    try:
        paths.ensure_private_dir(directory)
    except OSError as exc:
        raise TemplateError(
            f"cannot create the templates folder {directory}: {paths.why_not_written(exc)}: check that its "
            "parent folder is writable"
        ) from None
    existing = _files(directory)
    added: list[Path] = []
    for filename, text in default_templates():
        stem = Path(filename).stem
        target = directory / filename
        if stem in existing or target.exists():
            continue
        try:
            # Created 0600 like every other file supportinbox writes (O_EXCL: never overwrite).
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            continue
        except OSError as exc:
            raise TemplateError(f"cannot write {target}: {exc.strerror or exc}") from None
        added.append(target)
    return added


__all__ = [
    "BLANK",
    "BrokenTemplate",
    "Mistake",
    "Template",
    "TemplateError",
    "TemplateVariables",
    "install_default_templates",
    "list_templates",
    "load_template",
    "parse_template",
    "render",
    "scan_templates",
]
