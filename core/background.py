"""Precompute a pipeline's per-size views and maps on background threads, in the order the
user needs them, so the app stays interactive from the first ready size."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from core.pipeline import Pipeline

# Threads per precompute, and heavy steps (a size's graph or map) at once per process: one per
# core of this project's 2-core machine. A map's UMAP epochs release the GIL and run on one
# core, so a map runs beside a graph or another map; two users on two large corpora share the
# two slots instead of splitting two cores four ways and doubling peak memory.
LANES = 2
_HEAVY = threading.Semaphore(LANES)
_JOBS: dict[tuple, Precompute] = {}
_JOBS_LOCK = threading.Lock()
_RECHECK_S = 1.0  # a waiting thread looks again this often (a result may have been evicted)

Step = tuple[str, int]  # ("view" or "map", size)


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
    """Computes every size's view and map of one pipeline on LANES daemon threads. Each takes
    the most needed step that no other is on and whose inputs are ready: the full size's view
    and map side by side (the map needs only the full size's neighbour lists, which the view
    finds first, and is made while the view finds communities), then the map of the size on
    screen (`focus`), then the remaining views down the ladder and the remaining maps nearest
    to the focus first, so one thread walks down the views while the other makes maps."""

    def __init__(self, pipe: Pipeline, focus: int, lanes: int = LANES):
        self.pipe = pipe
        self.focus = focus
        self.error: str | None = None
        self._taken: set[Step] = set()
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name=f"mge-precompute-{lane}")
            for lane in range(lanes)
        ]
        for thread in self._threads:
            thread.start()

    def status(self) -> Status:
        pipe = self.pipe
        return Status(
            len(pipe.ready_views()), len(pipe.stored_layouts()), len(pipe.dims), self.error
        )

    def missing(self) -> list[Step]:
        """Every step not computed yet, most needed first, with no regard to their inputs."""
        pipe, full = self.pipe, self.pipe.full
        views, maps = pipe.ready_views(), pipe.stored_layouts()
        focus = self.focus if self.focus in pipe.dims else full
        position = pipe.dims.index(focus)
        by_nearness = sorted(pipe.dims, key=lambda d: abs(pipe.dims.index(d) - position))
        steps = [("view", full), ("map", full), ("map", focus)]
        steps += [("view", d) for d in pipe.dims] + [("map", d) for d in by_nearness]
        done = {("view", d) for d in views} | {("map", d) for d in maps}
        return list(dict.fromkeys(s for s in steps if s not in done))

    def next_step(self) -> Step | None:
        """The most needed missing step that no thread is on and whose inputs are ready (a
        view needs the next larger size's, any other map the full-size map), or None. Until
        the full-size map is made nothing else starts beside it: at 100,000 documents it took
        56 s with the next sizes' graphs beside it against 30 s alone."""
        pipe, full = self.pipe, self.pipe.full
        views, maps = pipe.ready_views(), pipe.stored_layouts()
        for kind, dim in self.missing():
            if (kind, dim) in self._taken:
                continue
            if kind == "view":
                position = pipe.dims.index(dim)
                if position == 0 or (pipe.dims[position - 1] in views and full in maps):
                    return kind, dim
            elif dim == full or full in maps:
                return kind, dim
        return None

    def _take(self) -> Step | None:
        """Claim the next step, waiting while every missing step waits for another thread's;
        None once nothing is left that this thread could do."""
        with self._changed:
            while self.error is None:
                step = self.next_step()
                if step is not None:
                    self._taken.add(step)
                    return step
                if all(s in self._taken for s in self.missing()):
                    return None
                self._changed.wait(_RECHECK_S)
            return None

    def _run(self) -> None:
        while (step := self._take()) is not None:
            kind, dim = step
            try:
                with _HEAVY:
                    self.pipe.view(dim) if kind == "view" else self.pipe.layout(dim)
            except Exception as error:  # shown on the page; a bug still shows its type and text
                self.error = self.error or f"{type(error).__name__}: {error}"
            finally:
                with self._changed:
                    self._taken.discard(step)
                    self._changed.notify_all()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def join(self, timeout: float | None = None) -> None:
        """Wait for every thread to stop (tests and scripts)."""
        for thread in self._threads:
            thread.join(timeout)


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
