"""A template cannot freeze the app or fill the memory: every render is bounded, and one
that goes past a bound is refused with one line naming the template and what to change."""

from __future__ import annotations

import tracemalloc
from datetime import date

import pytest

from supportinbox.domain.templates import TemplateError, TemplateVariables, parse_template, render

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

TOO_MUCH_TEXT = "builds too much text (over 2,000,000 characters): repeat or pad less"
TOO_MUCH_WORK = "repeats too much work (over 100,000 loop turns and calls, or 2 s): loop over fewer items"
TOO_BIG_NUMBER = "computes a number over 10,000 bits long: use smaller numbers"


def _refusal(source: str) -> str:
    with pytest.raises(TemplateError) as caught:
        render(parse_template("huge", "Hi {{ customer.first_name }},\n" + source), VALUES)
    return caught.value.message


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ('{{ "x" * 100000000 }}', TOO_MUCH_TEXT),
        ('{{ ["x"] * 100000000 }}', TOO_MUCH_TEXT),
        ('{{ "x"|center(1000000000) }}', TOO_MUCH_TEXT),
        ('{{ "x".ljust(1000000000) }}', TOO_MUCH_TEXT),
        ('{{ "a\\nb"|indent(1000000000) }}', TOO_MUCH_TEXT),
        ('{{ "%01000000000d" % 1 }}', TOO_MUCH_TEXT),
        ('{{ "%01000000000d"|format(1) }}', TOO_MUCH_TEXT),
        ('{{ "{:>1000000000}".format(1) }}', TOO_MUCH_TEXT),
        ('{{ "{:{}}".format(1, 1000000000) }}', TOO_MUCH_TEXT),
        ('{{ ("x" * 1000)|replace("x", "y" * 100000) }}', TOO_MUCH_TEXT),
        ('{{ ("x" * 1000).replace("x", "y" * 100000) }}', TOO_MUCH_TEXT),
        ('{{ ("x" * 1000)|wordwrap(1, true, "y" * 100000) }}', TOO_MUCH_TEXT),
        ('{{ range(1000)|join("y" * 100000) }}', TOO_MUCH_TEXT),
        ('{{ ("y" * 100000).join(range(1000)|map("string")) }}', TOO_MUCH_TEXT),
        ("{{ [1]|batch(1000000000, 0)|list }}", TOO_MUCH_TEXT),
        # One long text named many times by a format: counted before the text is built.
        ('{% set x = "x" * 100000 %}{{ ("%s" * 100) % ((x,) * 100) }}', TOO_MUCH_TEXT),
        ('{% set x = "x" * 100000 %}{{ ("%(a)s" * 100) % {"a": x} }}', TOO_MUCH_TEXT),
        ('{% set x = "x" * 100000 %}{{ ("%s" * 100)|format(*((x,) * 100)) }}', TOO_MUCH_TEXT),
        ('{% set x = "x" * 100000 %}{{ ("{0}" * 100).format(x) }}', TOO_MUCH_TEXT),
        ('{{ "{v:{w}}".format_map({"v": 1, "w": 1000000000}) }}', TOO_MUCH_TEXT),
        # Doubling through a macro: each call is cheap, the text is not.
        (
            "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}"
            '{% endmacro %}{{ d("x", 40) }}',
            TOO_MUCH_TEXT,
        ),
        (
            "{% macro d(s, n) %}{% if n %}{{ d(s + s, n - 1) }}{% else %}{{ s|length }}{% endif %}"
            '{% endmacro %}{{ d("x", 40) }}',
            TOO_MUCH_TEXT,
        ),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", TOO_MUCH_WORK),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
            TOO_MUCH_WORK,
        ),
        ("{{ [1]|slice(1000000000)|list }}", TOO_MUCH_WORK),
        ("{{ 9 ** 999999 }}", TOO_BIG_NUMBER),
        ("{{ 2 ** 9000 * 2 ** 9000 }}", TOO_BIG_NUMBER),
        (
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            "calls a macro from itself without end: give the macro a way to stop",
        ),
    ],
)
def test_a_template_past_a_bound_is_refused_on_its_line(source: str, said: str) -> None:
    message = _refusal(source)
    assert message.startswith(f"template 'huge' (huge) line 2: {said}"), message
    assert "\n" not in message


@pytest.mark.parametrize(
    "source",
    [
        '{% set x = "x" * 100000 %}{{ ("{0}" * 1000).format(x) }}',
        '{% set x = "x" * 100000 %}{{ ("{a}" * 1000).format_map({"a": x}) }}',
        '{% set x = "x" * 100000 %}{{ ("%s" * 1000)|format(*((x,) * 1000)) }}',
        '{% set x = "x" * 100000 %}{{ ("%s" * 1000) % ((x,) * 1000) }}',
        '{{ "{v:{w}}".format_map({"v": 1, "w": 100000000}) }}',
    ],
)
def test_text_too_long_is_refused_before_it_is_built(source: str) -> None:
    """Each of these would build 100 MB before a check of the result could refuse it."""
    tracemalloc.start()
    try:
        assert _refusal(source).startswith(f"template 'huge' (huge) line 2: {TOO_MUCH_TEXT}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, peak


def test_a_reply_longer_than_the_bound_is_refused() -> None:
    message = _refusal("{% for i in range(50000) %}words {% endfor %}")
    assert message == (
        "template 'huge' (huge) makes a reply longer than 100,000 characters: shorten the text or loop less"
    )


def test_a_loop_too_long_for_the_sandbox_says_so() -> None:
    message = _refusal("{% for i in range(10 ** 8) %}x{% endfor %}")
    assert message.startswith("template 'huge' (huge) line 2: failed to render: Range too big"), message


def test_text_methods_that_no_reply_needs_are_refused() -> None:
    assert "calls 'translate' on text, which a template may not use" in _refusal('{{ "a".translate({}) }}')


def test_the_sandbox_still_refuses_internals_and_changes_in_place() -> None:
    assert "not allowed" in _refusal("{{ ''.__class__.__mro__ }}")
    assert "access to attribute 'append' of 'list' object is unsafe" in _refusal(
        "{% set seen = [] %}{{ seen.append(1) }}"
    )


def test_filters_are_never_run_while_the_template_is_read() -> None:
    """Jinja folds constant filters when it compiles: a listing of the templates (which
    compiles each one) must not build the text either."""
    parsed = parse_template("huge", '{{ "x"|center(1000000000) }}')
    assert parsed.source == '{{ "x"|center(1000000000) }}'


def test_ordinary_loops_filters_and_formats_still_work() -> None:
    source = (
        "{% for word in ['a', 'b', 'c'] %}{{ loop.index }}/{{ loop.length }}{{ word|upper }} {% endfor %}\n\n"
        "{{ 'x'|center(5) }}|{{ 'ab'|replace('a', 'c') }}|{{ [1, 2]|join(',') }}|{{ '%05d'|format(3) }}|"
        "{{ '{:>4}'.format(1) }}|{{ 'a' ~ 'b' }}|{{ '%s!' % 'hi' }}|{{ 2 ** 10 }}|{{ 'ab' * 2 }}\n\n"
        "{{ customer.name.split()|first }} {{ today.strftime('%d %B %Y') }} "
        "{{ '%(name)s' % customer }} {{ '{n}'.format_map({'n': 3}) }}"
    )
    assert render(parse_template("t", source), VALUES) == (
        "1/3A 2/3B 3/3C\n  x  |cb|1,2|00003|   1|ab|hi!|1024|abab\n\nLina 26 November 2026 Lina Haddad 3\n"
    )
