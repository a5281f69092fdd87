"""The exit codes a script reads: one table (errors.EXIT_CODES), shown by --help, in the README."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from click.testing import CliRunner

from supportinbox.cli.app import COMMAND_MODULES, cli
from supportinbox.errors import EXIT_CODES, UserError

README = Path(__file__).resolve().parents[2] / "README.md"


def _every_user_error() -> set[type[UserError]]:
    for module in set(COMMAND_MODULES.values()):  # the command modules import the rest
        importlib.import_module(f"supportinbox.cli.{module}")
    found: set[type[UserError]] = set()
    todo: list[type[UserError]] = [UserError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_exits_with_a_code_the_table_explains() -> None:
    errors = _every_user_error()
    assert len(errors) > 10
    unexplained = {cls.__name__: cls.exit_code for cls in errors if cls.exit_code not in EXIT_CODES}
    assert not unexplained


def test_help_lists_every_exit_code() -> None:
    shown = CliRunner().invoke(cli, ["--help"], terminal_width=200).output
    listed = dict(re.findall(r"^\s+(\d+)  (.+)$", shown.split("Exit codes:", 1)[1], re.MULTILINE))
    assert {int(code): meaning for code, meaning in listed.items()} == EXIT_CODES


def test_the_readme_table_has_the_same_codes() -> None:
    table = README.read_text(encoding="utf-8").split("| code | meaning |", 1)[1].split("\n\n", 1)[0]
    codes = {int(code) for code in re.findall(r"^\s*\| (\d+) \|", table, re.MULTILINE)}
    assert codes == set(EXIT_CODES)
