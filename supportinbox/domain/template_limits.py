"""Bounds on the work one template render may do.

Jinja's sandbox keeps a template away from Python's internals but not from the machine:
``{{ "x" * 100000000 }}``, ``{{ "x"|center(10**9) }}``, a nested loop or a macro calling
itself twice would freeze the app (the reply preview renders on every keypress) or fill
the memory. Here every way a template can make text grow or repeat work is counted
against one :class:`Budget` per render:

- **turns**: each turn of a ``{% for %}`` loop, each call (a macro, a method, ``range``)
  and each filter is one turn;
- **characters**: what an operation would build (``*``, ``+``, ``~``, ``%``, the widths of
  ``center``/``indent``/``format``, a ``join`` or ``replace``) is counted *before* it is
  built, so a refused one never allocates;
- **the reply**: the rendered text itself.

A template over a bound stops with :class:`TemplateLimit`, whose message says what to fix.
"""

from __future__ import annotations

import math
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context
from jinja2.visitor import NodeTransformer

# A reply is read by a person: far beyond any real one, far below what freezes a screen.
MAX_REPLY_CHARS = 100_000
# Text and list items built along the way (a quote filtered twice, a list joined).
MAX_BUILT_CHARS = 2_000_000
# Loop turns, calls and filters in one render.
MAX_TURNS = 100_000
# Numbers: a power or a product past this many bits is refused (str() stops at 4300 digits).
MAX_INT_BITS = 10_000
# A backstop, looked at on every turn, for work no count sees (a method scanning a long
# text on each of many turns).
MAX_SECONDS = 2.0

# Filters that only make sense in HTML, and whose arguments multiply their output.
_DROPPED_FILTERS = ("urlize", "xmlattr")
# What a template may call on a piece of text: the rest (translate, maketrans, encode,
# expandtabs, ...) serves no reply and some multiply the text.
_TEXT_METHODS = frozenset(
    [
        "capitalize",
        "casefold",
        "center",
        "count",
        "endswith",
        "find",
        "format",
        "format_map",
        "index",
        "isalnum",
        "isalpha",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "ljust",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rjust",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        "zfill",
    ]
)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")


class TemplateLimit(Exception):
    """A render went past one of the bounds; the message says which and what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Budget:
    """What one render has spent so far."""

    def __init__(self) -> None:
        self.turns = 0
        self.built = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def turn(self, count: int = 1) -> None:
        self.turns += count
        # One message for both bounds: which one a slow machine meets first is no news.
        if self.turns > MAX_TURNS or time.monotonic() > self.deadline:
            raise TemplateLimit(
                f"repeats too much work (over {MAX_TURNS:,} loop turns and calls, or {MAX_SECONDS:g} s): "
                "loop over fewer items, or remove a macro that calls itself"
            )

    def build(self, size: int) -> None:
        self.built += max(size, 0)
        if self.built > MAX_BUILT_CHARS:
            raise TemplateLimit(
                f"builds too much text (over {MAX_BUILT_CHARS:,} characters): "
                "repeat or pad less ('*', center, indent, join, format widths)"
            )


_CURRENT: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def _budget() -> Budget:
    budget = _CURRENT.get()
    if budget is None:
        # Only a render may run template code; parsing must never reach here.
        raise TemplateLimit("is being run outside a render")
    return budget


@contextmanager
def bounded() -> Iterator[Budget]:
    """Count everything template code does inside the block against a fresh budget."""
    token = _CURRENT.set(Budget())
    try:
        yield _budget()
    finally:
        _CURRENT.reset(token)


def collect(chunks: Iterable[str]) -> str:
    """A rendered template's text, stopped as soon as it passes :data:`MAX_REPLY_CHARS`."""
    out: list[str] = []
    length = 0
    for chunk in chunks:
        length += len(chunk)
        if length > MAX_REPLY_CHARS:
            raise TemplateLimit(
                f"makes a reply longer than {MAX_REPLY_CHARS:,} characters: shorten the text or loop less"
            )
        out.append(chunk)
    return "".join(out)


