"""What the machine offers this process."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def description() -> str:
    """A line naming this machine's processor and cores, for figures measured here."""
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {cores()} cores, {platform.system()}"
