"""Everything the command line writes passes through one filter on its way to the terminal.

Lines are built from mail, from the server's own words (NO/BAD texts, ALERTs, folder
names) and from teammates (names, notes). A server answering ``NO \\x1b]0;...`` would
otherwise set the terminal's title, clear the screen or write the clipboard (OSC 52).
:func:`safe_streams` puts :func:`~supportinbox.domain.safetext.terminal_text` between
``sys.stdout`` / ``sys.stderr`` and the terminal for the whole run of a command, so no
line, whoever builds it, can carry an escape sequence or a control character. Colour
sequences survive only on a terminal, for Rich's own styling; text from mail is made
inert before it is styled, so they are never the mail's.

The sync progress bar is the one writer that needs cursor movement: it writes to
:func:`unfiltered` and shows only folder names already made inert.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from supportinbox.domain.safetext import terminal_text

# Not typing.TYPE_CHECKING: reading the queue (``list --json``) loads no typing (see cli/quick.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


class SafeStream(io.TextIOBase):
    """A text stream that writes only :func:`terminal_text` of what it is given."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(terminal_text(text, keep_sgr=self.isatty()))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        try:
            return self.raw.isatty()
        except (AttributeError, ValueError):
            return False

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.raw, "errors", None)


def _tolerant(stream: TextIO) -> None:
    """Let ``stream`` write '?' for a character its encoding lacks instead of raising.

    Mail comes in every script; a terminal or a cron job's locale may be ASCII or Latin-1
    (``LANG=en_US.ISO-8859-1``, ``PYTHONIOENCODING=ascii``). An Arabic subject must not
    turn ``show`` into an internal error there.
    """
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", None) == "strict":
        with suppress(ValueError, OSError, io.UnsupportedOperation):
            reconfigure(errors="replace")


def _nowhere() -> TextIO:
    """Where output goes that nobody can read: stdout or stderr closed before the start
    (``>&-``), where Python leaves ``sys.stdout`` None. The command does its work and exits
    with its own code instead of failing at its first line. (It takes the lowest free
    descriptor, the closed one: a child process finds it open on the null device too.)"""
    return open(os.devnull, "w", encoding="utf-8")


@contextmanager
def safe_streams() -> Iterator[None]:
    """Filter ``sys.stdout`` and ``sys.stderr`` until the block ends."""
    if sys.stdout is None:
        sys.stdout = _nowhere()
    if sys.stderr is None:
        sys.stderr = _nowhere()
    for stream in (sys.stdout, sys.stderr):
        _tolerant(stream)
    saved = sys.stdout, sys.stderr
    sys.stdout = SafeStream(saved[0])
    sys.stderr = SafeStream(saved[1])
    try:
        yield
    finally:
        # Back to the terminal streams themselves (click may have wrapped ours when the
        # reader left: it swallows the error, the unread bytes stay in their buffer).
        sys.stdout, sys.stderr = saved
        for stream in saved:
            try:
                stream.flush()
            except BrokenPipeError:
                # The reader left (`sla --check | head -1`): the command's answer and exit
                # code stand; what nobody reads is dropped.
                reader_gone(stream)


def json_text(data: object) -> str:
    """``data`` as JSON for stdout: non-ASCII text as it is where stdout's encoding is a UTF
    one, else escaped (``\\u0639``), so that a Latin-1 or ASCII locale loses nothing of a
    name or a subject to '?' (which :func:`_tolerant` puts in text output)."""
    from supportinbox.domain.safetext import safe_json

    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
    return safe_json(data, ascii_only=not encoding.startswith("utf"))


def reader_gone(stream: TextIO) -> None:
    """The reader of ``stream`` went away (``| head -1``): send the rest nowhere.

    What is still buffered would fail again when Python flushes it at exit, and print
    "Exception ignored ... BrokenPipeError" over the command's silence.
    """
    with suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


@contextmanager
def verdict_stands() -> Iterator[None]:
    """Print the output of a command whose exit code is its answer (``sla --check``).

    A reader that leaves (``| head -1``) ends the output, not the command: it still exits with
    the verdict it found before printing, where a command with no verdict exits 1 as click's own.
    """
    try:
        yield
    except BrokenPipeError:
        reader_gone(sys.stdout)


def unfiltered(stream: TextIO) -> TextIO:
    """The terminal stream itself, for the progress bar's cursor movements only."""
    return stream.raw if isinstance(stream, SafeStream) else stream
