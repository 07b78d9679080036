"""Size maps on worker processes beside this one. A seeded UMAP runs on one thread, and every
size's map but the full size's starts from the full-size map alone, so on c cores c of them can
run at once: one here and c - 1 on worker processes (processes, because UMAP's compiled kernels
hold Python's lock). The same inputs give the same map in a worker as here.

A worker first has to start and load UMAP's kernels, which costs more than it saves below
POOL_MIN_ROWS rows, where maps are quick: there the maps are all made here."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from core.analysis.knn import Neighbours
from core.runtime.machine import cores
from core.viz.layout import size_layout, warm_up

POOL_MIN_ROWS = 5_000

Lists = Callable[[int], Neighbours]  # a size's cosine neighbour lists


def _size_map(prefix: np.ndarray, dim: int, full_layout: np.ndarray, lists: Neighbours):
    return size_layout(prefix, dim, full_layout=full_layout, neighbours=lists)


def map_workers(rows: int, maps: int) -> int:
    """How many worker processes to start for `maps` maps of `rows` rows: one per core but
    this process's, none for small corpora or a single map."""
    return 0 if rows < POOL_MIN_ROWS or maps < 2 else min(cores() - 1, maps - 1)


class MapPool:
    """`workers` worker processes (spawned: the app's process runs threads; none for 0) that
    start loading UMAP's kernels as soon as the pool exists, so that they are ready by the time
    the full-size map is."""

    def __init__(self, workers: int):
        self._pool = None
        self._warm = []
        if workers:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(workers, mp_context=context)
            self._warm = [self._pool.submit(warm_up) for _ in range(workers)]

    def __enter__(self) -> MapPool:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:  # a worker still loading kernels is not waited for
            self._pool.shutdown(wait=False, cancel_futures=True)

    def share(
        self,
        vectors: np.ndarray,
        full_layout: np.ndarray,
        lists: Lists,
        next_dim: Callable[[Collection[int]], int | None],
        adopt: Callable[[int, np.ndarray], None],
    ) -> None:
        """Make maps until `next_dim` (given the sizes already taken) gives None: here and on
        the workers at once, each finished one handed to `adopt` (from any thread). A worker
        takes its first size once its kernels are loaded, so a slow start holds nothing up (and
        one that cannot start leaves its share to this process); a worker is given only the
        size's leading columns. An error here or in a map on a worker stops the others taking
        more and is raised."""
        taken: set[int] = set()
        lock = threading.Lock()
        errors: list[BaseException] = []
        closed = threading.Event()  # set under the lock once this thread takes no more
        working: list[threading.Thread] = []  # feeders past their warm-up, joined at the end

        def take() -> int | None:
            with lock:
                dim = None if errors or closed.is_set() else next_dim(frozenset(taken))
                if dim is not None:
                    taken.add(dim)
                return dim

        def feed(warm) -> None:
            if warm.exception() is not None:  # a worker that cannot start leaves its share here
                return
            try:
                with lock:
                    if closed.is_set():
                        return
                    working.append(threading.current_thread())
                while (dim := take()) is not None:
                    prefix = np.ascontiguousarray(vectors[:, :dim])
                    made = self._pool.submit(_size_map, prefix, dim, full_layout, lists(dim))
                    adopt(dim, made.result())
            except BaseException as error:  # raised on the calling thread below
                with lock:
                    errors.append(error)

        for warm in self._warm:
            threading.Thread(target=feed, args=(warm,), daemon=True).start()
        try:
            while (dim := take()) is not None:
                adopt(dim, _size_map(vectors, dim, full_layout, lists(dim)))
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            with lock:
                closed.set()
                started = list(working)
            for feeder in started:  # one still loading kernels has taken nothing
                feeder.join()
        if errors:
            raise errors[0]
