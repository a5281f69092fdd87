"""Ctrl-C while the program is still loading (a slow disk, a busy machine): one line, exit 130.

The command's own handlers are not in place yet; the interrupt lands in an import. Here it
is made to land there for certain: an import hook raises KeyboardInterrupt at the module
``main`` loads first, or at the command group.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LOADING = """
import sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[1]:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from supportinbox.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("supportinbox.cli.output", ["sync"]),
        ("supportinbox.cli.output", ["report"]),
        ("supportinbox.cli.app", ["report"]),
    ],
)
def test_ctrl_c_while_the_program_loads_is_one_line(module: str, args: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADING, module, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SUPPORTINBOX_HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 130, done
    assert done.stderr == "supportinbox: interrupted\n", done.stderr
    assert done.stdout == ""