def _size(value: object) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) else 0


def _text_size(value: object) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ints(values: Iterable[object]) -> int:
    return sum(abs(n) for n in map(_int, values) if n is not None)


def _values(args: object) -> list[Any]:
    """The values a ``%`` or ``format`` may insert: a tuple's items, a mapping's values, or it."""
    if isinstance(args, tuple):
        return list(args)
    if isinstance(args, Mapping):
        return list(args.values())
    return [args]


def _largest(values: Iterable[Any]) -> int:
    return max(map(_text_size, values), default=0)


def _percent_size(fmt: str, args: object) -> int:
    """At most how long ``fmt % args`` is: each conversion may insert the longest value
    (``(x,) * 100`` names one long text a hundred times), widened by its width."""
    width = conversions = 0
    star = False
    for match in _PERCENT_SPEC.finditer(fmt):
        conversions += 1
        for part in match.groups():
            if part == "*":
                star = True
            elif part:
                width += int(part)
    values = _values(args)
    if star:
        width += _ints(values)
    return len(fmt) + width + conversions * _largest(values)


def _format_size(fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """At most how long ``fmt.format(*args, **kwargs)`` is, as :func:`_percent_size`."""
    width = 0
    try:
        fields = [field for field in string.Formatter().parse(fmt) if field[1] is not None]
    except ValueError:
        return 0  # the real call raises the same error, with its message
    values = [*args, *kwargs.values()]
    for _literal, _name, spec, _conversion in fields:
        if spec and "{" in spec:  # a width given as an argument: "{:{}}".format(x, 10**9)
            width += _ints(values)
        width += sum(int(n) for n in _NUMBER.findall(spec or ""))
    return len(fmt) + width + len(fields) * _largest(values)


def _replaced_size(text: str, old: str, new: str, count: object = None) -> int:
    times = text.count(old) if old else len(text) + 1
    limit = _int(count)
    if limit is not None and limit >= 0:
        times = min(times, limit)
    return times * len(new)


def _check_binop(op: str, left: Any, right: Any) -> None:
    budget = _budget()
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            n = _int(times)
            if isinstance(seq, (str, list, tuple)) and n is not None:
                budget.build(len(seq) * n)
                return
        a, b = _int(left), _int(right)
        if a is not None and b is not None and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise TemplateLimit(f"computes a number over {MAX_INT_BITS:,} bits long: use smaller numbers")
    elif op == "**":
        base, exponent = _int(left), _int(right)
        if (
            base is not None
            and exponent is not None
            and abs(base) > 1
            and exponent * math.log2(abs(base)) > MAX_INT_BITS
        ):
            raise TemplateLimit(f"computes a number over {MAX_INT_BITS:,} bits long: use smaller numbers")
    elif op == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            budget.build(len(left) + len(right))
    elif op == "%" and isinstance(left, str):
        budget.build(_percent_size(left, right))


def _check_text_method(text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Count what a method of a piece of text would build; refuse the ones no reply needs."""
    if name not in _TEXT_METHODS:
        raise TemplateLimit(f"calls '{name}' on text, which a template may not use")
    budget = _budget()
    if name in ("center", "ljust", "rjust", "zfill"):
        budget.build(_ints(args[:1]) + len(text))
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        budget.build(len(text) + _replaced_size(text, args[0], args[1], args[2] if len(args) > 2 else None))


def _join_args(value: Any, sep: Any) -> tuple[list[Any], int]:
    items = list(value)
    _budget().turn(len(items))
    size = sum(map(_text_size, items)) + _text_size(sep) * max(len(items) - 1, 0)
    return items, size


def _check_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Count what the filter ``name`` would build or repeat; the value to give it (a
    ``join``'s items, read once to be counted)."""
    budget = _budget()

    def arg(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "join":
        value, size = _join_args(value, arg(0, "d", ""))
        budget.build(size)
    elif name == "center":
        budget.build(_ints([arg(0, "width", 80)]) + _text_size(value))
    elif name == "indent":
        width = arg(0, "width", 4)
        step = _int(width)
        lines = str(value).count("\n") + 1
        budget.build(_text_size(value) + lines * (abs(step) if step is not None else _text_size(width)))
    elif name == "replace" and len(args) >= 2:
        text = str(value)
        budget.build(len(text) + _replaced_size(text, str(args[0]), str(args[1]), arg(2, "count")))
    elif name == "wordwrap":
        wrap = arg(2, "wrapstring")
        budget.build(_text_size(value) * (1 + (_text_size(wrap) if wrap is not None else 1)))
    elif name == "format" and isinstance(value, str):
        budget.build(_percent_size(value, args or kwargs))
    elif name == "batch" and arg(1, "fill_with") is not None:
        budget.build(_ints([arg(0, "linecount", 0)]))
    elif name == "slice":
        budget.turn(_ints([arg(0, "slices", 0)]))
    elif name == "sum" and not isinstance(arg(1, "start", 0), (int, float)):
        raise TemplateLimit("uses 'sum' on something other than numbers: 'sum' adds numbers only")
    return value


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` counted against the render's budget (and so never folded at compile time:
    a filter that takes the context is always run by the render)."""
    # What the filter takes first, as Jinja's pass_context & co. mark it: context,
    # eval_context, environment, or nothing.
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)

    @pass_context
    def run(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.turn()
        value = _check_filter(name, value, args, kwargs)
        if passes == "context":
            result = func(context, value, *args, **kwargs)
        elif passes == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes == "environment":
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        budget.build(_size(result))
        return result

    run.__name__ = run.__qualname__ = getattr(func, "__name__", name)
    return run


class _Limiter(NodeTransformer):
    """Routes every loop's items and every ``~`` through the environment's counting helpers."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("counted_turns"), [node.iter], [], None, None, lineno=node.lineno
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(
            nodes.EnvironmentAttribute("counted_concat"), node.nodes, [], None, None, lineno=node.lineno
        )


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every render counted against a :class:`Budget`.

    Lists and dicts cannot be changed in place (so a loop cannot double a list), and the
    operators that make text grow are intercepted (so Jinja never folds them at compile
    time either).
    """

    intercepted_binops = frozenset(("*", "**", "+", "%"))

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in _DROPPED_FILTERS:
            self.filters.pop(name, None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        limited = _Limiter().visit(tree)
        assert isinstance(limited, nodes.Template)
        return limited

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.turn()
        owner = getattr(obj, "__self__", None)
        wrapped = getattr(obj, "__wrapped__", None)
        formatted = getattr(wrapped, "__self__", None)
        if isinstance(formatted, str):  # str.format(_map), which the sandbox wraps on access
            mapping = args[0] if getattr(wrapped, "__name__", "") == "format_map" and args else None
            if isinstance(mapping, Mapping):
                budget.build(_format_size(formatted, (), dict(mapping)))
            else:
                budget.build(_format_size(formatted, args, kwargs))
        elif isinstance(owner, str):
            name = getattr(obj, "__name__", "")
            if name == "join" and args:
                items, size = _join_args(args[0], owner)
                budget.build(size)
                args = (items, *args[1:])
            else:
                _check_text_method(owner, name, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        budget.build(_size(result))
        return result

    @staticmethod
    def counted_turns(items: Any) -> Iterator[Any]:
        """A loop's items, one turn each."""
        budget = _budget()
        for item in items:
            budget.turn()
            yield item

    @staticmethod
    def counted_concat(*parts: Any) -> str:
        """``a ~ b``: the joined text, counted before it is built."""
        texts = [str(part) for part in parts]
        _budget().build(sum(map(len, texts)))
        return "".join(texts)


__all__ = ["MAX_REPLY_CHARS", "BoundedEnvironment", "Budget", "TemplateLimit", "bounded", "collect"]
