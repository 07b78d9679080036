"""Precompute a pipeline's per-size views and maps on background threads, in the order the
user needs them, so the app stays interactive from the first ready size."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

from core.pipeline import Pipeline
from core.runtime.errors import ExplorerError
from core.schedule.steps import MAP, VIEW, Step, ladder_steps, runnable

# Threads per precompute, and heavy steps (a size's graph or map) at once per process: one per
# core of this project's 2-core machine. A map's UMAP epochs release the GIL and run on one
# core, so a map runs beside a graph or another map; two users on two large corpora share the
# two slots instead of splitting two cores four ways and doubling peak memory.
LANES = 2
_HEAVY = threading.Semaphore(LANES)
_JOBS: dict[tuple, Precompute] = {}
_JOBS_LOCK = threading.Lock()
_RECHECK_S = 1.0  # a waiting thread looks again this often (a result may have been evicted)
# A precompute passed over for another pipeline of its corpus (the user dragged k, the
# resolution or the ladder) stops at its next step once no page has asked for it this long:
# pages ask on every run and the explore page every second while sizes are computed.
IDLE_S = 5.0


@dataclass(frozen=True)
class Status:
    """How far a precompute has got."""

    views: int
    maps: int
    sizes: int
    error: str | None = None
    cancelled: bool = False  # stopped because no page asked for it any more
    sketched: bool = False  # the full size's sketch map is made (large corpora only)

    @property
    def complete(self) -> bool:
        """Every size's view and map is computed."""
        return self.views == self.maps == self.sizes

    @property
    def done(self) -> bool:
        """Nothing more will be computed."""
        return self.error is not None or self.cancelled or self.complete


class Precompute:
    """Computes every size's view and map of one pipeline on LANES daemon threads. Each takes
    the most needed step that no other is on and whose inputs are ready: the full size's view
    and map side by side (the map needs only the full size's neighbour lists, which the view
    finds first, and is made while the view finds communities), then the map of the size on
    screen (`focus`), then the remaining views down the ladder and the remaining maps nearest
    to the focus first, so one thread walks down the views while the other makes maps.

    Once `superseded` (another pipeline of its corpus was asked for) and not asked for in
    IDLE_S, it is cancelled: its threads take no new step and stop waiting for a heavy slot."""

    def __init__(self, pipe: Pipeline, focus: int, lanes: int = LANES):
        self.pipe = pipe
        self.focus = focus
        self.error: str | None = None
        self.superseded = False
        self.cancelled = False
        self._asked = time.monotonic()
        self._taken: set[Step] = set()
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name=f"mge-precompute-{lane}")
            for lane in range(lanes)
        ]
        for thread in self._threads:
            thread.start()

    def ask(self, focus: int) -> None:
        """A page wants this precompute, with `focus` on screen."""
        self.focus = focus
        self._asked = time.monotonic()
        self.superseded = False

    def _unwanted(self) -> bool:
        """Whether the job is cancelled, cancelling it once it is superseded and unasked for
        IDLE_S; a cancelled job stays so (precompute() starts a new one if it is asked for)."""
        if self.superseded and time.monotonic() - self._asked > IDLE_S:
            self.cancelled = True
        return self.cancelled

    def status(self) -> Status:
        pipe = self.pipe
        return Status(
            len(pipe.ready_views()),
            len(pipe.stored_layouts()),
            len(pipe.dims),
            self.error,
            self.cancelled,
            pipe.sketched(pipe.full) is not None,
        )

    def missing(self) -> list[Step]:
        """Every step not computed yet, most needed first, with no regard to their inputs."""
        done = self.pipe.done_steps()
        return [step for step in ladder_steps(self.pipe.dims, self.focus) if step not in done]

    def next_step(self) -> Step | None:
        """The most needed missing step that no thread is on and whose inputs are ready
        (core.schedule.steps), or None. Until the full-size map is made only the full size's
        view runs beside it: that map is the longest step and every other map waits for it, so
        it gets a core of its own."""
        pipe = self.pipe
        done = pipe.done_steps()
        steps = ladder_steps(pipe.dims, self.focus)
        if (MAP, pipe.full) not in done:
            steps = [(VIEW, pipe.full), (MAP, pipe.full)]
        return runnable(steps, pipe.dims, done, self._taken)

    def _take(self) -> Step | None:
        """Claim the next step, waiting while every missing step waits for another thread's;
        None once nothing is left that this thread could do."""
        with self._changed:
            while self.error is None and not self._unwanted():
                step = self.next_step()
                if step is not None:
                    self._taken.add(step)
                    return step
                if all(s in self._taken for s in self.missing()):
                    return None
                self._changed.wait(_RECHECK_S)
            return None

    @contextmanager
    def _heavy_slot(self) -> Iterator[bool]:
        """One of the process's _HEAVY slots, held for the block; yields False without one if
        the job is cancelled while it waits."""
        while not self._unwanted():
            if _HEAVY.acquire(timeout=_RECHECK_S):
                try:
                    yield True
                finally:
                    _HEAVY.release()
                return
        yield False

    def _run(self) -> None:
        while (step := self._take()) is not None:
            kind, dim = step
            try:
                with self._heavy_slot() as held:
                    if held:
                        self.pipe.view(dim) if kind == VIEW else self.pipe.layout(dim)
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


