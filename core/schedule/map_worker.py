"""The app's maps, made on worker processes that live as long as the server. UMAP's kernels are
compiled (or loaded from numba's disk cache) there, ahead of need, so the server's process never
imports UMAP or numba for a map, and a visitor's request never competes for Python's lock with
a compile. The same inputs give the same map there as in the server."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from core.analysis.knn import Neighbours

# A map of fewer rows takes about a second: a second process, which spends seconds and a core
# loading UMAP's kernels, would cost more than it saves (as core.viz.map_pool.POOL_MIN_ROWS).
SECOND_PROCESS_ROWS = 5_000

_log = logging.getLogger(__name__)


def _size_map(
    prefix: np.ndarray, dim: int, full_layout: np.ndarray | None, lists: Neighbours
) -> np.ndarray:
    from core.viz.layout import size_layout

    return size_layout(prefix, dim, full_layout=full_layout, neighbours=lists)


def _exit_with(parent: int) -> None:
    """A worker's initializer: a thread ends the worker once its parent, the server, has gone.
    A server stopped by a signal does not shut its pool down, and the worker, waiting for
    work, would outlive it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="mge-exit-with-server").start()


def _warm_up() -> None:
    from core.schedule.warmup import warm_map_kernels

    warm_map_kernels()


class _Process:
    """One spawned worker process and the warm-up it started with."""

    def __init__(self):
        self.pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with,
            initargs=(os.getpid(),),
        )
        self.warm: Future = self.pool.submit(_warm_up)
        self.busy = 0  # maps given to it and not yet back


class MapWorker:
    """Up to `processes` spawned processes making maps, each loading UMAP's kernels first
    (core.schedule.warmup.warm_map_kernels; on a fresh install the first compiles them into
    numba's disk cache, and a map asked for meanwhile waits for it rather than compiling them
    a second time beside it). The first starts at once; another only when a map of at least
    SECOND_PROCESS_ROWS rows finds every process busy. A map whose process died is made in the
    server's process, and the process is replaced."""

    def __init__(self, processes: int):
        self._most = processes
        self._lock = threading.Lock()
        self._processes = [_Process()]

    def _take(self, rows: int) -> _Process:
        with self._lock:
            idle = [p for p in self._processes if p.busy == 0]
            if idle:
                chosen = idle[0]
            elif rows >= SECOND_PROCESS_ROWS and len(self._processes) < self._most:
                chosen = _Process()
                self._processes.append(chosen)
            else:
                chosen = min(self._processes, key=lambda p: p.busy)
            chosen.busy += 1
            return chosen

    def layout(
        self,
        vectors: np.ndarray,
        dim: int,
        full_layout: np.ndarray | None,
        neighbours: Neighbours,
    ) -> np.ndarray:
        """One size's map (as core.viz.layout.size_layout), made on a worker from the size's
        leading columns."""
        prefix = np.ascontiguousarray(vectors[:, :dim])
        process = self._take(len(prefix))
        try:
            process.warm.exception()  # waits; a warm-up that failed leaves the compile to the map
            return process.pool.submit(_size_map, prefix, dim, full_layout, neighbours).result()
        except BrokenProcessPool:
            _log.warning("a map worker process died; this map is made in the server's process")
            with self._lock:
                if process in self._processes:
                    self._processes[self._processes.index(process)] = _Process()
            return _size_map(prefix, dim, full_layout, neighbours)
        finally:
            with self._lock:
                process.busy -= 1

    def shutdown(self) -> None:
        """Stop every process, without waiting for maps in progress (tests)."""
        with self._lock:
            for process in self._processes:
                process.pool.shutdown(wait=False, cancel_futures=True)
