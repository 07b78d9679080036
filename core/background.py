"""Precompute a pipeline's per-size views and maps on a background thread, in the order the
user needs them, so the app stays interactive from the first ready size."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from core.pipeline import Pipeline

# One heavy step (a size's graph or map) at a time per process: two users on two large corpora
# take turns instead of doubling peak memory and splitting two cores four ways.
_HEAVY = threading.Semaphore(1)
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
    nearest to the focus first."""

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
        focus = self.focus if self.focus in pipe.dims else full
        if focus in views and focus not in maps:
            return lambda: pipe.layout(focus)
        missing_view = next((d for d in pipe.dims if d not in views), None)
        if missing_view is not None:
            return lambda: pipe.view(missing_view)
        position = pipe.dims.index(focus)
        missing_maps = [d for d in pipe.dims if d not in maps]
        if not missing_maps:
            return None
        nearest = min(missing_maps, key=lambda d: abs(pipe.dims.index(d) - position))
        return lambda: pipe.layout(nearest)

    def _run(self) -> None:
        try:
            while (step := self.next_step()) is not None:
                with _HEAVY:
                    step()
        except Exception as error:  # shown on the page; a bug still shows its type and text
            self.error = f"{type(error).__name__}: {error}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


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
