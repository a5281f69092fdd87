"""How long does a command take from the shell, against a bare interpreter start?

Every ``supportinbox list`` from a script, a cron job or a status bar pays the start of
the process: the interpreter, then every module the command imports. This bench builds a
cache of ``--messages`` generated messages (the queue bench's generator, refreshed once),
then runs, alternating, each of these as a whole process ``--rounds`` times:

* the baseline: ``python -c pass`` with the same interpreter (its ``site`` included), and
  for reference ``python -c 'import click'``, the command-line library's own share;
* ``supportinbox --version`` (answered before click loads) and ``supportinbox locate data``
  (click, the command group and one small command: the floor of every command);
* ``supportinbox list --json`` and ``supportinbox list`` (the Rich table) on that cache;
* ``supportinbox show ID --json`` on one conversation.

The cache is refreshed before the rounds, so every command finds the queue up to date.

It prints the median wall time and the median CPU time (user + system, from the kernel's
rusage of the child) of each, and the ratio of the medians to the baseline's.

Targets: ``--version`` <= 3x the baseline; ``list --json`` at 10,000 messages <= 6x.

``--importtime`` prints instead the top entries of ``python -X importtime`` for each
command (median over ``--rounds`` runs), as kept in bench/README.md.

Run: ``.venv/bin/python bench/startup_bench.py [--messages 10000] [--rounds 21]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = {"--version": 3.0, "list --json": 6.0}


def user_env(home: Path) -> dict[str, str]:
    """The XDG folders of a user under ``home``: config, data and state found as for anyone."""
    # As installed for a user: .pyc files written and used (the warm-up runs write them).
    skip = {"SUPPORTINBOX_HOME", "PYTHONDONTWRITEBYTECODE"}
    env = {key: value for key, value in os.environ.items() if key not in skip}
    for kind in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    return env


def build_home(home: Path, messages: int) -> str:
    """A config and a refreshed cache of ``messages`` messages; returns one conversation id."""
    env = user_env(home)
    os.environ.clear()
    os.environ.update(env)
    from bench.queue_bench import generate
    from supportinbox import paths
    from supportinbox.config import parse_config
    from supportinbox.store import conversations as cv
    from supportinbox.store.db import open_database
    from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG

    paths.ensure_private_dir(paths.config_dir())
    paths.config_file().write_text(CONFIG, encoding="utf-8")
    config = parse_config(CONFIG)
    name, account = config.account()
    paths.ensure_private_dir(paths.data_dir())
    db = open_database(account=name)
    generate(db, messages, random.Random(7), open_fraction=0.5, days=30)
    cv.refresh_conversations(db, config, account)
    first = cv.list_queue(db, limit=1)[0].id
    db.close()
    return first


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(conversation: str) -> dict[str, list[str]]:
    script = str(Path(sys.executable).parent / "supportinbox")
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "--version": [script, "--version"],
        "locate data": [script, "locate", "data"],
        "list --json": [script, "list", "--json"],
        "list": [script, "list"],
        "show --json": [script, "show", conversation, "--json"],
    }


def import_times(argv: list[str], env: dict[str, str], top: int, runs: int) -> list[tuple[float, float, str]]:
    """The ``top`` imports by median cumulative time over ``runs`` runs under ``-X importtime``."""
    code = "from supportinbox.cli import main; main()"
    selfs: dict[str, list[int]] = {}
    totals: dict[str, list[int]] = {}
    for _ in range(runs):
        run = [sys.executable, "-X", "importtime", "-c", code, *argv[1:]]
        proc = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            _, self_us, cumulative, name = (
                part.strip() for part in line.replace("import time:", "|").split("|")
            )
            selfs.setdefault(name, []).append(int(self_us))
            totals.setdefault(name, []).append(int(cumulative))
    # A module a run did not load counts as 0 in that run.
    rows = [
        (
            statistics.median(totals[name] + [0] * (runs - len(totals[name]))),
            statistics.median(selfs[name] + [0] * (runs - len(selfs[name]))),
            name,
        )
        for name in totals
    ]
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--importtime", action="store_true", help="print import-time top entries instead")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="si-startup-bench-"))
    try:
        made = time.perf_counter()
        conversation = build_home(home, args.messages)
        env = {**user_env(home), "COLUMNS": "120"}
        print(
            f"cache: {args.messages:,} messages, built in {time.perf_counter() - made:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        table = commands(conversation)
        if args.importtime:
            for label, argv in table.items():
                if label.startswith("python"):
                    continue
                run(argv, env)  # as in the timed mode: .pyc files written, list --json's record
                print(f"\n`supportinbox {label}`: top imports, median of {args.rounds} runs")
                print(f"  {'cumulative':>10}  {'self':>8}  (microseconds)")
                for cumulative, self_us, name in import_times(argv, env, args.top, args.rounds):
                    print(f"  {cumulative:>10,.0f}  {self_us:>8,.0f}  {name}")
            return
        for argv in table.values():  # warm the page cache and .pyc files first
            run(argv, env)
        walls: dict[str, list[float]] = {label: [] for label in table}
        cpus: dict[str, list[float]] = {label: [] for label in table}
        for _ in range(args.rounds):
            for label, argv in table.items():
                wall, cpu = run(argv, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
        base_wall = statistics.median(walls["python -c pass"])
        base_cpu = statistics.median(cpus["python -c pass"])
        print(f"medians of {args.rounds} alternating rounds (ratio = ours / python -c pass)")
        print(f"{'command':<26}{'wall ms':>9}{'ratio':>8}{'CPU ms':>9}{'ratio':>8}   target")
        missed = []
        for label in table:
            wall, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
            ratio = wall / base_wall
            target = TARGETS.get(label)
            verdict = ""
            if target is not None:
                verdict = f"<= {target:.0f}x: {'met' if ratio <= target else 'MISSED'}"
                if ratio > target:
                    missed.append(label)
            name = label if label.startswith("python") else f"supportinbox {label}"
            print(
                f"{name:<26}{wall * 1000:9.1f}{ratio:7.2f}x"
                f"{cpu * 1000:9.1f}{cpu / base_cpu:7.2f}x   {verdict}"
            )
        print("targets met" if not missed else f"TARGETS MISSED: {', '.join(missed)}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
