"""Output into a closed pipe or a terminal of a narrow encoding: quiet, never a traceback.

Cron and shell pipelines read a command's output with `| head -1`, `| grep -m1` or a status
bar that stops reading: once the reader is gone, every write fails (EPIPE). The command must
then stop silently, without "Traceback" or Python's "Exception ignored ... BrokenPipeError"
(exit 120) on stderr. Here the pipe's reader is closed before the command starts, so every
write meets it, whatever the buffer sizes.

An old server's locale (`LANG=en_US.ISO-8859-1`) or `PYTHONIOENCODING=ascii` cannot encode
Arabic: such characters print as '?', and the command does its job.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.cliproc import (
    config_text,
    run_cli,
    run_into_closed_pipe,
    run_with_stdout_closed,
    write_config,
)
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

ARABIC = "عاجل: لا يمكنني تسجيل الدخول"


@pytest.fixture
def synced(dovecot: Dovecot, supportinbox_home: Path) -> Path:
    append(
        dovecot,
        [
            make_message(
                sender=f"Customer {i} <c{i}@customer.test>",
                subject=ARABIC if i == 0 else f"Question {i} about exports",
                message_id=f"<p{i}@customer.test>",
            )
            for i in range(12)
        ],
    )
    write_config(supportinbox_home, config_text(imap_port=dovecot.imap_port))
    run = run_cli(supportinbox_home, "sync")
    assert run.returncode == 0, run.describe()
    # The first full `list --json` records what the quick answer needs (cli/quick.py).
    assert run_cli(supportinbox_home, "list", "--json").returncode == 0
    return supportinbox_home


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--json"),  # answered before click loads (cli/quick.py)
        ("-a", "support", "list", "--json"),
        ("list",),
        ("sla", "--check"),
        ("sla",),
        ("templates",),
        ("search", "exports"),
        ("--help",),
    ],
    ids=" ".join,
)
def test_a_reader_that_left_gets_silence_not_a_traceback(synced: Path, args: tuple[str, ...]) -> None:
    run = run_into_closed_pipe(synced, *args)
    assert run.stderr == "", run.describe()
    assert run.returncode in (0, 1), run.describe()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("sync",), 0),  # answered before click loads (cli/quick_sync.py)
        (("list", "--json"), 0),  # so is this (cli/quick.py)
        (("list",), 0),
        (("sla", "--check"), 0),
        (("sla", "--check", "--json"), 0),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v),
)
def test_a_closed_stdout_gets_the_work_done_not_a_traceback(
    synced: Path, args: tuple[str, ...], code: int
) -> None:
    """`supportinbox sync >&-` (a launcher that closes what it does not read): the command
    does its job and exits with its own code; it does not die at its first line."""
    run = run_with_stdout_closed(synced, *args)
    assert (run.returncode, run.stderr) == (code, ""), run.describe()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_json_loses_no_character_to_a_narrow_encoding(synced: Path, encoding: str) -> None:
    """Text output may print '?' for what the locale cannot show; JSON is for programs, and
    escapes such characters instead (both quick and full paths)."""
    for args in (("list", "--json"), ("list", "--json", "--status", "all"), ("sla", "--check", "--json")):
        run = run_cli(synced, *args, env={"PYTHONIOENCODING": encoding})
        assert run.returncode == 0 and run.stderr == "", run.describe()
        run.stdout.encode("ascii")  # nothing the encoding could not hold
        if args[0] == "list":
            assert ARABIC in [c["subject"] for c in json.loads(run.stdout)], run.describe()
    utf8 = run_cli(synced, "list", "--json")
    assert f'"subject": "{ARABIC}"' in utf8.stdout  # readable where the encoding holds it


def test_an_ascii_terminal_gets_question_marks_not_an_internal_error(synced: Path) -> None:
    listed = json.loads(run_cli(synced, "list", "--json").stdout)
    conversation = next(c["id"] for c in listed if c["subject"] == ARABIC)
    assert run_cli(synced, "templates", "install").returncode == 0
    ascii_only = {"PYTHONIOENCODING": "ascii"}
    for args in (("show", conversation), ("reply", conversation, "-t", "login-help"), ("list",)):
        run = run_cli(synced, *args, env=ascii_only)
        assert run.returncode == 0, run.describe()
        # A printed draft says on stderr that it was not sent; nothing else is said there.
        said = "draft only, nothing was sent: add --send to send it\n" if args[0] == "reply" else ""
        assert run.stderr == said and "internal error" not in run.stdout, run.describe()
        run.stdout.encode("ascii")  # nothing the terminal cannot show
    shown = run_cli(synced, "show", conversation, env={"PYTHONIOENCODING": "latin-1"})
    assert shown.returncode == 0, shown.describe()
    assert "????: ?? ?????? ????? ??????" in shown.stdout, shown.describe()
