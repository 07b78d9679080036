"""Run a command and sample the memory of its whole process tree, for the CLI benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

GB = 1024**3


@dataclass(frozen=True)
class Measured:
    """One finished run: wall time, peaks of the summed PSS and RSS, most processes at once, and
    when each stage the CLI's progress bar named began (seconds from the start)."""

    seconds: float
    peak_pss: int
    peak_rss: int
    processes: int
    returncode: int
    stdout: str
    stderr: str
    stages: list[tuple[float, str]]


# The text after the rate in a tqdm line: the CLI's set_postfix_str, naming what it is doing.
_POSTFIX = re.compile(r"(?:step/s|s/step), (.*)\]\s*$")


def tree_memory(root: psutil.Process) -> tuple[int, int, int]:
    """(summed PSS, summed RSS, processes) of a process and all its descendants. PSS counts
    memory shared between processes (Ray's object store, say) once."""
    pss = rss = count = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        pss, rss, count = pss + info.pss, rss + info.rss, count + 1
    return pss, rss, count


def run_measured(command: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run `command` to the end, sampling its tree's memory twice a second."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stages: list[tuple[float, str]] = []
    tail: list[str] = []

    def read_stderr() -> None:
        # raw reads, not lines: tqdm redraws with a carriage return and ends a line only at the end
        pending = ""
        while chunk := os.read(proc.stderr.fileno(), 65536):
            *parts, pending = re.split(r"[\r\n]", pending + chunk.decode(errors="replace"))
            for part in parts:
                found = _POSTFIX.search(part)
                if found and (not stages or stages[-1][1] != found.group(1)):
                    stages.append((round(time.perf_counter() - start, 1), found.group(1)))
                elif part.strip() and not found:
                    tail.append(part)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    root = psutil.Process(proc.pid)
    peak_pss = peak_rss = most = 0
    while proc.poll() is None:
        pss, rss, count = tree_memory(root)
        peak_pss, peak_rss, most = max(peak_pss, pss), max(peak_rss, rss), max(most, count)
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    out = proc.stdout.read().decode(errors="replace")
    reader.join()
    err = "\n".join(tail[-200:])
    return Measured(seconds, peak_pss, peak_rss, most, proc.returncode, out, err, stages)
