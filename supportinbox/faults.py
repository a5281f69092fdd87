"""Deterministic crash points for the reliability tests.

Code that must survive being killed at any moment calls :func:`crash_point` with a label:
the sync engine between and inside batch transactions and after each folder, the outbox
around SMTP and APPEND. Besides those, when the test environment is set, every step that
changes something outside the process is a crash point too: each cache transaction just
before and just after its COMMIT (``db.commit`` / ``db.committed``), and each write to the
IMAP or SMTP server just before it leaves and, for SMTP and for IMAP commands that change
the mailbox, just after it (``imap.send`` / ``imap.sent``, ``smtp.send`` / ``smtp.sent``).
So the steps of a sync or a send are enumerated by running it, not by a hand-made list.

Normally this does nothing. The environment variable ``SUPPORTINBOX_TEST_CRASH_AT`` is either

* ``N`` (a number): the process dies at the N-th crash point it reaches, whatever its label;
* ``LABEL:N``: the N-th time ``LABEL`` is reached.

Dying is ``SIGKILL`` sent to itself, exactly as ``kill -9`` would: no ``finally`` blocks, no
atexit handlers, no flushing. With ``SUPPORTINBOX_TEST_STEPS=FILE`` every crash point
reached is appended to FILE as ``N LABEL`` first (written straight to the file, so a kill
right after it keeps the line): an uninterrupted run lists every step, and a killed run's
last line names the step it died at.
"""

from __future__ import annotations

import os
import re
import signal

ENV = "SUPPORTINBOX_TEST_CRASH_AT"
STEPS_ENV = "SUPPORTINBOX_TEST_STEPS"

_hits: dict[str, int] = {}
_steps = 0


def _record(step: int, label: str, path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{step} {label}\n".encode())
    finally:
        os.close(fd)


def crash_point(label: str) -> None:
    """Die here with SIGKILL if the test environment asks for it (see module docstring)."""
    spec = os.environ.get(ENV)
    trace = os.environ.get(STEPS_ENV)
    if not spec and not trace:
        return
    global _steps
    _steps += 1
    if trace:
        _record(_steps, label, trace)
    if not spec:
        return
    spec = spec.strip()
    if spec.isdigit():
        if _steps == int(spec):
            os.kill(os.getpid(), signal.SIGKILL)
        return
    wanted, _, count = spec.rpartition(":")
    if wanted != label:
        return
    _hits[label] = _hits.get(label, 0) + 1
    if str(_hits[label]) == count.strip():
        os.kill(os.getpid(), signal.SIGKILL)


def enabled() -> bool:
    """True when a test asked for crash points (then the IO steps below count too)."""
    return bool(os.environ.get(ENV) or os.environ.get(STEPS_ENV))


# IMAP commands that change nothing on the server: dying just after one of them is sent
# leaves the same state as dying before the next write, so that is not a step of its own.
_READ_ONLY = re.compile(
    rb"\S+ (?:UID )?(?:FETCH|SEARCH|SELECT|EXAMINE|LIST|LSUB|STATUS|CAPABILITY|NOOP|ID|LOGIN|"
    rb"AUTHENTICATE|LOGOUT|ENABLE|NAMESPACE|IDLE|COMPRESS|STARTTLS)\b",
    re.IGNORECASE,
)


def instrument_network() -> None:
    """Make every write to an IMAP or SMTP server a crash point, and the moment after it.

    Only in the test environment; imaplib and smtplib send every command, literal and
    message through these two methods. "After" is a step of its own for SMTP and for
    IMAP commands that change the mailbox (STORE, MOVE, APPEND...).
    """
    if not enabled():
        return
    import imaplib
    import smtplib

    for cls, name in ((imaplib.IMAP4, "imap"), (smtplib.SMTP, "smtp")):
        if getattr(cls.send, "_crash_points", False):
            continue
        original = cls.send

        def send(self: object, data: object, _original: object = original, _name: str = name) -> None:
            crash_point(f"{_name}.send")
            _original(self, data)  # type: ignore[operator]
            if _name != "imap" or not _READ_ONLY.match(bytes(data)):  # type: ignore[call-overload]
                crash_point(f"{_name}.sent")

        send._crash_points = True  # type: ignore[attr-defined]
        cls.send = send  # type: ignore[method-assign]


instrument_network()
