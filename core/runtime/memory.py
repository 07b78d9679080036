"""The server's memory budget for work in flight: a request that would need more memory than the
server has to spare is refused with a message ("too large" or "busy") instead of taking the
process down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.runtime.errors import ExplorerError
from core.runtime.store import LIMIT_ENV, default_limit
from core.runtime.units import size_text

_MEMINFO = Path("/proc/meminfo")
# Of the memory the system reports available, the share one request may take: the rest is for
# the results already computed, other sessions' pages and the system itself.
_AVAILABLE_SHARE = 0.6
_lock = threading.Lock()
_in_flight = 0


def available_bytes() -> int | None:
    """Memory the system can still give without swapping (MemAvailable), or None if unknown."""
    try:
        for line in _MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def in_flight() -> int:
    """Bytes reserved by requests still running in this process."""
    return _in_flight


@contextmanager
def reserve(nbytes: int, what: str) -> Iterator[None]:
    """Hold `nbytes` of the budget while the block runs. More than the whole budget (the result
    store's, $MGE_RESULT_CACHE_MB) is refused as too large; more than is free now, beside what
    other requests hold, is refused as busy."""
    global _in_flight
    limit = default_limit()
    if nbytes > limit:
        raise ExplorerError(
            f"{what} needs about {size_text(nbytes)} of memory; this server keeps at most "
            f"{size_text(limit)} of results ({LIMIT_ENV}). Open it on a server with a larger "
            "budget, or make it smaller."
        )
    with _lock:
        free = available_bytes()
        if _in_flight + nbytes > limit or (free is not None and nbytes > _AVAILABLE_SHARE * free):
            raise ExplorerError(
                f"The server is busy: {what} needs about {size_text(nbytes)} of memory, and "
                f"{size_text(_in_flight)} is taken by other work in progress"
                + (f" with {size_text(free)} free" if free is not None else "")
                + ". Try again in a minute."
            )
        _in_flight += nbytes
    try:
        yield
    finally:
        with _lock:
            _in_flight -= nbytes
