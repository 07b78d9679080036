"""A bounded, thread-safe store of computed results, keyed by content fingerprints."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
from cachetools import LRUCache

from core.runtime.units import MB

LIMIT_ENV = "MGE_RESULT_CACHE_MB"
DEFAULT_LIMIT_MB = 3_000


def approx_bytes(value: Any, _depth: int = 0) -> int:
    """Roughly how much memory a result holds: numpy buffers, DataFrames, strings and the
    containers and dataclasses around them (deep enough for this app's results)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if _depth > 6:
        return sys.getsizeof(value)
    if hasattr(value, "memory_usage") and hasattr(value, "columns"):  # a DataFrame
        return int(value.memory_usage(deep=True).sum())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (getattr(value, f.name) for f in dataclasses.fields(value))
        return 64 + sum(approx_bytes(v, _depth + 1) for v in fields)
    if isinstance(value, Mapping):
        return 64 + sum(
            approx_bytes(k, _depth + 1) + approx_bytes(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, list | tuple | set | frozenset):
        return 64 + sum(approx_bytes(v, _depth + 1) for v in value)
    if hasattr(value, "to_plotly_json"):  # a plotly figure: its JSON is what it holds
        return len(value.to_json())
    if hasattr(value, "__dict__"):
        return 64 + approx_bytes(vars(value), _depth + 1)
    return sys.getsizeof(value)


def default_limit() -> int:
    """The store's byte budget: $MGE_RESULT_CACHE_MB megabytes, else 3,000 MB."""
    return int(float(os.environ.get(LIMIT_ENV) or DEFAULT_LIMIT_MB) * MB)


class ResultStore:
    """Least-recently-used results within a byte budget; keys are tuples of fingerprints and
    settings, never a session, so two sessions on the same corpus share the work, and two large
    corpora evict each other's oldest results instead of exhausting memory."""

    def __init__(self, limit_bytes: int | None = None):
        limit = default_limit() if limit_bytes is None else limit_bytes
        # entries are (value, size): a value is sized outside the lock (a figure's JSON, say)
        self._items: LRUCache[Hashable, tuple[Any, int]] = LRUCache(
            maxsize=limit, getsizeof=lambda entry: entry[1]
        )
        self._lock = threading.Lock()
        self._pending: dict[Hashable, list] = {}  # key -> [its computation's lock, waiters]

    @property
    def limit_bytes(self) -> int:
        return int(self._items.maxsize)

    @property
    def used_bytes(self) -> int:
        return int(self._items.currsize)

    def get(self, key: Hashable) -> Any:
        """The stored value, or None."""
        with self._lock:
            entry = self._items.get(key)
        return None if entry is None else entry[0]

    def put(self, key: Hashable, value: Any) -> Any:
        """Store value under key, evicting the least recently used past the budget (a value over
        the whole budget is returned but not kept, and drops what the key held); returns value."""
        size = approx_bytes(value)
        with self._lock:
            if size <= self.limit_bytes:
                self._items[key] = (value, size)
            else:
                self._items.pop(key, None)
        return value

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The stored value for key, computed and stored when missing. Callers asking for the
        same missing key at once (a page and a background job) wait for one computation."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            pending = self._pending.setdefault(key, [threading.Lock(), 0])
            pending[1] += 1
        try:
            with pending[0]:
                found = self.get(key)
                return found if found is not None else self.put(key, compute())
        finally:
            with self._lock:
                pending[1] -= 1
                if not pending[1]:
                    del self._pending[key]

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
