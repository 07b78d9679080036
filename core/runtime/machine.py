"""What the machine offers this process."""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable
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


# pthreads OpenBLAS's thread count is process-wide and threadpoolctl lets one thread at a time set
# it, so one on_threads call runs at a time
_ONE_AT_A_TIME = threading.Lock()


def on_threads(run: Callable[[int], None], workers: int) -> None:
    """run(0) here and run(1) … run(workers - 1) on threads of their own, each with BLAS on one
    thread (BLAS's own idle threads spin and take the cores from the others), raising the first
    error. The thread count is set and restored from the calling thread (a process-wide count)
    and from each worker (an OpenMP-built BLAS's count is per thread). Plain threads, not an
    executor: an executor refuses work once the interpreter starts to shut down, which a server
    stopping during the kernels' warm-up logged as a traceback."""
    from threadpoolctl import threadpool_limits

    errors = []

    def guarded(worker: int) -> None:
        try:
            with threadpool_limits(1, user_api="blas"):
                run(worker)
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    with _ONE_AT_A_TIME, threadpool_limits(1, user_api="blas"):
        threads = [
            threading.Thread(target=guarded, args=(w,), daemon=True) for w in range(1, workers)
        ]
        for thread in threads:
            thread.start()
        guarded(0)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
