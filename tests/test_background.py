"""The app's background precompute: two threads share the steps in the order the user needs
them, each step once, with the same results as computing them one by one."""

from __future__ import annotations

import threading
import time

import numpy as np

from core.analysis.ladder import GraphSettings
from core.runtime.store import ResultStore
from core.schedule import background
from core.schedule.background import Precompute, Status
from tests.test_pipeline import _corpus
from tests.test_pipeline import _pipeline as _pipeline_of

LADDER = (32, 24, 16, 8)  # the default ladder of test_pipeline's 32-dim vectors


def _pipeline(store: ResultStore, seed: int = 0):
    pipe = _pipeline_of(_corpus(f"c{seed}", n=90), store, seed=seed)
    assert tuple(pipe.dims) == LADDER
    return pipe


def _claim(job: Precompute) -> tuple[str, int] | None:
    step = job.next_step()
    if step is not None:
        job._taken.add(step)
    return step


def test_steps_come_in_the_order_the_user_needs_them_and_wait_for_their_inputs():
    pipe = _pipeline(ResultStore())
    job = Precompute(pipe, focus=16, lanes=0)  # no threads: the steps are taken by hand
    # the full size's view and map side by side; nothing else can start before them
    assert [_claim(job), _claim(job), _claim(job)] == [("view", 32), ("map", 32), None]
    pipe.view(32)
    job._taken.clear()
    # the view is done but the full-size map is still being made: it keeps a core to itself
    job._taken.add(("map", 32))
    assert _claim(job) is None
    pipe.layout(32)
    job._taken.clear()
    # then the map on screen, the views down the ladder, the maps nearest the focus first
    assert _claim(job) == ("map", 16)
    assert _claim(job) == ("view", 24)
    assert _claim(job) == ("map", 24)  # 16's neighbours: 24 before 8, by ladder position
    assert _claim(job) == ("map", 8)
    assert _claim(job) is None  # view 16 waits for view 24


def test_two_threads_compute_every_size_once_with_the_results_of_one_by_one(monkeypatch):
    from core import pipeline as pipeline_module

    pipe = _pipeline(ResultStore())
    ours = pipe.vectors  # other tests' precomputes may still be running in this process
    calls: list[tuple[str, int, str]] = []
    for kind, name in (("view", "compute_view"), ("map", "size_layout")):
        real = getattr(pipeline_module, name)

        def recorded(vectors, dim, *args, real=real, kind=kind, **kwargs):
            if vectors is ours:
                calls.append((kind, dim, threading.current_thread().name))
            return real(vectors, dim, *args, **kwargs)

        monkeypatch.setattr(pipeline_module, name, recorded)
    job = Precompute(pipe, focus=32)
    job.join(timeout=300)
    assert not job.running
    assert job.status().done and job.status().error is None
    assert sorted((kind, dim) for kind, dim, _ in calls) == sorted(
        [("view", d) for d in LADDER] + [("map", d) for d in LADDER]
    )
    assert {thread for *_, thread in calls} == {"mge-precompute-0", "mge-precompute-1"}
    monkeypatch.undo()

    alone = _pipeline(ResultStore())
    for dim in LADDER:
        np.testing.assert_array_equal(pipe.layout(dim), alone.layout(dim))
        np.testing.assert_array_equal(pipe.view(dim).communities, alone.view(dim).communities)


def test_a_failing_step_stops_both_threads_and_is_reported(monkeypatch):
    pipe = _pipeline(ResultStore())
    real = pipe.layout

    def layout(dim):
        if dim == 16:
            raise ValueError("no map for 16")
        return real(dim)

    monkeypatch.setattr(pipe, "layout", layout)
    job = Precompute(pipe, focus=16)
    job.join(timeout=300)
    assert not job.running
    assert job.status().error == "ValueError: no map for 16"
    assert job.status().done


def test_two_jobs_at_once_both_finish():
    store = ResultStore()
    jobs = [Precompute(_pipeline(store, seed=seed), focus=8) for seed in (1, 2)]
    for job in jobs:
        job.join(timeout=300)
    assert all(not job.running and job.status().done for job in jobs)
    assert all(job.status().error is None for job in jobs)


def _held_steps(
    monkeypatch, ours, gate: threading.Event, kinds=("view", "map")
) -> list[tuple[str, int]]:
    """Record each step of `kinds` (views, maps) computed from the vectors `ours` and hold it
    until `gate`."""
    from core import pipeline as pipeline_module

    steps: list[tuple[str, int]] = []
    for kind, name in (("view", "compute_view"), ("map", "size_layout")):
        if kind not in kinds:
            continue
        real = getattr(pipeline_module, name)

        def held(vectors, dim, *args, real=real, kind=kind, **kwargs):
            if vectors is ours:
                steps.append((kind, dim))
                assert gate.wait(60)
            return real(vectors, dim, *args, **kwargs)

        monkeypatch.setattr(pipeline_module, name, held)
    return steps


