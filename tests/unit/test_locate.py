"""``supportinbox locate cache``: the file 'cache rebuild' replaces, not a folder nothing uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.cliproc import assert_one_clear_line, run_cli, write_config

ACCOUNT = """\
[accounts.{name}]
email = "{name}@acme.test"
agent = "alice"
username = "{name}"
imap_host = "imap.acme.test"
"""


def _cache_lines(home: Path, *args: str) -> list[str]:
    run = run_cli(home, *args, "locate")
    assert run.returncode == 0 and run.stderr == "", run.describe()
    return [
        line.removeprefix("cache:").strip() for line in run.stdout.splitlines() if line.startswith("cache:")
    ]


def test_locate_cache_is_the_accounts_sqlite_file(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, ACCOUNT.format(name="support"))
    located = run_cli(supportinbox_home, "locate", "cache")
    assert located.returncode == 0, located.describe()
    cache = Path(located.stdout.strip())
    assert cache == supportinbox_home / "data" / "support.sqlite3"
    assert _cache_lines(supportinbox_home) == [str(cache)]
    assert run_cli(supportinbox_home, "list").returncode == 0
    assert cache.is_file()  # the file the commands use


def test_locate_names_each_accounts_cache_or_the_chosen_one(supportinbox_home: Path) -> None:
    write_config(supportinbox_home, ACCOUNT.format(name="sales") + ACCOUNT.format(name="support"))
    data = supportinbox_home / "data"
    assert _cache_lines(supportinbox_home) == [
        f"{data / 'sales.sqlite3'} (account sales)",
        f"{data / 'support.sqlite3'} (account support)",
    ]
    assert _cache_lines(supportinbox_home, "-a", "sales") == [str(data / "sales.sqlite3")]
    several = run_cli(supportinbox_home, "locate", "cache")
    assert_one_clear_line(several)  # which one: the line says how to choose
    assert "--account" in several.stderr or "default" in several.stderr, several.describe()


@pytest.mark.parametrize("config", ["", "[accounts.support]\nemail = 3\n"], ids=["none yet", "broken"])
def test_locate_answers_without_a_usable_account(supportinbox_home: Path, config: str) -> None:
    if config:
        write_config(supportinbox_home, config)
    (cache,) = _cache_lines(supportinbox_home)
    assert cache.startswith(f"{supportinbox_home / 'data'} (one file per account")
    assert run_cli(supportinbox_home, "locate", "config").returncode == 0
    assert_one_clear_line(run_cli(supportinbox_home, "locate", "cache"))


def test_init_where_nothing_can_be_written_is_one_line(supportinbox_home: Path, tmp_path: Path) -> None:
    """A config path under a file, a templates folder under a file: one line each, never an
    internal error, and nothing half written."""
    nowhere = run_cli(supportinbox_home, "--config", "/dev/null/config.toml", "init")
    assert_one_clear_line(nowhere)
    assert nowhere.returncode == 1, nowhere.describe()
    assert (
        "cannot write the config /dev/null/config.toml: a file stands where a folder must be"
        in nowhere.stderr
    )

    supportinbox_home.mkdir(parents=True, exist_ok=True)
    (supportinbox_home / "config").write_text("a file where the config folder goes")
    elsewhere = tmp_path / "elsewhere.toml"
    templates = run_cli(supportinbox_home, "--config", str(elsewhere), "init")
    assert_one_clear_line(templates)
    assert (
        f"cannot create the templates folder {supportinbox_home / 'config' / 'templates'}: "
        "a file stands where a folder must be"
    ) in templates.stderr, templates.describe()
    assert elsewhere.is_file()  # the config itself was written, and said so
    assert f"wrote {elsewhere}" in templates.stdout
