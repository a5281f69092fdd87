"""A fast parser for the FETCH answers the sync engine asks for.

imapclient's general response parser reads one character at a time in Python; on a first
sync it costs more CPU than everything else the client does. This parser tokenizes with
one regular expression, builds the nested lists without recursion, and produces the same
shape as imapclient (``{uid: {b"FLAGS": (...), b"BODY[HEADER]": b"...", ...}}``) for the
items the engine requests: UID, FLAGS, INTERNALDATE, RFC822.SIZE, MODSEQ, BODYSTRUCTURE and
BODY sections. Anything it cannot read raises :class:`imapclient.exceptions.ProtocolError`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from imapclient.exceptions import ProtocolError

_TOKEN = re.compile(rb'[ \t\r\n]*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^ \t\r\n()"]+))', re.DOTALL)
_LITERAL_END = re.compile(rb"\{(\d+)\+?\}$")
_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_MONTHS = {m: i for i, m in enumerate(b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_DATE = re.compile(rb"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")
MAX_NESTING = 200


def _values(text: bytes, values: list[Any]) -> None:
    """Append the flat token values of ``text``; parentheses become the markers ( and )."""
    append = values.append
    # findall runs the scan in C; exactly one group of each match is non-empty, except
    # for the empty quoted string "".
    for opening, closing, quoted, atom in _TOKEN.findall(text):
        if atom:
            if atom.isdigit():
                append(int(atom))
            elif atom == b"NIL" or atom.upper() == b"NIL":
                append(None)
            else:
                append(atom)
        elif opening:
            append(_OPEN)
        elif closing:
            append(_CLOSE)
        else:
            append(_ESCAPE.sub(rb"\1", quoted) if b"\\" in quoted else quoted)


_OPEN = object()
_CLOSE = object()


def _tokens(data: list[Any]) -> list[Any]:
    values: list[Any] = []
    for element in data:
        if element is None:
            continue
        if isinstance(element, tuple):
            head, literal = element[0], element[1]
            match = _LITERAL_END.search(head)
            if match is None:
                raise ProtocolError("literal without a {size} marker in FETCH response")
            _values(head[: match.start()], values)
            values.append(bytes(literal))
        else:
            _values(bytes(element), values)
    return values


def _nest(values: list[Any]) -> list[Any]:
    """Turn the flat values into nested tuples, iteratively."""
    stack: list[list[Any]] = [[]]
    for value in values:
        if value is _OPEN:
            if len(stack) > MAX_NESTING:
                raise ProtocolError("FETCH response nested too deeply")
            stack.append([])
        elif value is _CLOSE:
            if len(stack) == 1:
                raise ProtocolError("unbalanced parenthesis in FETCH response")
            done = tuple(stack.pop())
            stack[-1].append(done)
        else:
            stack[-1].append(value)
    if len(stack) != 1:
        raise ProtocolError("unbalanced parenthesis in FETCH response")
    return stack[0]


def internaldate(raw: Any) -> datetime | None:
    """``26-Nov-2026 04:42:59 +0000`` as an aware datetime (locale-independent)."""
    if not isinstance(raw, bytes):
        return None
    match = _DATE.match(raw)
    if match is None or match.group(2).capitalize() not in _MONTHS:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == b"-" else 1)
    try:
        return datetime(
            int(year),
            _MONTHS[month.capitalize()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


def parse_fetch(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    """``{uid: {item: value}}`` from imaplib's untagged FETCH data; answers without UID are dropped."""
    if not data or data == [None]:
        return {}
    result: dict[int, dict[bytes, Any]] = {}
    top = _nest(_tokens(data))
    for index in range(0, len(top) - 1, 2):
        sequence, items = top[index], top[index + 1]
        if not isinstance(sequence, int) or not isinstance(items, tuple) or len(items) % 2:
            raise ProtocolError("malformed FETCH response")
        message: dict[bytes, Any] = {b"SEQ": sequence}
        for position in range(0, len(items), 2):
            name, value = items[position], items[position + 1]
            if not isinstance(name, bytes):
                raise ProtocolError("malformed FETCH item name")
            key = name.upper()
            if key == b"INTERNALDATE":
                value = internaldate(value)
            message[key] = value
        uid = message.pop(b"UID", None)
        if isinstance(uid, int):
            result.setdefault(uid, {}).update(message)
    if len(top) % 2:
        raise ProtocolError("malformed FETCH response")
    return result
