"""Where each key of a TOML document is set, for error messages that name a line.

tomllib gives values without positions. This reads the text once more, only as far as
TOML's structure goes (table headers, dotted and quoted keys, inline tables, arrays,
strings, comments), and maps every key path to the line that sets it: a key under its
header (``[imap]  # my server``), inside an inline table (``agents = { alice = { ... } }``),
or written dotted (``hours.timezone = "UTC"``). The text must be valid TOML (tomllib read it
first); anything this reader does not follow leaves the rest unmapped rather than wrong.
"""

from __future__ import annotations

import contextlib
import tomllib

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}#\n")

KeyPath = tuple[str, ...]


class _Unfollowed(Exception):
    """Something this reader does not follow: stop mapping there."""


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[KeyPath, int] = {}

    # -- characters -----------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> str:
        at = self.pos + ahead
        return self.text[at] if at < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count

    def skip_blanks(self, *, newlines: bool = False) -> None:
        """Spaces and tabs; with ``newlines``, also line ends and comments (inside arrays)."""
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
                if not newlines:
                    return
            else:
                return

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise _Unfollowed(f"expected {char!r} on line {self.line}")
        self.advance()

    # -- keys -----------------------------------------------------------------------------

    def record(self, path: KeyPath, line: int) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)

    def key(self) -> KeyPath:
        """A dotted key (``a."b.c".d``), each part as tomllib reads it."""
        parts: list[str] = []
        while True:
            self.skip_blanks()
            parts.append(self.key_part())
            self.skip_blanks()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    def key_part(self) -> str:
        start = self.pos
        char = self.peek()
        if char in "\"'":
            self.string()
            return str(tomllib.loads("k = " + self.text[start : self.pos])["k"])
        while self.peek() in _BARE and self.peek():
            self.advance()
        if self.pos == start:
            raise _Unfollowed(f"no key on line {self.line}")
        return self.text[start : self.pos]

    # -- values ---------------------------------------------------------------------------

    def string(self) -> None:
        quote = self.peek()
        multiline = self.text.startswith(quote * 3, self.pos)
        self.advance(3 if multiline else 1)
        while True:
            char = self.peek()
            if not char or (char == "\n" and not multiline):
                raise _Unfollowed("an unclosed string")
            if char == "\\" and quote == '"':
                self.advance(2)
            elif char != quote:
                self.advance()
            elif not multiline:
                self.advance()
                return
            else:
                run = len(self.text[self.pos :]) - len(self.text[self.pos :].lstrip(quote))
                self.advance(run)
                if run >= 3:  # the last three close it; one or two before are content
                    return

    def value(self, path: KeyPath) -> None:
        char = self.peek()
        if char == "{":
            self.inline_table(path)
        elif char == "[":
            self.array(path)
        elif char in "\"'":
            self.string()
        else:
            while self.peek() and self.peek() not in _SCALAR_END:
                self.advance()

    def inline_table(self, path: KeyPath) -> None:
        self.expect("{")
        self.skip_blanks()
        if self.peek() == "}":
            self.advance()
            return
        while True:
            self.skip_blanks()
            line = self.line
            key = self.key()
            self.record(path + key, line)
            self.expect("=")
            self.skip_blanks()
            self.value(path + key)
            self.skip_blanks()
            if self.peek() == "}":
                self.advance()
                return
            self.expect(",")

    def array(self, path: KeyPath) -> None:
        """Its items' keys (inline tables in a list) are mapped as the list's own."""
        self.expect("[")
        while True:
            self.skip_blanks(newlines=True)
            if self.peek() == "]":
                self.advance()
                return
            self.value(path)
            self.skip_blanks(newlines=True)
            if self.peek() == ",":
                self.advance()
            elif self.peek() != "]":
                raise _Unfollowed(f"an array item without a comma on line {self.line}")

    # -- the document ---------------------------------------------------------------------

    def document(self) -> None:
        table: KeyPath = ()
        while self.pos < len(self.text):
            self.skip_blanks(newlines=True)
            if self.pos >= len(self.text):
                return
            line = self.line
            if self.peek() == "[":
                double = self.peek(1) == "["
                self.advance(2 if double else 1)
                table = self.key()
                self.expect("]")
                if double:
                    self.expect("]")
                self.record(table, line)
            else:
                key = self.key()
                self.record(table + key, line)
                self.expect("=")
                self.skip_blanks()
                self.value(table + key)
            self.skip_blanks()
            if self.peek() not in ("", "\n"):
                raise _Unfollowed(f"more after a value on line {self.line}")


def key_lines(text: str) -> dict[KeyPath, int]:
    """Each key path of the TOML ``text`` (tables, keys, keys of inline tables) -> its first line.

    A path set on several lines (a table header, then a key of it) maps to the first.
    """
    reader = _Reader(text)
    with contextlib.suppress(_Unfollowed, tomllib.TOMLDecodeError):
        reader.document()
    return reader.lines
