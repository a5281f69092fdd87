"""Every command stays reachable while command modules load lazily, and each loads only what it uses.

``COMMAND_MODULES`` in ``cli/app.py`` says where each top-level command lives; a command
added to a module but not to the map (or a new ``*_cmds`` module) would be missing from
``--help`` and unreachable. The import checks run the real entry point in a fresh
interpreter and look at ``sys.modules`` afterwards: what a command imports is what its
user waits for at every start.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import supportinbox
import supportinbox.cli
from supportinbox.cli import VERSION_LINE
from supportinbox.cli.app import COMMAND_MODULES, cli


def _all_command_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.iter_modules(supportinbox.cli.__path__) if info.name.endswith("_cmds")
    )


def test_the_map_names_every_command_of_every_command_module() -> None:
    for name in _all_command_modules():
        importlib.import_module(f"supportinbox.cli.{name}")
    defined = {
        command: (callback.__module__ if (callback := cli.commands[command].callback) else "")
        for command in cli.commands
    }
    hint = "each top-level command needs its line in COMMAND_MODULES (supportinbox/cli/app.py)"
    assert set(defined) == set(COMMAND_MODULES), hint
    for command, module in defined.items():
        assert module == f"supportinbox.cli.{COMMAND_MODULES[command]}", command
    assert set(COMMAND_MODULES.values()) == set(_all_command_modules())


def test_help_lists_every_command_and_each_one_answers_help() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"], terminal_width=200)
    assert top.exit_code == 0, top.output
    listed = {
        line.split()[0]
        for line in top.output.split("Commands:", 1)[1].split("Exit codes:", 1)[0].splitlines()
        if line.strip()
    }
    # The earlier name kept for scripts is hidden from --help (and still answers it).
    hidden = {
        name
        for name in COMMAND_MODULES
        if (command := cli.get_command(click.Context(cli), name)) and command.hidden
    }
    assert hidden == {"spam"}
    assert listed == set(COMMAND_MODULES) - hidden
    for command in COMMAND_MODULES:
        result = runner.invoke(cli, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0, (command, result.output)
        assert f"Usage: cli {command}" in result.output


def _loaded_after(argv: list[str], home: Path) -> set[str]:
    """Modules in ``sys.modules`` after the real entry point ran ``argv`` in a fresh interpreter."""
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: sys.__stderr__.write('\\nMODULES ' + json.dumps(sorted(sys.modules))))\n"
        "from supportinbox.cli import main\n"
        f"main({argv!r})\n"
    )
    env = {**os.environ, "SUPPORTINBOX_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.rsplit("MODULES ", 1)[1]))


HEAVY = ("textual", "rich", "jinja2", "keyring", "imapclient", "pydantic", "sqlite3")


def test_version_is_answered_before_click_loads(tmp_path: Path) -> None:
    loaded = _loaded_after(["--version"], tmp_path)
    assert "click" not in loaded
    assert "typing" not in loaded
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not [m for m in loaded if m.startswith("supportinbox.") and m != "supportinbox.cli"]


def test_the_early_version_line_is_the_one_click_prints() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == VERSION_LINE + "\n"
    assert f"supportinbox, version {supportinbox.__version__}" == VERSION_LINE


def test_version_among_other_options_goes_through_click(tmp_path: Path) -> None:
    loaded = _loaded_after(["--debug", "--version"], tmp_path)
    assert "click" in loaded
    assert not [m for m in loaded if m.endswith("_cmds")]
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert "supportinbox.config" not in loaded


@pytest.mark.parametrize("command", ["locate", "list", "sync", "reply", "claim", "demo"])
def test_help_of_one_command_loads_only_its_module(command: str, tmp_path: Path) -> None:
    loaded = _loaded_after([command, "--help"], tmp_path)
    assert {m for m in loaded if m.endswith("_cmds")} == {f"supportinbox.cli.{COMMAND_MODULES[command]}"}


def _run_with_broken_import(argv: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh interpreter where ``supportinbox.mail.drafts`` (which the
    reply commands import) cannot be imported, as after a broken install or a bad edit."""
    code = (
        "import sys\n"
        "sys.modules['supportinbox.mail.drafts'] = None  # importing it now raises ImportError\n"
        "from supportinbox.cli import main\n"
        f"main({argv!r})\n"
    )
    env = {**os.environ, "SUPPORTINBOX_HOME": str(home)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize("argv", [["reply", "--help"], ["--help"]])
def test_a_command_module_that_fails_to_import_is_an_error_not_a_missing_command(
    argv: list[str], tmp_path: Path
) -> None:
    result = _run_with_broken_import(argv, tmp_path)
    assert result.returncode == 70, result.stderr
    assert "internal error (ModuleNotFoundError)" in result.stderr, result.stderr
    assert "No such command" not in result.stderr and "Usage:" not in result.stdout
    # One line for the user: the traceback goes to the log, not to the terminal.
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    logged = "".join(p.read_text() for p in tmp_path.rglob("*.log"))
    assert "Traceback" in logged and "supportinbox.mail.drafts" in logged, logged
    # The details are there for whoever asks for them.
    debug = _run_with_broken_import(["--debug", *argv], tmp_path)
    assert debug.returncode != 0 and "supportinbox.mail.drafts" in debug.stderr, debug.stderr


def test_the_queue_as_json_loads_no_reply_or_template_code(tmp_path: Path) -> None:
    from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(OFFLINE_ACCOUNT_CONFIG)
    loaded = _loaded_after(["list", "--json"], tmp_path)
    assert "supportinbox.store.conversations" in loaded  # the queue was read
    assert not {"jinja2", "rich", "supportinbox.domain.replies", "supportinbox.domain.templates"} & loaded


def test_a_current_queue_is_read_without_loading_the_refresh(tmp_path: Path) -> None:
    from tests.store.factories import OFFLINE_ACCOUNT_CONFIG

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(OFFLINE_ACCOUNT_CONFIG)
    assert "supportinbox.store.triage_refresh" in _loaded_after(["list", "--json"], tmp_path)  # the first
    loaded = _loaded_after(["list", "--json"], tmp_path)
    assert "supportinbox.store.triage_fresh" in loaded
    assert (
        not {"supportinbox.store.triage_refresh", "supportinbox.store.junk", "supportinbox.domain.quoting"}
        & loaded
    )
    # Nor click, the config model or typing: the page is answered before the command loads
    # (cli/quick.py; that it is the command's own answer: tests/store/test_quick_list.py).
    assert not {"click", "msgspec", "supportinbox.config", "typing", "supportinbox.cli.app"} & loaded


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["reply", "--foo"],
            "supportinbox: no such option '--foo'. Did you mean '--force'? (see supportinbox reply --help)",
        ),
        (["reply"], "supportinbox: missing argument 'CONVERSATION' (see supportinbox reply --help)"),
        (
            ["snooze", "x", "--until"],
            "supportinbox: option '--until' requires an argument (see supportinbox snooze --help)",
        ),
        (["cache", "nope"], "supportinbox: no such command 'nope' (see supportinbox cache --help)"),
        (["--bogus"], "supportinbox: no such option '--bogus' (see supportinbox --help)"),
    ],
)
def test_a_usage_error_is_one_line_that_says_where_help_is(
    argv: list[str],
    line: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SUPPORTINBOX_HOME", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        supportinbox.cli.main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == line + "\n"


@pytest.mark.parametrize("group", ["team", "cache"])
def test_a_group_alone_prints_its_help(
    group: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'supportinbox team' printed its whole help squeezed into one 400-column error line."""
    monkeypatch.setenv("SUPPORTINBOX_HOME", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        supportinbox.cli.main([group])
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"Usage: supportinbox {group} [OPTIONS] COMMAND [ARGS]..."
    assert "Commands:" in lines and max(len(line) for line in lines) <= 80, out


@pytest.mark.parametrize("argv", [["demo"], []])
@pytest.mark.parametrize("stdin_is_a_terminal", [False, True])
def test_the_app_without_a_terminal_says_so_instead_of_spinning(
    argv: list[str], stdin_is_a_terminal: bool, tmp_path: Path
) -> None:
    """From cron, a pipe or a service the app would draw into a file and wait for keys on a
    closed stdin forever (its input thread spinning); it refuses in one line instead."""
    import pty

    env = {**os.environ, "SUPPORTINBOX_HOME": str(tmp_path)}
    primary, secondary = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "supportinbox", *argv],
            stdin=secondary if stdin_is_a_terminal else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,  # only a guard: the app waiting for keys would never end
            check=False,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 11, result.stderr
    assert result.stdout == ""  # no screen drawn into the file
    (line,) = result.stderr.splitlines()
    assert "needs a terminal" in line and "supportinbox list --json" in line
