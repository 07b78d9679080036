"""Precompute a pipeline's per-size views and maps on a background thread, in the order the
user needs them, so the app stays interactive from the first ready size."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.pipeline import Pipeline
from core.viz.map_pool import MapPool, map_workers

# One heavy step (a size's graph or map, or a pool of map workers) at a time per process, in
# the order asked for: two users on two large corpora take turns instead of doubling peak memory
# and splitting two cores four ways. A pool stops taking new maps while another job waits.
_TURNS: deque[object] = deque()
_TURN = threading.Condition()
_JOBS: dict[tuple, Precompute] = {}
_JOBS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Status:
    """How far a precompute has got."""

    views: int
    maps: int
    sizes: int
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.error is not None or (self.views == self.maps == self.sizes)


class Precompute:
    """Computes every size's view and map of one pipeline on a daemon thread. The next step is
    always the one the user needs most: the full size's view and map, then the map of the size
    on screen (`focus`), then the remaining views down the ladder, then the remaining maps
    nearest to the focus first (here and on worker processes at once, see _pooled_maps)."""

    def __init__(self, pipe: Pipeline, focus: int):
        self.pipe = pipe
        self.focus = focus
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="mge-precompute")
        self._thread.start()

    def status(self) -> Status:
        pipe = self.pipe
        return Status(
            len(pipe.ready_views()), len(pipe.stored_layouts()), len(pipe.dims), self.error
        )

    def next_step(self) -> Callable[[], object] | None:
        """The most needed missing step, or None when everything is computed."""
        pipe, full = self.pipe, self.pipe.full
        views, maps = pipe.ready_views(), pipe.stored_layouts()
        if full not in views:
            return lambda: pipe.view(full)
        if full not in maps:
            return lambda: pipe.layout(full)
        focus = self._focus()
        if focus in views and focus not in maps:
            return lambda: pipe.layout(focus)
        missing_view = next((d for d in pipe.dims if d not in views), None)
        if missing_view is not None:
            return lambda: pipe.view(missing_view)
        return self._pooled_maps if len(maps) < len(pipe.dims) else None

    def _focus(self) -> int:
        return self.focus if self.focus in self.pipe.dims else self.pipe.full

    def _nearest_missing_map(self, besides: Collection[int] = ()) -> int | None:
        """The missing map (other than `besides`) nearest the size on screen on the ladder."""
        pipe = self.pipe
        maps = pipe.stored_layouts()
        missing = [d for d in pipe.dims if d not in maps and d not in besides]
        position = pipe.dims.index(self._focus())
        return min(missing, key=lambda d: abs(pipe.dims.index(d) - position), default=None)

    def _pooled_maps(self) -> None:
        """The remaining maps here and on worker processes (core.viz.map_pool), each taking the
        missing map nearest the size then on screen, until another job waits for its turn. A
        turn always makes one map at least, and starts workers only when no job waits: two jobs
        that each gave way at once to the other would make nothing, each turn spawning a
        worker (found by the test suite: hundreds of processes filled the memory)."""
        pipe = self.pipe
        missing = len(pipe.dims) - len(pipe.stored_layouts())
        workers = 0 if _others_waiting() else map_workers(pipe.vectors.shape[0], missing)

        def next_dim(taken: Collection[int]) -> int | None:
            if taken and _others_waiting():
                return None
            return self._nearest_missing_map(taken)

        with MapPool(workers) as pool:
            pool.share(
                pipe.vectors,
                pipe.layout(pipe.full),
                lambda dim: pipe.neighbours(dim, "cosine"),
                next_dim,
                pipe.adopt_layout,
            )

    def _run(self) -> None:
        try:
            while (step := self.next_step()) is not None:
                with _turn():
                    step()
        except Exception as error:  # shown on the page; a bug still shows its type and text
            self.error = f"{type(error).__name__}: {error}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


@contextmanager
def _turn() -> Iterator[None]:
    """The process's one heavy turn, first come first served."""
    ticket = object()
    with _TURN:
        _TURNS.append(ticket)
        _TURN.wait_for(lambda: _TURNS[0] is ticket)
    try:
        yield
    finally:
        with _TURN:
            _TURNS.popleft()
            _TURN.notify_all()


def _others_waiting() -> bool:
    with _TURN:
        return len(_TURNS) > 1


def precompute(pipe: Pipeline, focus: int) -> Precompute:
    """The background precompute for this pipeline (started if none is running), told which
    size is on screen."""
    key = (pipe.fingerprint, tuple(pipe.dims), pipe.settings, id(pipe.store))
    with _JOBS_LOCK:
        job = _JOBS.get(key)
        if job is None or (not job.running and not job.status().done):
            job = _JOBS[key] = Precompute(pipe, focus)  # first start, or results were evicted
        job.focus = focus
        for stale in [k for k, j in _JOBS.items() if not j.running and k != key]:
            del _JOBS[stale]
    return job
