"""Reply templates: strict, sandboxed rendering; front matter; the shipped defaults."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from supportinbox import paths
from supportinbox.domain.languages import split_variant
from supportinbox.domain.templates import (
    Template,
    TemplateError,
    TemplateVariables,
    default_templates,
    install_default_templates,
    list_templates,
    load_template,
    parse_template,
    render,
    text_column,
)
from supportinbox.errors import NotFound, UserError

VALUES = TemplateVariables(
    customer_name="Lina Haddad",
    customer_first_name="Lina",
    customer_email="lina@customer.test",
    subject="Cannot log in",
    agent_name="Alice",
    account_display_name="Acme Support",
    account_email="support@acme.test",
    conversation_id="k3m9x2qa",
    quote="> It says error 500.",
    today=date(2026, 11, 26),
)


def _render(source: str, name: str = "t") -> str:
    return render(parse_template(name, source), VALUES)


def test_every_variable_renders() -> None:
    source = (
        "{{ customer.name }}|{{ customer.first_name }}|{{ customer.email }}|{{ subject }}|"
        "{{ agent.name }}|{{ account.display_name }}|{{ account.email }}|{{ conversation.id }}|"
        "{{ today }}|{{ today.strftime('%d %B %Y') }}\n{{ quote }}"
    )
    assert _render(source) == (
        "Lina Haddad|Lina|lina@customer.test|Cannot log in|Alice|Acme Support|support@acme.test|"
        "k3m9x2qa|2026-11-26|26 November 2026\n> It says error 500.\n"
    )


def test_output_is_plain_text_not_html_escaped() -> None:
    values = TemplateVariables(**{**VALUES.__dict__, "subject": "<b>Tom & Jerry</b>"})
    assert render(parse_template("t", "{{ subject }}"), values) == "<b>Tom & Jerry</b>\n"


def test_values_are_data_never_template_code() -> None:
    code = "> {{ account.email }} {% if 1 %}x{% endif %}"
    values = TemplateVariables(**{**VALUES.__dict__, "quote": code})
    assert render(parse_template("t", "{{ quote }}"), values) == code + "\n"


@pytest.mark.parametrize(
    ("source", "missing"),
    [
        ("Hi {{ customer.phone }}", "'customer.phone'"),
        ("Hi {{ costumer.name }}", "'costumer' → customer?"),
        ("{{ agent.email }}", "'agent.email' → customer.email?"),
        ("{% if customer.vip %}VIP{% endif %}", "'customer.vip'"),
        ("{{ ticket.number | upper }}", "'ticket'"),
        ("Hi {{ customer.frist_name }}", "'customer.frist_name' → customer.first_name?"),
        ("Hi {{ customer['frist_name'] }}", "'customer.frist_name' → customer.first_name?"),
        ("Hi {{ first_name }}", "'first_name' → customer.first_name?"),
    ],
)
def test_missing_variable_is_named_with_its_line_and_the_nearest_name(source: str, missing: str) -> None:
    with pytest.raises(TemplateError) as info:
        _render(source, "refund")
    assert str(info.value) == f"template 'refund' line 1: unknown variable {missing}"
    assert isinstance(info.value, UserError)


def test_every_mistake_is_listed_with_its_file_line() -> None:
    source = (
        "---\ndescription: Refund\nstatsu: closed\n---\n"
        "Hi {{ customer.frist_name }},\n\n{% if false %}{{ agent.nmae }}{% endif %}\n{{ quote }}\n"
    )
    with pytest.raises(TemplateError) as info:
        parse_template("refund", source, Path("refund.txt"))
    assert str(info.value) == (
        "template 'refund' (refund.txt) has 3 mistakes: "
        "line 3: unknown front matter key 'statsu' → status?; "
        "line 5: unknown variable 'customer.frist_name' → customer.first_name?; "
        "line 7: unknown variable 'agent.nmae' → agent.name?"
    )
    assert [m.line for m in info.value.mistakes or []] == [3, 5, 7]


def test_unknown_filters_are_found_before_rendering() -> None:
    with pytest.raises(TemplateError, match=r"line 2: syntax error: .*filter.*shout"):
        parse_template("t", "Hi\n{{ subject | shout }}\n")


def test_variables_set_in_the_template_are_known() -> None:
    source = "{% set who = customer.first_name %}{% for n in range(2) %}{{ who }}{{ loop.index }}{% endfor %}"
    assert _render(source) == "Lina1Lina2\n"


def test_whole_group_alone_is_explained() -> None:
    with pytest.raises(TemplateError, match=r"uses 'customer' alone: write one of customer\.name"):
        _render("Hi {{ customer }}")


def test_syntax_error_names_template_and_file_line() -> None:
    source = "---\ndescription: x\n---\nHi {{ customer.first_name }},\n\n{% if quote %}\n{{ quote }\n"
    with pytest.raises(TemplateError) as info:
        parse_template("broken", source)
    message = str(info.value)
    assert message.startswith("template 'broken' line 7: syntax error:"), message


def test_unclosed_block_is_a_syntax_error() -> None:
    with pytest.raises(TemplateError, match="template 'x' line 2: syntax error: Unexpected end"):
        parse_template("x", "{% if quote %}\n{{ quote }}\n")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ range.__self__ }}",
        "{{ customer.__class__ }}",
        "{{ customer._values }}",
        "{{ customer._si_path }}",
        "{{ today.__class__.__init__.__globals__ }}",
        "{{ subject.__class__.__base__.__subclasses__() }}",
        "{{ self.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ namespace.__init__.__globals__ }}",
        "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
        "{{ (customer|attr('__class__')) }}",
    ],
)
def test_sandbox_escapes_are_refused(source: str) -> None:
    with pytest.raises(TemplateError) as info:
        _render(source)
    assert str(info.value).startswith("template 't' ")
    assert "\n" not in str(info.value)


def test_front_matter_is_parsed() -> None:
    template = parse_template(
        "refund",
        "---\ndescription: Refund issued\nstatus: closed\ntags: [billing, refund]\n"
        'subject_prefix: "[Acme]"\n---\nHi {{ customer.first_name }},\n',
    )
    assert template.description == "Refund issued"
    assert template.status == "closed"
    assert template.tags == ("billing", "refund")
    assert template.subject_prefix == "[Acme]"
    assert render(template, VALUES) == "Hi Lina,\n"


def test_no_front_matter_is_fine() -> None:
    template = parse_template("plain", "Hello\n---\nnot front matter\n")
    assert template.status is None and template.description == ""
    assert "not front matter" in render(template, VALUES)


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("colour: red", "unknown front matter key 'colour' (known keys:"),
        ("status: done", "front matter 'status' must be one of open, pending, closed, not 'done'"),
        ("tags: {a: 1}", "front matter 'tags' must be a list of words"),
        ("description: [1, 2]", "front matter 'description' must be text"),
        ("- a\n- b", "front matter must be 'key: value' lines"),
        ("description: [unclosed", "line 3: invalid front matter: expected"),
    ],
)
def test_bad_front_matter_is_refused_with_the_reason(front: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template("t", f"---\n{front}\n---\nbody\n")
    assert message in str(info.value)
    assert str(info.value).startswith("template 't' ")


def test_unclosed_front_matter_is_refused() -> None:
    with pytest.raises(TemplateError, match="never closed"):
        parse_template("t", "---\ndescription: x\nHi there\n")


def test_render_trims_blank_edges_and_trailing_spaces() -> None:
    assert _render("\n\nHi   \n\n{% if false %}x{% endif %}\n\n") == "Hi\n"


def test_templates_are_found_by_stem_in_the_templates_dir() -> None:
    folder = paths.templates_dir()
    folder.mkdir(parents=True)
    (folder / "refund.txt").write_text("---\ndescription: Refund\n---\nFor {{ customer.first_name }}\n")
    (folder / "welcome.md").write_text("Welcome\n")
    (folder / "notes.rst").write_text("ignored\n")
    assert [t.name for t in list_templates()] == ["refund", "welcome"]
    template = load_template("refund")
    assert isinstance(template, Template) and template.path == folder / "refund.txt"
    assert render(template, VALUES) == "For Lina\n"


def test_missing_template_lists_what_exists(tmp_path: Path) -> None:
    (tmp_path / "refund.txt").write_text("x")
    with pytest.raises(NotFound, match=r"no template named 'refnud' .*available: refund"):
        load_template("refnud", tmp_path)


def test_ambiguous_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "refund.txt").write_text("x")
    (tmp_path / "refund.md").write_text("y")
    with pytest.raises(TemplateError, match="ambiguous"):
        load_template("refund", tmp_path)


@pytest.mark.parametrize("name", ["../secret", "a/b", ".hidden", "", "x" * 80, "refund.txt/../../x"])
def test_template_names_cannot_leave_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(TemplateError, match="is not a template name"):
        load_template(name, tmp_path)


def test_install_defaults_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    added = install_default_templates(folder)
    assert {p.stem for p in added} >= {
        "acknowledge-investigating",
        "refund-processed",
        "login-help",
        "bug-received",
        "feature-request-thanks",
        "need-more-information",
        "closing-follow-up",
    }
    mine = folder / "refund-processed.txt"
    mine.write_text("my own refund text\n")
    (folder / "login-help.txt").unlink()
    (folder / "login-help.md").write_text("my login help as markdown\n")
    assert install_default_templates(folder) == []
    assert mine.read_text() == "my own refund text\n"
    assert not (folder / "login-help.txt").exists()
    (folder / "bug-received.txt").unlink()
    assert [p.name for p in install_default_templates(folder)] == ["bug-received.txt"]


# How each shipped language greets Lina and introduces her quoted words.
GREETINGS = {"en": "Hi Lina,\n", "de": "Hallo Lina,\n", "ar": "مرحباً Lina،\n"}
QUOTE_HEADS = {"en": "You wrote:", "de": "Sie schrieben:", "ar": "كتبت:"}


@pytest.mark.parametrize(("filename", "text"), default_templates(), ids=[f for f, _ in default_templates()])
def test_shipped_templates_are_complete(filename: str, text: str) -> None:
    template = parse_template(Path(filename).stem, text)
    assert template.description, "every shipped template says what it is for"
    assert template.status in ("open", "pending", "closed")
    body = render(template, VALUES)
    language = split_variant(Path(filename).stem)[1] or "en"
    assert body.startswith(GREETINGS[language])
    if split_variant(Path(filename).stem)[0] == "acknowledgement":
        # Sent automatically by whichever client syncs first: signed by the team, no agent.
        assert body.rstrip().endswith("\nAcme Support") and "Alice" not in body
    else:
        assert "Alice\nAcme Support" in body, "signed by the agent"
    assert "{{" not in body and "{%" not in body
    assert "Cannot log in" in body or "> It says error 500." in body, "restates the problem"
    assert all(len(line) <= 78 for line in body.splitlines()), "readable in any mail client"
    without_quote = render(template, TemplateVariables(**{**VALUES.__dict__, "quote": ""}))
    assert QUOTE_HEADS[language] not in without_quote


def test_a_syntax_error_does_not_hide_misspelt_fields() -> None:
    source = "Hi {{ customer.frist_name }},\n{% if quote %}\n{{ quote }}\n"
    with pytest.raises(TemplateError) as info:
        parse_template("t", source)
    assert [str(m) for m in info.value.mistakes or []] == [
        "line 1: unknown variable 'customer.frist_name' → customer.first_name?",
        "line 3: syntax error: Unexpected end of template. Jinja was looking for the following tags: "
        "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
    ]


def test_a_long_subject_leaves_no_orphan_line_in_a_wrapped_paragraph() -> None:
    (_, text) = next(t for t in default_templates() if t[0] == "acknowledge-investigating.txt")
    long_subject = "Audit log retention for our compliance review next week"
    values = TemplateVariables(**{**VALUES.__dict__, "subject": long_subject})
    body = render(parse_template("acknowledge-investigating", text), values)
    paragraph = body.split("\n\n")[1].splitlines()
    assert " ".join(paragraph).startswith(f'Thank you for letting us know about this ("{long_subject}")')
    assert all(len(line) <= 72 for line in paragraph)
    assert all(len(line) >= 40 for line in paragraph[:-1]), f"an orphan line: {paragraph}"


def test_only_hand_wrapped_prose_is_rewrapped() -> None:
    source = (
        "Hi {{ customer.first_name }},\n\n"
        "This paragraph was wrapped by hand in the template and {{ customer.name }}\n"
        "makes its first line longer than the author meant it to be.\n\n"
        "Steps:\n"
        "1. Open the settings page of your account, then the security tab\n"
        "2. Choose a new password and confirm it with the code we sent you\n\n"
        "    indented code that is long enough to look like a wrapped line\n"
        "    and must stay exactly as it is written here\n\n"
        "Best regards,\n{{ agent.name }}\n{{ account.display_name }}\n\n"
        "{{ quote }}\n> and a second quoted line that is long enough to be rewrapped\n"
        "-- \n"
        "Acme Support, 1 Long Street Name That Goes On, Somewhere 12345 City\n"
        "Phone +1 555 0100 and the web site https://acme.example/support\n"
    )
    body = _render(source)
    assert (
        "This paragraph was wrapped by hand in the template and Lina Haddad makes\n"
        "its first line longer than the author meant it to be.\n"
    ) in body
    assert "1. Open the settings page of your account, then the security tab\n2. Choose" in body
    assert "    indented code that is long enough to look like a wrapped line\n    and must" in body
    assert "Best regards,\nAlice\nAcme Support\n" in body
    assert "> It says error 500.\n> and a second quoted line" in body
    assert "City\nPhone +1 555 0100" in body, "the signature after '-- ' stays as written"


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("Hi\n\n{{ 1 / 0 }}", "template 'x' (x.txt) line 6: failed to render: division by zero"),
        (
            "Hi\n{% for n in 5 %}{{ n }}{% endfor %}",
            "template 'x' (x.txt) line 5: failed to render: 'int' object",
        ),
        ("{{ customer.first_name.nope }}", "template 'x' (x.txt) line 4: uses undefined variable 'nope'"),
        (
            "\n{{ customer.__class__ }}",
            "template 'x' (x.txt) line 5: not allowed: access to attribute '__class__'",
        ),
    ],
)
def test_a_failure_while_rendering_names_the_file_line(source: str, said: str) -> None:
    template = parse_template(
        "x", f"---\ndescription: d\n{source}".replace("d\n", "d\n---\n", 1), Path("x.txt")
    )
    with pytest.raises(TemplateError) as info:
        render(template, VALUES)
    assert str(info.value).startswith(said), info.value
    assert "Error" not in str(info.value)  # no Python exception names


@pytest.mark.parametrize(
    "tag", ['{% include "other.txt" %}', '{% extends "other.txt" %}', '{% import "m" as m %}']
)
def test_another_file_is_refused_when_the_template_is_read(tag: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template("x", f"Hi\n{tag}\n", Path("x.txt"))
    assert "line 2: " in str(info.value) and "cannot be used: a template is one file" in str(info.value)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("Hi Hannah,", 0),
        ("- the browser you use", 2),
        ("* item", 2),
        ("• item", 2),
        ("3. Follow the link", 3),
        ("12) Twelfth step", 4),
        ("– Melden Sie sich an", 2),
        ("b) move to the yearly plan", 3),
        ("(2) second", 4),
        ("   time, so use it soon", 3),
        ("> You wrote this", 2),
        ("> > and before that", 4),
        ("-- ", 0),
        ("-5 degrees outside", 0),
        ("", 0),
    ],
)
def test_a_lines_text_starts_after_its_indent_and_list_marker(line: str, column: int) -> None:
    assert text_column(line) == column


@pytest.mark.parametrize(
    "items",
    [
        [
            "– Melden Sie sich mit der Adresse an, die auf Ihrer Rechnung steht, bitte.",
            "– Setzen Sie Ihr Passwort über die Seite „Passwort vergessen“ zurück, danke.",
        ],
        [
            "a) keep the current plan and pay the difference at the end of the month",
            "b) move to the yearly plan, which includes the export feature you asked",
        ],
        [
            "(1) keep the current plan and pay the difference at the end of the month",
            "(2) move to the yearly plan, which includes the export feature you asked",
        ],
        [
            "— première option : garder la formule actuelle jusqu'à la fin du mois",
            "— seconde option : passer à la formule annuelle avec l'export demandé",
        ],
    ],
)
def test_a_list_of_dashes_or_letters_is_sent_as_written(items: list[str]) -> None:
    """An en-dash or "a)" list was taken for prose and run together into one paragraph."""
    body = _render(
        "Hi,\n\nTwo ways that should help you at once, whichever fits you best:\n" + "\n".join(items)
    )
    assert "\n".join(items) in body
