"""A bounded, thread-safe store of computed results, keyed by content fingerprints."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_RESULTS = 256


class ResultStore:
    """Least-recently-used results, at most `limit` of them; keys are tuples of fingerprints and
    settings, never a session, so two sessions on the same corpus share the work."""

    def __init__(self, limit: int = MAX_RESULTS):
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, key: Hashable) -> Any:
        """The stored value, or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: Hashable, value: Any) -> Any:
        """Store value under key (evicting the least recently used past the limit); returns it."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        return value

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The stored value for key, computed and stored when missing."""
        found = self.get(key)
        return found if found is not None else self.put(key, compute())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
