"""The app, demo, domain, store, mail, sync and team layers import no Textual (and the domain no Rich).

Each module is imported in a fresh interpreter, and sys.modules is inspected afterwards.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import supportinbox

CORE_PACKAGES = ("app", "demo", "domain", "store", "mail", "sync", "team")


def _modules() -> list[str]:
    names = [
        "supportinbox.config",
        "supportinbox.paths",
        "supportinbox.errors",
    ]
    for info in pkgutil.walk_packages(supportinbox.__path__, "supportinbox."):
        if info.name.split(".")[1] in CORE_PACKAGES:
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", _modules())
def test_core_module_imports_no_textual(module: str) -> None:
    forbidden = ["textual"]
    if module.startswith("supportinbox.domain"):
        forbidden.append("rich")
    code = (
        f"import sys, {module}\nbad = [m for m in {forbidden!r} if m in sys.modules]\nprint(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"
