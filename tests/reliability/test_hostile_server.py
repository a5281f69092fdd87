"""A hostile IMAP server cannot reach the terminal through what it says (scripted server).

Error messages carry the server's own words (NO/BAD texts, a BYE greeting). A fake
server answering with OSC 0 (window title), CSI 2J (clear screen) and OSC 52 (clipboard)
used to have them printed as they were. Every line of the command line now goes through
one filter (``cli/output.py``); on a pipe nothing but text is left, on a terminal colour
sequences only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.harness.cliproc import assert_one_clear_line, config_text, run_cli, run_in_pty, write_config
from tests.harness.fakeimap import FakeImap, Handler

EVIL = b"\x1b]0;pwned title\x07\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07\x9b31m\xc2\x9b2J"
# Anything a terminal could act on (newline and tab are layout).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CLI = Path(__file__).resolve().parents[2] / "supportinbox" / "cli"


def _refuse_examine(tag: bytes, args: list[bytes]) -> bytes:
    return tag + b" NO [ALERT] " + EVIL + b" mailbox is locked\r\n"


def _refuse_fetch(tag: bytes, args: list[bytes]) -> bytes:
    if args and args[0].upper() == b"SEARCH":
        return b"* SEARCH 1\r\n" + tag + b" OK done\r\n"
    return tag + b" BAD " + EVIL + b" fetch refused\r\n"


SCENARIOS: dict[str, tuple[dict[str, Handler], bytes, str]] = {
    "NO to EXAMINE": ({"EXAMINE": _refuse_examine}, b"* OK ready\r\n", "mailbox is locked"),
    "BYE greeting": ({}, b"* BYE " + EVIL + b" go away\r\n", "go away"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_server_words_in_an_error_are_inert(scenario: str, supportinbox_home: Path) -> None:
    handlers, greeting, words = SCENARIOS[scenario]
    with FakeImap(greeting=greeting, **handlers) as server:
        write_config(supportinbox_home, config_text(imap_port=server.port))
        run = run_cli(supportinbox_home, "sync")
    assert_one_clear_line(run)
    assert not UNSAFE.search(run.stdout + run.stderr), run.describe()
    assert words in run.stderr, run.describe()


def test_server_words_in_a_warning_are_inert(supportinbox_home: Path) -> None:
    """A FETCH refused with BAD skips its message (the sync goes on) with a warning that
    carries the server's words, inert; the team hook's own line on stdout too."""
    with FakeImap(UID=_refuse_fetch) as server:
        write_config(supportinbox_home, config_text(imap_port=server.port))
        run = run_cli(supportinbox_home, "sync")
    assert run.returncode == 0, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert not UNSAFE.search(run.stdout + run.stderr), run.describe()
    skipped = [line for line in run.error_lines if "UID 1 skipped" in line]
    assert len(skipped) == 1 and "fetch refused" in skipped[0], run.describe()


def test_on_a_terminal_only_colours_pass(supportinbox_home: Path) -> None:
    """Under a pseudo-terminal the filter keeps colour sequences and nothing else."""
    with FakeImap(EXAMINE=_refuse_examine) as server:
        write_config(supportinbox_home, config_text(imap_port=server.port))
        output = run_in_pty(supportinbox_home, "sync")
    assert "mailbox is locked" in output, output
    assert "pwned" not in output and "cm0gLXJm" not in output, repr(output)
    # Colours, and the progress bar's own line and cursor controls (erase line, cursor
    # up, hide and show the cursor): nothing else, and none of the server's.
    ours = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[2K|\x1b\[\d*A|\x1b\[\?25[lh]|\r")
    leftover = ours.sub("", output)
    assert "\x1b" not in leftover and not UNSAFE.search(leftover), repr(output)


# Writes no text from outside: the fixed line a SIGTERM leaves (os.write is what a signal
# handler may safely call; the filtered stream could be in the middle of a write).
OUR_LINE_ONLY = {"say_when_terminated", "die_of_signal"}


def _writers_past_the_filter(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in OUR_LINE_ONLY
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.Attribute) and node.attr in {"__stdout__", "__stderr__"}:
            found.append(f"{path.name}:{node.lineno}: sys.{node.attr}")
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "unfiltered" and path.name not in {"output.py", "sync_cmds.py"}:
                found.append(f"{path.name}:{node.lineno}: unfiltered()")
            if name == "write" and isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os":
                found.append(f"{path.name}:{node.lineno}: os.write")
    return found


def test_the_command_line_writes_only_through_the_filter() -> None:
    found = [line for path in sorted(CLI.glob("*.py")) for line in _writers_past_the_filter(path)]
    assert found == [], found
    source = (CLI / "__init__.py").read_text(encoding="utf-8")
    assert "with safe_streams():" in source
