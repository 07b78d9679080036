"""The app's background precompute: every size's view and map, the size on screen first, the
remaining maps here and on a worker process, and the same maps as one process computing them in
order; a pool of maps gives way to another job waiting for its turn."""

from __future__ import annotations

import threading
import time

import numpy as np

from core import background
from core.store import ResultStore
from core.viz import map_pool
from tests.test_pipeline import _corpus, _pipeline

LADDER = (32, 24, 16, 12, 8)


def _finish(job: background.Precompute, timeout: float = 300) -> background.Status:
    deadline = time.monotonic() + timeout
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
    return job.status()


def _handed_out(monkeypatch) -> tuple[list[int], list[list[int]]]:
    """The sizes the pooled step hands out, in order (to this process or a worker), and the
    maps there were when it first asked."""
    handed, before = [], []
    nearest = background.Precompute._nearest_missing_map

    def record(self, besides=()):
        if not before:
            before.append(sorted(self.pipe.stored_layouts()))
        dim = nearest(self, besides)
        if dim is not None:
            handed.append(dim)
        return dim

    monkeypatch.setattr(background.Precompute, "_nearest_missing_map", record)
    return handed, before


def test_precompute_maps_the_focus_first_then_its_neighbours_here_and_on_a_worker(monkeypatch):
    monkeypatch.setattr(map_pool, "POOL_MIN_ROWS", 0)  # a worker even for this small corpus
    monkeypatch.setattr(map_pool, "cores", lambda: 2)
    handed, before = _handed_out(monkeypatch)
    pipe = _pipeline(_corpus(n=120), ResultStore(), ladder=LADDER)
    status = _finish(background.precompute(pipe, focus=16))

    assert status.error is None and status.done and status.maps == len(LADDER)
    assert before == [[16, 32]]  # the full size and the size on screen came first
    assert handed == [24, 12, 8]  # then the others, nearest the size on screen first
    sequential = _pipeline(_corpus(n=120), ResultStore(), ladder=LADDER)
    for dim in LADDER:
        np.testing.assert_array_equal(pipe.layout(dim), sequential.layout(dim))


def _failing_map(*args):
    raise ValueError("no map today")


def test_precompute_reports_a_failing_map_as_an_error(monkeypatch):
    monkeypatch.setattr(map_pool, "_size_map", _failing_map)
    pipe = _pipeline(_corpus(n=120), ResultStore(), ladder=LADDER)
    status = _finish(background.precompute(pipe, focus=32))
    assert status.error is not None and "no map today" in status.error


def test_a_pool_of_maps_gives_way_to_another_job_waiting_for_its_turn(monkeypatch):
    """Two large corpora take turns: once another job waits, the pooled maps take no new size,
    and that job goes next; the rest of the maps come after it."""
    pipe = _pipeline(_corpus(n=120), ResultStore(), ladder=LADDER)
    pipe.views()
    other_saw, others = [], []
    nearest = background.Precompute._nearest_missing_map

    def other_job() -> None:
        with background._turn():
            other_saw.append(sorted(pipe.stored_layouts()))

    def first_then_wait(self, besides=()):
        if not others:
            others.append(threading.Thread(target=other_job))
            others[0].start()
            while not background._others_waiting():
                time.sleep(0.01)
        return nearest(self, besides)

    monkeypatch.setattr(background.Precompute, "_nearest_missing_map", first_then_wait)
    status = _finish(background.precompute(pipe, focus=32))
    others[0].join(timeout=60)
    assert status.error is None and status.maps == len(LADDER)
    assert other_saw == [[24, 32]]  # the pooled step made only the size it had taken


def test_two_jobs_making_maps_at_once_both_finish(monkeypatch):
    """Two corpora whose remaining maps are all that is left: each turn makes a map at least, so
    the jobs alternate to the end instead of each giving way to the other forever (which, with
    a worker spawned per turn, once filled the memory with processes)."""
    spawned = []
    pool_init = map_pool.MapPool.__init__

    def count_workers(self, workers):
        spawned.append(workers)
        pool_init(self, workers)

    monkeypatch.setattr(map_pool.MapPool, "__init__", count_workers)
    pipes = [_pipeline(_corpus(n=n), ResultStore(), ladder=LADDER) for n in (120, 150)]
    for pipe in pipes:
        pipe.views()
        pipe.layout(pipe.full)
    jobs = [background.precompute(pipe, focus=pipe.full) for pipe in pipes]
    statuses = [_finish(job, timeout=120) for job in jobs]
    assert all(s.error is None and s.done and s.maps == len(LADDER) for s in statuses)
    assert len(spawned) <= 2 * (len(LADDER) - 1)  # one pooled turn per map at most