def _same_corpus(a: Pipeline, b: Pipeline) -> bool:
    """Whether two pipelines share a store and documents (labels aside, as the work does)."""
    return a.store is b.store and a.corpus.documents_fingerprint == b.corpus.documents_fingerprint


def precompute(pipe: Pipeline, focus: int) -> Precompute:
    """The background precompute for this pipeline (started if none is running or it was
    cancelled), told which size is on screen. Every other precompute of the same store and
    corpus is superseded, and stops once no page asks for it."""
    key = (pipe.fingerprint, tuple(pipe.dims), pipe.settings, id(pipe.store))
    with _JOBS_LOCK:
        job = _JOBS.get(key)
        if job is None or job.cancelled or (not job.running and not job.status().done):
            job = _JOBS[key] = Precompute(pipe, focus)  # first start, or results were evicted
        job.ask(focus)
        for other_key, other in list(_JOBS.items()):
            sibling = other_key != key and _same_corpus(other.pipe, pipe)
            if sibling:
                other.superseded = True
            kept_for_note = sibling and other.cancelled and job.running  # see stopped_note
            if other_key != key and not other.running and not kept_for_note:
                del _JOBS[other_key]
    return job


def cancel_all(timeout: float = 30.0) -> None:
    """Cancel every precompute and wait for its threads to stop, so nothing computes into a
    store that is about to be cleared (tests; a job left running would refill it)."""
    with _JOBS_LOCK:
        jobs = list(_JOBS.values())
        _JOBS.clear()
    for job in jobs:
        job.cancelled = True
    for job in jobs:
        job.join(timeout)


def completed(pipe: Pipeline) -> Pipeline:
    """`pipe` once its background precompute holds every view and map (asked for here every
    _RECHECK_S, so the heavy work runs in the process's heavy slots, as a page's would); an
    ExplorerError if it fails."""
    while True:
        status = precompute(pipe, pipe.full).status()
        if status.error is not None:
            raise ExplorerError(f"Computing the sizes failed: {status.error}")
        if status.complete:
            return pipe
        time.sleep(_RECHECK_S)


def _differences(old: Pipeline, new: Pipeline) -> str:
    """What `old` was asked with that `new` is not, e.g. "k = 5, resolution = 0.8"."""
    said = [
        f"{field.name} = {getattr(old.settings, field.name)}"
        for field in fields(old.settings)
        if getattr(old.settings, field.name) != getattr(new.settings, field.name)
    ]
    if old.dims != new.dims:
        said.append(f"ladder = {', '.join(map(str, old.dims))}")
    if old.fingerprint != new.fingerprint:
        said.append(f"model = {old.choice.spec.key} ({old.choice.ordering} order)")
    return ", ".join(said)


def stopped_note(pipe: Pipeline) -> str | None:
    """A sentence naming the precomputes of this pipeline's corpus that were cancelled while
    its own runs, or None."""
    with _JOBS_LOCK:
        stopped = [
            _differences(job.pipe, pipe)
            for job in _JOBS.values()
            if job.cancelled and _same_corpus(job.pipe, pipe)
        ]
    if not stopped:
        return None
    jobs, them = ("precompute", "it") if len(stopped) == 1 else ("precomputes", "them")
    return (
        f"The earlier {jobs} for {'; '.join(stopped)} stopped: no page asked for {them} any "
        "more. The sizes already computed are kept."
    )
