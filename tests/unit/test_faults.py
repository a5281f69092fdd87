"""The crash points: numbered over every point reached, traced, and IO writes counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from supportinbox import faults

SCRIPT = """
from supportinbox.faults import crash_point
for label in ("a", "b", "a", "c"):
    crash_point(label)
print("finished")
"""


def _run(tmp_path: Path, crash_at: str | None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    trace = tmp_path / f"steps-{crash_at}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTINBOX_TEST_")}
    env[faults.STEPS_ENV] = str(trace)
    if crash_at is not None:
        env[faults.ENV] = crash_at
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=False)
    return run, trace.read_text().splitlines() if trace.exists() else []


def test_an_uninterrupted_run_lists_every_step(tmp_path: Path) -> None:
    run, steps = _run(tmp_path, None)
    assert run.returncode == 0 and "finished" in run.stdout
    assert steps == ["1 a", "2 b", "3 a", "4 c"]


@pytest.mark.parametrize(("spec", "last"), [("3", "3 a"), ("a:2", "3 a"), ("c:1", "4 c"), ("1", "1 a")])
def test_the_process_dies_at_the_step_asked_for(tmp_path: Path, spec: str, last: str) -> None:
    run, steps = _run(tmp_path, spec)
    assert run.returncode == -signal.SIGKILL
    assert steps[-1] == last and "finished" not in run.stdout


@pytest.mark.parametrize(
    ("data", "read_only"),
    [
        (b"A001 UID FETCH 1:3 (FLAGS)\r\n", True),
        (b"A002 select INBOX\r\n", True),
        (b"A003 UID SEARCH ALL\r\n", True),
        (b"A004 UID STORE 3 +FLAGS (\\Seen)\r\n", False),
        (b"A005 UID MOVE 3 INBOX\r\n", False),
        (b"A006 APPEND Sent {310}\r\n", False),
        (b"From: a@b\r\n\r\nliteral data\r\n", False),
        (b"A007 EXPUNGE\r\n", False),
    ],
)
def test_a_write_after_which_the_server_changed_is_a_step_of_its_own(data: bytes, read_only: bool) -> None:
    assert bool(faults._READ_ONLY.match(data)) is read_only
