"""Deterministic crash points for the reliability tests.

Code that must survive being killed at any moment (the sync engine between batch
commits, the outbox around SMTP and APPEND) calls :func:`crash_point` with a label.
Normally this does nothing. When the environment variable ``SUPPORTINBOX_TEST_CRASH_AT``
is ``LABEL:N``, the N-th time ``LABEL`` is reached the process sends itself SIGKILL, exactly
as ``kill -9`` would: no ``finally`` blocks, no atexit handlers, no flushing. The tests then
check that nothing was lost and nothing was done twice.
"""

from __future__ import annotations

import os
import signal

ENV = "SUPPORTINBOX_TEST_CRASH_AT"

_hits: dict[str, int] = {}


def crash_point(label: str) -> None:
    """Die here with SIGKILL if the test environment asks for it (see module docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    wanted, _, count = spec.rpartition(":")
    if wanted != label:
        return
    _hits[label] = _hits.get(label, 0) + 1
    if str(_hits[label]) == count.strip():
        os.kill(os.getpid(), signal.SIGKILL)