def _until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_superseded_job_no_page_asks_for_stops_at_its_next_step_and_says_so(monkeypatch):
    monkeypatch.setattr(background, "IDLE_S", 0.2)
    pipe = _pipeline(ResultStore(), seed=3)
    gate = threading.Event()
    steps = _held_steps(monkeypatch, pipe.vectors, gate)
    job = Precompute(pipe, focus=32)
    _until(lambda: len(steps) == 2)  # the full size's view and map, side by side
    job.superseded = True
    time.sleep(0.5)  # nobody asks for it for longer than IDLE_S
    gate.set()
    job.join(timeout=60)
    assert not job.running
    assert sorted(steps) == [("map", 32), ("view", 32)]  # the two steps under way, no more
    status = job.status()
    assert (status.views, status.maps, status.cancelled, status.done) == (1, 1, True, True)


def test_a_thread_waiting_for_a_heavy_slot_gives_up_when_its_job_is_cancelled(monkeypatch):
    monkeypatch.setattr(background, "_HEAVY", threading.Semaphore(0))  # every slot taken
    monkeypatch.setattr(background, "IDLE_S", 0.2)
    pipe = _pipeline(ResultStore(), seed=4)
    job = Precompute(pipe, focus=32, lanes=1)
    job.superseded = True
    job.join(timeout=10)
    assert not job.running
    assert job.status() == Status(0, 0, 4, cancelled=True)


def test_jobs_pages_keep_asking_for_finish_beside_each_other(monkeypatch):
    monkeypatch.setattr(background, "IDLE_S", 1.0)
    store = ResultStore()
    pipes = [_pipeline(store, seed=5), _pipeline(store, seed=5)]
    pipes[1].settings = GraphSettings(k=6)  # the same corpus at another k, as two users
    gate = threading.Event()
    maps = _held_steps(monkeypatch, pipes[0].vectors, gate, kinds=("map",))  # both pipes' vectors
    jobs = [background.precompute(pipe, focus=8) for pipe in pipes]
    deadline, held_since = time.monotonic() + 120, None
    # For three IDLE_S the full-size map is held at the gate, and the jobs' other threads wait
    # for it, checking every _RECHECK_S whether they are still wanted (taking no time from this
    # loop); each page's ask supersedes the other job and each is asked again.
    while held_since is None or time.monotonic() < held_since + 3 * background.IDLE_S:
        assert time.monotonic() < deadline
        assert [background.precompute(pipe, focus=8) for pipe in pipes] == jobs
        if held_since is None and maps:
            held_since = time.monotonic()
        time.sleep(0.05)
    monkeypatch.setattr(background, "IDLE_S", 300.0)  # from here they only have to finish
    gate.set()
    for job in jobs:
        job.join(timeout=300)
    assert [job.status() for job in jobs] == [Status(4, 4, 4)] * 2


def test_precompute_supersedes_its_corpus_other_jobs_and_restarts_a_cancelled_one(monkeypatch):
    monkeypatch.setattr(background, "IDLE_S", 0.2)
    store = ResultStore()
    old, new = _pipeline(store, seed=6), _pipeline(store, seed=6)
    new.settings = GraphSettings(k=6, resolution=0.5)
    gate = threading.Event()
    steps = _held_steps(monkeypatch, old.vectors, gate)  # both pipelines' vectors
    first = background.precompute(old, focus=32)
    _until(lambda: len(steps) == 2)
    assert background.stopped_note(new) is None
    later = background.precompute(new, focus=32)  # the user moved k and the resolution
    assert first.superseded and not later.superseded
    time.sleep(0.5)
    gate.set()
    first.join(timeout=60)
    assert first.status().cancelled
    assert background.stopped_note(new) == (
        "The earlier precompute for k = 5, resolution = 1.0 stopped: no page asked for it any "
        "more. The sizes already computed are kept."
    )
    again = background.precompute(old, focus=32)  # the user moved back
    assert again is not first and later.superseded
    again.join(timeout=300)
    assert again.status() == Status(4, 4, 4)


def test_cancel_all_stops_every_job_after_its_steps_under_way(monkeypatch):
    store = ResultStore()
    pipe = _pipeline(store, seed=7)
    gate = threading.Event()
    steps = _held_steps(monkeypatch, pipe.vectors, gate)
    job = background.precompute(pipe, focus=32)
    _until(lambda: len(steps) == 2)
    stopper = threading.Thread(target=background.cancel_all)
    stopper.start()
    _until(lambda: job.cancelled)
    gate.set()
    stopper.join(timeout=60)
    assert not job.running and sorted(steps) == [("map", 32), ("view", 32)]
    store.clear()
    time.sleep(2 * background._RECHECK_S)  # a job left running would refill the store
    assert job.status() == Status(0, 0, 4, cancelled=True)
    assert background.precompute(pipe, focus=32) is not job  # asked again: a new job
    background.cancel_all()
