"""The log file is rotated by size, keeps a few backups, and takes the lines of two processes
writing at once (the app open all day, ``supportinbox sync`` from cron) whole and in order."""

from __future__ import annotations

import itertools
import logging
import re
import stat
import subprocess
import sys
from pathlib import Path

from supportinbox import paths
from supportinbox.cli.logfile import MAX_BYTES, SharedRotatingLog
from tests.harness.cliproc import cli_env, run_cli, write_config
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG


def _chain(log: Path) -> list[Path]:
    """The log and its backups, oldest first; fails on a gap in the numbers."""
    backups = sorted(
        (p for p in log.parent.iterdir() if re.fullmatch(re.escape(log.name) + r"\.\d+", p.name)),
        key=lambda p: int(p.suffix[1:]),
    )
    assert [int(p.suffix[1:]) for p in backups] == list(range(1, len(backups) + 1)), backups
    return [*reversed(backups), log]


def _lines(files: list[Path]) -> list[str]:
    return [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]


def _private(files: list[Path]) -> list[str]:
    return [f"{p.name} is {stat.S_IMODE(p.stat().st_mode):o}" for p in files if p.stat().st_mode & 0o077]


def test_writing_past_the_limit_rotates_and_drops_what_is_past_the_backups(tmp_path: Path) -> None:
    log = tmp_path / "state" / "supportinbox.log"
    log.parent.mkdir(mode=0o700)
    handler = SharedRotatingLog(log, max_bytes=400, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    written = [f"line {i:03d} " + "x" * 40 for i in range(40)]  # 50 bytes a line: 7 a file
    try:
        for i, text in enumerate(written):
            handler.handle(logging.makeLogRecord({"msg": text}))
            if i == 6:
                assert [p.name for p in _chain(log)] == ["supportinbox.log"]  # 350 bytes: not yet
            if i == 7:
                # The eighth line would make it 400 bytes: it starts a new log.
                assert [p.name for p in _chain(log)] == ["supportinbox.log.1", "supportinbox.log"]
                assert log.read_text() == written[7] + "\n"
    finally:
        handler.close()

    files = _chain(log)
    assert [p.name for p in files] == ["supportinbox.log.2", "supportinbox.log.1", "supportinbox.log"]
    assert all(p.stat().st_size <= 400 for p in files)
    # The newest lines (six logs were begun, three kept), in order; the oldest are gone.
    assert _lines(files) == written[21:]
    assert _private([*files, log.with_name("supportinbox.log.lock")]) == []


def test_the_command_rotates_a_full_log_and_removes_the_oldest_backup(supportinbox_home: Path) -> None:
    state = supportinbox_home / "state"
    state.mkdir(parents=True, mode=0o700)
    log = state / "supportinbox.log"
    filler = "2026-12-01 09:00:00,000 INFO supportinbox.sync.engine: synced 0 messages\n"
    log.write_text(filler * (MAX_BYTES // len(filler) + 1))
    log.chmod(0o600)
    for n in (1, 2, 3):
        backup = state / f"supportinbox.log.{n}"
        backup.write_text(f"backup {n}\n")
        backup.chmod(0o600)

    write_config(supportinbox_home, OFFLINE_ACCOUNT_CONFIG)
    run = run_cli(supportinbox_home, "show", "zzzz")
    assert run.returncode == 8, run.describe()

    files = _chain(log)
    assert [p.name for p in files] == [f"supportinbox.log.{n}" for n in (3, 2, 1)] + ["supportinbox.log"]
    assert files[0].read_text() == "backup 2\n" and files[1].read_text() == "backup 1\n"  # "backup 3" gone
    assert files[2].read_text() == filler * (MAX_BYTES // len(filler) + 1)
    (line,) = log.read_text().splitlines()
    assert line.endswith("ERROR supportinbox: no conversation 'zzzz': see 'supportinbox list --status all'")
    assert _private(files) == []


# One process writing the log through the command line's own logging set-up, with a small
# limit: half its lines, then it says so and waits for the other's half before the rest.
# Each one's first half thus comes before the other's second half: the two interleave.
_WRITER = """
import sys, time
from pathlib import Path
from supportinbox.cli import logfile
from supportinbox.cli.app import setup_logging

name, lines, half, other = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
logfile.MAX_BYTES, logfile.BACKUPS = 4096, 1000  # so many that none is removed
setup_logging(False)
import logging
log = logging.getLogger("supportinbox.sync")
for i in range(lines):
    if i == lines // 2:
        half.touch()
        while not other.exists():
            time.sleep(0.001)
    log.info("%s line %05d %s", name, i, "x" * 40)
"""


def _writer(home: Path, marks: Path, name: str, lines: int) -> subprocess.Popen[str]:
    other = "cron" if name == "app" else "app"
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, name, str(lines), f"{marks}/{name}", f"{marks}/{other}"],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(*writers: subprocess.Popen[str]) -> None:
    """Wait for the writers; one that fails or hangs (its partner died before half-way) takes
    the others down with it rather than leaving them waiting."""
    try:
        for writer in writers:
            out, err = writer.communicate(timeout=120)
            assert writer.returncode == 0 and not out and not err, (out, err)
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()


_LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO supportinbox\.sync: (app|cron) line (\d{5}) x{40}"
)


def test_two_processes_writing_at_once_lose_and_break_no_line(
    supportinbox_home: Path, tmp_path: Path
) -> None:
    lines = 3000  # some 150 logs of 4 KiB between the two
    _finish(*(_writer(supportinbox_home, tmp_path, name, lines) for name in ("app", "cron")))

    files = _chain(paths.log_file())  # the writers' SUPPORTINBOX_HOME is this test's too
    assert 100 < len(files) < 1000, len(files)  # rotated often, nothing dropped
    assert all(p.stat().st_size <= 4096 for p in files)
    seen: dict[str, list[int]] = {"app": [], "cron": []}
    order = []
    for line in _lines(files):
        match = _LINE.fullmatch(line)
        assert match, f"a broken line: {line!r}"
        seen[match[1]].append(int(match[2]))
        order.append(match[1])
    # Every line of each, once, in the order written, across all the rotations.
    assert seen == {"app": list(range(lines)), "cron": list(range(lines))}
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches >= 2, "the two processes did not write at the same time"
    assert _private(files) == []


def test_a_process_whose_log_was_rotated_away_writes_on_in_the_log(tmp_path: Path) -> None:
    """The app writes a line, then waits while syncs from cron rotate the log more times
    than backups are kept: the file the app had open is gone. Its next line goes to the log,
    and so do cron's after it, in the order written. (Two handlers on one file lock each
    other out as two processes do: ``flock`` belongs to each one's open file.)"""
    log = tmp_path / "supportinbox.log"
    app, cron = (SharedRotatingLog(log, max_bytes=400, backups=2) for _ in range(2))

    def write(handler: SharedRotatingLog, text: str) -> None:
        handler.handle(logging.makeLogRecord({"msg": f"{text:<49}"}))  # 50 bytes: 7 a file

    try:
        write(app, "app 0")
        for i in range(40):  # five rotations
            write(cron, f"cron {i}")
        write(app, "app 1")
        write(cron, "cron 40")
    finally:
        app.close()
        cron.close()

    files = _chain(log)
    assert len(files) == 3
    said = [line.rstrip() for line in _lines(files)]
    assert said[-2:] == ["app 1", "cron 40"], said
    assert said[:-2] == [f"cron {i}" for i in range(40 - len(said) + 2, 40)]
