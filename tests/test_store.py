"""The result store: bounded by bytes, least recently used evicted first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analysis.knn import Neighbours
from core.runtime.store import ResultStore, approx_bytes
from core.runtime.units import MB


def _block(mb: int) -> np.ndarray:
    return np.zeros(mb * MB, dtype=np.uint8)


def test_sizes_count_arrays_inside_dataclasses_dicts_and_frames():
    neighbours = Neighbours(np.zeros((1000, 10), np.int32), np.zeros((1000, 10), np.float32))
    assert 80_000 <= approx_bytes(neighbours) < 81_000
    assert approx_bytes({8: neighbours, 16: neighbours}) >= 160_000
    frame = pd.DataFrame({"a": np.zeros(10_000)})
    assert approx_bytes(frame) >= 80_000


def test_eviction_keeps_the_store_within_its_byte_budget_least_recently_used_first():
    store = ResultStore(limit_bytes=10 * MB)
    for key in "abc":
        store.put(key, _block(3))
    assert store.get("a") is not None  # "a" is now the most recently used
    store.put("d", _block(3))
    assert store.get("b") is None  # the least recently used went first
    assert all(store.get(k) is not None for k in "acd")
    assert store.used_bytes <= store.limit_bytes


def test_a_value_larger_than_the_budget_is_returned_but_not_kept():
    store = ResultStore(limit_bytes=2 * MB)
    store.put("small", _block(1))
    big = store.memo("big", lambda: _block(5))
    assert big.nbytes == 5 * MB
    assert store.get("big") is None and store.get("small") is not None


def test_a_key_replaced_by_a_value_over_the_budget_holds_nothing():
    store = ResultStore(limit_bytes=2 * MB)
    store.put("k", _block(1))
    store.put("k", _block(5))
    assert store.get("k") is None and store.used_bytes == 0


def test_replacing_a_key_does_not_count_it_twice():
    store = ResultStore(limit_bytes=10 * MB)
    for _ in range(5):
        store.put("same", _block(3))
    assert len(store) == 1 and store.used_bytes == approx_bytes(_block(3))


def test_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MGE_RESULT_CACHE_MB", "64")
    assert ResultStore().limit_bytes == 64 * MB


def test_callers_asking_for_the_same_missing_result_wait_for_one_computation():
    import threading
    import time

    store = ResultStore(limit_bytes=10 * MB)
    calls = []

    def slow() -> np.ndarray:
        calls.append(1)
        time.sleep(0.3)
        return np.ones(10)

    threads = [threading.Thread(target=store.memo, args=("k", slow)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and store.get("k") is not None
    assert not store._pending
