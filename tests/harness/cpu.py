"""CPU time used by the threads of this process (Linux /proc), to prove that nothing spins.

A wall-clock bound says nothing about a loop that burns a core while waiting; the CPU
seconds a thread consumed over a window do.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def thread_cpu_seconds() -> dict[int, float]:
    """User + system CPU seconds used so far by each thread of this process, by native id."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        used[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return used


class WorkerCpu:
    """CPU seconds consumed by every thread but the main one (the app's event loop and the
    test itself) between :meth:`start` and :meth:`seconds`."""

    def start(self) -> WorkerCpu:
        self._before = thread_cpu_seconds()
        return self

    def seconds(self) -> float:
        main = threading.main_thread().native_id
        after = thread_cpu_seconds()
        return sum(used - self._before.get(tid, 0.0) for tid, used in after.items() if tid != main)
